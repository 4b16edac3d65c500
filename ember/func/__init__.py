"""Function transforms (`ember.func`, PyTorch's ``torch.func``): `grad`, `vjp`, `jvp`,
`jacrev`, `jacfwd`, `hessian`, `vmap`, plus `functional_call` and `stack_module_state` for
using modules as functions of their parameters.
"""
from __future__ import annotations

from typing import Callable

from ..nn.utils.stateless import functional_call
from ._transforms import grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, linearize
from ._vmap import vmap

_REMOVE = ("mutations", "mutations_and_views")


def _stacked_leaf(tensors, what: str):
    from .. import stack
    needs_grad = {t.requires_grad for t in tensors}
    if len(needs_grad) > 1:
        raise RuntimeError(f"stack_module_state: Expected {what} to be all require grad, or "
                           "none of them to require grad")
    return stack([t.detach() for t in tensors]).requires_grad_(needs_grad.pop())


def stack_module_state(models) -> tuple[dict, dict]:
    """``(params, buffers)``: each model's parameters and buffers stacked along a new first
    dimension, keyed by name, as leaves for `vmap` over `functional_call`.

    >>> params, buffers = stack_module_state([ember.nn.Linear(2, 1) for _ in range(3)])
    >>> params["weight"].shape
    ember.Size([3, 1, 2])
    """
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if len({type(m) for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = {name: _stacked_leaf([dict(m.named_parameters())[name] for m in models],
                                  "parameters") for name, _ in models[0].named_parameters()}
    buffers = {name: _stacked_leaf([dict(m.named_buffers())[name] for m in models], "buffers")
               for name, _ in models[0].named_buffers()}
    return params, buffers


def functionalize(func: Callable, *, remove: str = "mutations") -> Callable:
    """``func`` with mutations removed from its traced program. Ember runs eagerly and has no
    tracer, so the result is ``func`` itself: in eager mode the two compute the same values
    and leave the inputs in the same state."""
    if remove not in _REMOVE:
        raise RuntimeError(f"functionalize(f, remove='mutations'): received invalid argument "
                           f"for remove={remove}. Valid options are 'mutations' and "
                           "'mutations_and_views'.")
    return func


def replace_all_batch_norm_modules_(root):
    """Make every batch-norm module under ``root`` normalize with batch statistics only (no
    running statistics to update), so it can run under `vmap`; returns ``root``."""
    from ..nn.modules.normalization import _BatchNorm
    for module in root.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean = module.running_var = module.num_batches_tracked = None
            module.track_running_stats = False
    return root


__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize",
           "vmap", "functional_call", "stack_module_state", "functionalize",
           "replace_all_batch_norm_modules_"]
