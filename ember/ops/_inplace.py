"""In-place variants (``Tensor.add_`` and friends), derived from the out-of-place op.

The op runs out of place, then its result is written into the tensor's own memory, the
version counter (shared with views) moves, and the tensor's history becomes the op's node.
When the op's derivative needs the tensor's old value, it is kept as a copy first.

An in-place op on a *view* changes its base too. As in PyTorch, the base's history then
becomes a `CopySlices` node: the base's gradient, with the view's region replaced by what
the op's derivative makes of that region. The view's own history becomes "a region of the
new base"; other views of the same base are brought up to date lazily, when their history
is next read (`refresh_view`, called from `autograd.graph.edge_of`).
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, wrap
from ..autograd.grad_mode import STATE
from ..autograd.graph import Node, edge_of
from .. import _signatures
from . import _op, _refusals
from ._op import op


def apply_inplace(op, self: Tensor, args: tuple, kwargs: dict, traced: bool = False) -> Tensor:
    if _op._TRACER and not traced:
        return _op._TRACER[0].inplace(op, self, args, kwargs)
    recording = STATE.grad_enabled and op.differentiable and (
        self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args))
    base = self._base
    if recording:
        _check_not_leaf(self, base, op.name + "_")
    src = self
    if recording and 0 in op.save:
        src = self._alias(self._grad_fn)  # the derivative needs the old value: keep a copy
        src._data = self._data.copy()
        src._vc = [0]  # the copy is not written by this op; its version must not move
        src._requires_grad = self._requires_grad
        src._output_nr = self._output_nr
    base_edge = _edge_or_none(base) if recording and base is not None else None
    if op.inplace_forward is not None:
        return _write_directly(op, self, args, kwargs, recording, base_edge)
    result = _op.apply(op, (src,) + args, kwargs)
    write_into(self, result, op.name + "_")
    if result._grad_fn is not None:
        record_inplace(self, result._grad_fn, base_edge)
    return self


def _write_directly(op, self: Tensor, args: tuple, kwargs: dict, recording: bool,
                    base_edge) -> Tensor:
    # An op whose derivative doesn't need the old value, and that can write its result into
    # the tensor's memory (``x[i] = v``): no copy of the whole tensor.
    check_writable(self, self.dtype, op.name + "_")
    n = op.nin - 1
    operands = args[:n]
    node = None
    if recording:
        stand_in = wrap(self._data)
        _op._record(op, (self,) + operands, (stand_in,), args[n:], kwargs, None)
        node = stand_in._grad_fn
    arrays = [a._data if isinstance(a, Tensor) else a for a in operands]
    try:
        op.inplace_forward(self._xp, self._data, *arrays, *args[n:], **kwargs)
    except (TypeError, ValueError, IndexError, RuntimeError) as e:
        raise type(e)(f"{op.name}_(): {e}") from None
    self._vc[0] += 1
    if node is not None:
        record_inplace(self, node, base_edge)
    return self


def _check_not_leaf(self: Tensor, base, name: str) -> None:
    if base is None and self._grad_fn is None and self._requires_grad:
        raise RuntimeError(f"{name}(): a leaf Variable that requires grad is being used in "
                           "an in-place operation.")
    if base is not None and base._grad_fn is None and base._requires_grad:
        raise RuntimeError(f"{name}(): a view of a leaf Variable that requires grad is being "
                           "used in an in-place operation.")


def _edge_or_none(t: Tensor):
    return edge_of(t) or (None, 0)


def record_inplace(self: Tensor, node: Node, base_edge) -> None:
    """Make ``node`` (an op whose first input was ``self``'s old value) ``self``'s history."""
    base = self._base
    if base is None:
        self._grad_fn = node
        self._requires_grad = True
        self.__dict__.pop("_output_nr", None)
        return
    base._grad_fn = CopySlices(base_edge, node, region_of(base._data, self._data))
    base._requires_grad = True
    refresh_view(self)


def refresh_view(view: Tensor) -> Node:
    """Give ``view`` the history "its region of its base's current history"."""
    base = view._base
    if base._requires_grad:
        view._grad_fn = _view_region.fn(base, region_of(base._data, view._data))._grad_fn
        view._requires_grad = True
        view.__dict__.pop("_output_nr", None)
    view._view_version = view._vc[0]
    return view._grad_fn


def write_into(self: Tensor, result: Tensor, name: str) -> None:
    """Copy ``result`` into ``self``'s memory, with PyTorch's shape and cast checks."""
    if result._data.shape != self._data.shape:
        broadcast = np.broadcast_shapes(result._data.shape, self._data.shape)
        raise RuntimeError(f"{name}(): output with shape {list(self._data.shape)} doesn't "
                           f"match the broadcast shape {list(broadcast)}")
    check_writable(self, result.dtype, name)
    self._data[...] = result._data
    self._vc[0] += 1


def check_writable(self: Tensor, src_dtype: dt.dtype, name: str) -> None:
    """Refuse writes PyTorch refuses: a lossy dtype cast, or into a broadcast view."""
    dst_dtype = self.dtype
    if src_dtype.category > dst_dtype.category:
        raise RuntimeError(f"{name}(): result type {_legacy(src_dtype)} can't be cast to the "
                           f"desired output type {_legacy(dst_dtype)}")
    if not self._data.flags.writeable:
        raise RuntimeError(f"{name}(): unsupported operation: the tensor is a broadcast (expand) "
                           "view and more than one element refers to the same memory; clone "
                           "it first.")


def _legacy(d: dt.dtype) -> str:
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "bool": "Bool", "float16": "Half", "int16": "Short", "int8": "Char",
            "uint8": "Byte", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
            "bfloat16": "BFloat16"}[d.name]


def make_method(op):
    signature = op.signature
    refused = _refusals.INPLACE_REFUSED.get(op.name)

    bind = None

    def method(self=_op._MISSING, /, *args, **kwargs):  # ember.add_(input=x, ...)
        nonlocal bind
        if kwargs:
            if bind is None:  # the in-place name's own signatures (``zero_(input)``)
                own = _signatures.keyword_names(op.signature) if signature is not None else \
                    _signatures.keyword_names(op.forward, 1 + max(op.nin, 1))
                bind = _signatures.binder(op.name + "_", own, 1) or \
                    (lambda a, k: _op._bind(op, a, k))
            args, kwargs = bind(_op._given((self,) + args), kwargs)
            if not args:
                raise TypeError(f"{op.name}_() missing required argument 'input'")
            self, *args = args
        if signature is not None:
            (self, *args), kwargs = signature(self, *args, **kwargs)
        if refused is not None and isinstance(self, Tensor):
            _refusals.check_inplace(op.name, refused, self._data.dtype)
        return apply_inplace(op, self, tuple(args), kwargs)
    method.__name__ = op.name + "_"
    method.__doc__ = f"In-place version of :func:`ember.{op.name}`."
    return method


# ----------------------------------------------------------------------------- CopySlices


class CopySlices(Node):
    """The history of a base after an in-place op on one of its views.

    Its inputs are the base's previous history and the op's other inputs. The base's
    gradient passes through unchanged outside the view's region; inside it, the op's
    derivative turns the region's gradient into the gradient of the view's old value.
    """

    __slots__ = ("fn", "region")

    def __init__(self, base_edge, fn: Node, region):
        super().__init__((base_edge,) + tuple(fn.next_functions[1:]))
        self.fn = fn
        self.region = region

    def apply(self, grads):
        (grad,) = grads
        region = self.region
        grads_in = self.fn.apply([_view_region.fn(grad, region)])
        old_view_grad = grads_in[0]
        base_grad = None
        if self.next_functions[0][0] is not None:
            if old_view_grad is None:
                old_view_grad = _zeros_like_scalar(grad)
            base_grad = _scatter_region.fn(grad, old_view_grad, region)
        return (base_grad,) + tuple(grads_in[1:])

    def release(self) -> None:
        self.fn.release()
        self._saved = None  # marks it spent, as `Node.release` does (the graph-leak check)


def _zeros_like_scalar(t: Tensor) -> Tensor:
    from .._creation import zeros
    return zeros((), dtype=t.dtype, device=t.device)


# ----------------------------------------------------------------------------- regions
# A region says where a view's elements lie inside its base, as element positions in the
# base's own (row-major) order: (shape, strides, offset) when the base is C-contiguous, so
# that the region of a base-shaped array is one strided view of it; else an index array.


def region_of(base: np.ndarray, view: np.ndarray):
    """Where ``view``'s elements lie among those of ``base``, whose memory it shares."""
    item = base.itemsize
    offset = (_address(view) - _address(base)) // item
    strides = tuple(s // item for s in view.strides)
    if base.flags.c_contiguous:
        return ("strided", view.shape, strides, offset)
    xp = np if type(base) is np.ndarray else _xp_of(base)
    base_pos = _positions(xp, base.shape, tuple(s // item for s in base.strides), 0).ravel()
    order = xp.argsort(base_pos)
    found = xp.searchsorted(base_pos[order], _positions(xp, view.shape, strides, offset))
    return ("indexed", order[found])


def _positions(xp, shape, strides, offset):
    pos = xp.asarray(offset, dtype=np.int64)
    for n, s in zip(shape, strides):
        pos = pos[..., None] + xp.arange(n, dtype=np.int64) * s
    return pos


def _address(a) -> int:
    return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr


def _xp_of(a):
    from .. import backend
    return backend.xp_of(a)


def _region_view(xp, a, region):
    """The region of the base-shaped array ``a``: a view when ``a`` is C-contiguous."""
    if region[0] == "strided":
        _, shape, strides, offset = region
        flat = a.reshape(-1)
        return xp.lib.stride_tricks.as_strided(flat[offset:] if flat.size else flat, shape,
                                               tuple(s * a.itemsize for s in strides))
    return a.reshape(-1)[region[1]]


@op(method=False, function=False)
def _view_region(xp, a, region):
    """The elements of the base-shaped ``a`` that a view occupies (see `region_of`)."""
    return _region_view(xp, xp.ascontiguousarray(a), region)


@_view_region.derivative
def _view_region(ctx, grad, region):
    from .._creation import zeros
    return _scatter_region.fn(zeros(ctx.shapes[0], dtype=grad.dtype, device=grad.device),
                              grad, region)


@op(nin=2, method=False, function=False)
def _scatter_region(xp, a, value, region):
    """A copy of the base-shaped ``a`` with a view's region set to ``value``."""
    out = xp.array(a, order="C", copy=True)
    if region[0] == "strided":
        _region_view(xp, out, region)[...] = value
    else:
        out.reshape(-1)[region[1]] = xp.broadcast_to(value, region[1].shape)
    return out


@_scatter_region.derivative
def _scatter_region(ctx, grad, region):
    return (_scatter_region.fn(grad, _zeros_like_scalar(grad), region)
            if ctx.needs_input_grad[0] else None,
            sum_to_shape(_view_region.fn(grad, region), ctx.shapes[1])
            if ctx.needs_input_grad[1] else None)


def sum_to_shape(g: Tensor, shape) -> Tensor:
    """The gradient ``g`` of a value that was broadcast, summed back to the value's shape."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    if g.ndim < len(shape):  # NumPy lets a written value carry extra leading ones
        return g.reshape(shape)
    return _op._sum_to(g, shape)
