"""`checkpoint`: trade compute for memory by recomputing a block's activations in backward.

The block runs without recording a graph; backward replays it (with the random state and
autocast settings of the first run, so dropout draws the same mask) and differentiates the
replay. Gradients flow to the block's tensor inputs and, through the replay's own backward,
into the parameters it uses.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

from .._creation import zeros
from .._tensor import Tensor
from .. import amp, random as _random
from ..autograd import Function, backward as _backward
from ..autograd.grad_mode import enable_grad
from ..nn.modules.module import Module

__all__ = ["checkpoint", "checkpoint_sequential"]


def _autocast_state() -> tuple:
    return tuple((d, amp.is_autocast_enabled(d), amp.get_autocast_dtype(d))
                 for d in ("cpu", "cuda"))


class _Checkpoint(Function):
    """``run(*args[n_params:])``, recomputed in backward. The first ``n_params`` inputs are
    tensors ``run`` reaches by itself (its module's parameters): inputs only so that their
    gradients travel through the graph."""

    @staticmethod
    def forward(ctx, run, preserve_rng_state, n_params, *args):
        ctx.run = run
        ctx.n_params = n_params
        ctx.rng_state = _random.get_rng_state() if preserve_rng_state else None
        ctx.autocast = _autocast_state()
        ctx.tensor_slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = list(args)
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_slots))
        return run(*args[n_params:])

    @staticmethod
    def backward(ctx, *grads):
        args = list(ctx.args)
        for i, t in zip(ctx.tensor_slots, ctx.saved_tensors):
            args[i] = t if i < ctx.n_params else t.detach().requires_grad_(t.requires_grad)
        params = args[:ctx.n_params]
        held = [p.grad for p in params]  # so that the replay's gradients arrive fresh
        for p in params:
            p.grad = None
        with _random.fork_rng(enabled=ctx.rng_state is not None), enable_grad():
            if ctx.rng_state is not None:
                _random.set_rng_state(ctx.rng_state)
            regions = [amp.autocast(d, dtype, enabled) for d, enabled, dtype in ctx.autocast]
            for r in regions:
                r.__enter__()
            try:
                outputs = ctx.run(*args[ctx.n_params:])
            finally:
                for r in reversed(regions):
                    r.__exit__(None, None, None)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if pairs:
            _backward([o for o, _ in pairs], [g for _, g in pairs])
        input_grads = [a.grad if isinstance(a, Tensor) else None for a in args]
        for p, g in zip(params, held):
            p.grad = g
        return (None, None, None) + tuple(input_grads)


def _parameters_of(function) -> list:
    """The grad-requiring parameters of the module(s) ``function`` runs, when known."""
    owner = getattr(function, "__self__", function)
    modules = [owner] if isinstance(owner, Module) else getattr(function, "_modules_run", ())
    seen = {}
    for m in modules:
        for p in m.parameters():
            if p.requires_grad:
                seen.setdefault(id(p), p)
    return list(seen.values())


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs) -> Any:
    """``function(*args, **kwargs)`` without keeping its intermediate activations; backward
    recomputes them.

    >>> y = ember.utils.checkpoint.checkpoint(block, x, use_reentrant=False)
    """
    kwargs.pop("context_fn", None)
    kwargs.pop("determinism_check", None)
    kwargs.pop("debug", None)
    kwargs.pop("early_stop", None)
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. use_reentrant=False is recommended.")
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None")
        return _Checkpoint.apply(function, preserve_rng_state, 0, *args)
    # The non-reentrant variant differentiates a module's parameters like inputs (so
    # autograd.grad reaches them); a grad-requiring anchor makes the output differentiable
    # even when only tensors hidden inside ``function`` require grad.
    extra = [zeros((), requires_grad=True)] + _parameters_of(function)
    return _Checkpoint.apply(lambda *a: function(*a, **kwargs), preserve_rng_state,
                             len(extra), *extra, *args)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,
                          **kwargs):
    """Run ``functions`` (a list or ``nn.Sequential``) in order, checkpointing each of
    ``segments`` chunks except the last, which keeps its activations for backward."""
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)

    def run_span(start: int, end: int):
        def forward(x):
            for f in functions[start:end + 1]:
                x = f(x)
            return x
        forward._modules_run = [f for f in functions[start:end + 1] if isinstance(f, Module)]
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run_span(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_span(end + 1, len(functions) - 1)(input)
