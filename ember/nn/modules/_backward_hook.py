"""Module backward hooks: identity autograd Functions around a module's inputs and outputs.

The module's tensor outputs pass through one identity node; when their gradients reach it,
the backward pre-hooks run and ``grad_output`` is remembered. The tensor inputs pass through
another identity node; when the gradients leave it (toward the inputs), the full backward
hooks run with ``grad_input`` and the remembered ``grad_output``. Positions that hold no
tensor show as None, as in PyTorch.
"""
from __future__ import annotations

import warnings

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled


class _Identity(Function):
    """Passes its tensors through; its node is where the hooks attach."""

    @staticmethod
    def forward(ctx, *tensors):
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return grads


def _through_identity(values: tuple, attach):
    """``values`` with their tensors replaced by identity outputs; ``attach(node)`` is called
    with the identity's node. Returns (new values, positions of the tensors), or (values,
    None) when no tensor needs a gradient."""
    positions = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
    tensors = [values[i] for i in positions]
    if not (is_grad_enabled() and any(t.requires_grad for t in tensors)):
        return values, None
    outs = _Identity.apply(*tensors)
    attach(next(t.grad_fn for t in outs if t.grad_fn is not None))
    new = list(values)
    for i, t in zip(positions, outs):
        new[i] = t
    return tuple(new), positions


def _spread(positions, grads, size: int) -> tuple:
    """Per-position gradients: the tensors' grads at their positions, None elsewhere."""
    out = [None] * size
    for i, g in zip(positions, grads):
        out[i] = g
    return tuple(out)


class BackwardHook:
    """The hooks of one module call (`Module.__call__` makes one per call)."""

    def __init__(self, module, hooks: list, pre_hooks: list):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_positions = None
        self.n_outputs = 0
        self.output_positions = None

    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        args, self.input_positions = _through_identity(args, self._attach_input)
        return args

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        if single and not isinstance(result, Tensor):
            warnings.warn("For backward hooks to be called, module output should be a Tensor "
                          f"or a tuple of Tensors but received {type(result)}", stacklevel=3)
        outputs = (result,) if single else result
        self.n_outputs = len(outputs)
        outputs, self.output_positions = _through_identity(outputs, self._attach_output)
        return outputs[0] if single else outputs

    def _attach_input(self, node) -> None:
        def on_input_grads(grad_inputs, _):
            if self.grad_outputs is None:
                return None
            grads = _spread(self.input_positions, grad_inputs, self.n_inputs)
            for hook in self.hooks:
                new = hook(self.module, grads, self.grad_outputs)
                if new is None:
                    continue
                if len(new) != len(grads):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(new)}, but expected {len(grads)}")
                grads = new
            self.grad_outputs = None
            return tuple(grads[i] for i in self.input_positions)
        node.register_hook(on_input_grads)

    def _attach_output(self, node) -> None:
        def on_output_grads(_, grad_outputs):
            grads = _spread(self.output_positions, grad_outputs, self.n_outputs)
            for hook in self.pre_hooks:
                new = hook(self.module, grads)
                if new is None:
                    continue
                if len(new) != len(grads):
                    raise RuntimeError("Backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(new)}, but expected {len(grads)}")
                grads = new
            self.grad_outputs = grads
            if self.input_positions is None:
                self._fire_without_input_grads()
            return tuple(grads[i] for i in self.output_positions)
        node.register_hook(on_output_grads)

    def _fire_without_input_grads(self) -> None:
        # No input needs a gradient: the hooks run now, with grad_input all None.
        grads = (None,) * self.n_inputs
        for hook in self.hooks:
            new = hook(self.module, grads, self.grad_outputs)
            if new is not None and not all(g is None for g in new):
                raise RuntimeError("Backward hook for Modules where no input requires gradient "
                                   "should always return None or None for all gradients.")
        self.grad_outputs = None
