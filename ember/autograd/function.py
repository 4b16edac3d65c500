"""Custom differentiable operations: subclass `Function` with `forward` and `backward`."""
from __future__ import annotations

import functools

from .graph import Node, edge_of
from .grad_mode import STATE, no_grad


class FunctionCtx(Node):
    """The ``ctx`` of a custom Function: also its node in the graph."""

    __slots__ = ("needs_input_grad", "_to_save", "_non_differentiable", "_dirty",
                 "materialize_grads", "_output_meta", "__dict__")
    fn_cls = None

    def __init__(self):
        super().__init__(())
        self._to_save = ()
        self._non_differentiable = ()
        self._dirty = ()
        self.materialize_grads = True
        self._output_meta = ()

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` for backward (read them there as ``ctx.saved_tensors``)."""
        self._to_save = tensors

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_differentiable = outputs

    def mark_dirty(self, *tensors) -> None:
        """Declare the inputs that forward modified in place."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """Whether backward sees zeros (True, the default) or None for unused outputs."""
        self.materialize_grads = value

    def name(self) -> str:
        return self.fn_cls.__name__ + "Backward"

    def apply(self, grads):
        from .. import _creation
        if self.materialize_grads:
            grads = [(_creation.zeros(shape, dtype=dtype, device=device)
                      if g is None else g) for g, (shape, dtype, device) in
                     zip(grads, self._output_meta)]
        result = self.fn_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self.next_functions)
        if len(result) < n or any(r is not None for r in result[n:]):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n}, got {len(result)})")
        return result[:n]


class Function:
    """Define an op with its own forward and backward.

    >>> class Square(ember.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad
    >>> Square.apply(ember.tensor(3., requires_grad=True))
    tensor(9., grad_fn=<SquareBackward>)
    """

    _node_types: dict = {}

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """The computation, on the inputs (tensors and other arguments) after ``ctx``; save
        what `backward` needs with ``ctx.save_for_backward``. Subclasses must define it.
        """
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """The derivative: given one gradient per output of `forward`, return one gradient
        (or None) per input of `forward`. It runs with Ember ops, so it can itself be
        differentiated.
        """
        raise NotImplementedError("a Function subclass must define backward(ctx, ...) to be "
                                  "differentiated")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the function on ``args``: calls `forward` and, when an input requires grad,
        records a node that will call `backward`. Call this, not `forward`.

        >>> class Double(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         return x * 2
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         return grad * 2
        >>> x = ember.ones(2, requires_grad=True)
        >>> Double.apply(x).sum().backward(); x.grad
        tensor([2., 2.])
        """
        from .._tensor import Tensor
        node_type = Function._node_types.get(cls)
        if node_type is None:
            node_type = type(cls.__name__ + "Backward", (FunctionCtx,), {"fn_cls": cls})
            Function._node_types[cls] = node_type
        ctx = node_type()
        is_tensor = [isinstance(a, Tensor) for a in args]
        ctx.needs_input_grad = tuple(t and a._requires_grad for t, a in zip(is_tensor, args))
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outputs = (outputs,) if single else outputs
        if not (STATE.grad_enabled and any(ctx.needs_input_grad)):
            return outputs[0] if single else outputs

        ctx.next_functions = tuple(edge_of(a) if needs else (None, 0)
                                   for a, needs in zip(args, ctx.needs_input_grad))
        inputs = {id(a) for a, t in zip(args, is_tensor) if t}
        dirty = {id(t) for t in ctx._dirty}
        non_diff = {id(t) for t in ctx._non_differentiable}
        wrapped, meta = [], []
        for nr, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                meta.append(((), None, None))
                continue
            if id(o) in inputs and id(o) not in dirty:
                o = o._alias()  # an input returned as is becomes a new node's output
            meta.append((tuple(o.shape), o.dtype, o.device))
            if id(o) not in non_diff and o.dtype.category >= 2:
                o._grad_fn = ctx
                o._requires_grad = True
                if nr:
                    o._output_nr = nr
                else:
                    o.__dict__.pop("_output_nr", None)
            wrapped.append(o)
        ctx._output_meta = tuple(meta)
        ctx.n_outputs = len(outputs)
        ctx.save(ctx._to_save)
        return wrapped[0] if single else tuple(wrapped)


def once_differentiable(backward):
    """Mark a backward as not itself differentiable: it runs without recording."""
    @functools.wraps(backward)
    def wrapped(ctx, *grads):
        with no_grad():
            return backward(ctx, *grads)
    return wrapped
