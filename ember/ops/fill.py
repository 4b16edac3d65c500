"""Overwriting a whole tensor: ``fill_``, ``zero_`` and ``copy_`` (and its diagonal:
``fill_diagonal_``).

Each is the in-place form of a table op, so the write bumps the version counter and, under
autograd, the tensor's history becomes the op's node: the old values get a zero gradient,
and a tensor value (``fill_`` with a 0-dim tensor, ``copy_``'s source) gets the gradient of
what it wrote.
"""
from __future__ import annotations

from .. import _creation
from .._tensor import Tensor, wrap
from ._inplace import apply_inplace
from ._op import _sum_to, op
from .pointwise import in_type


@op(nin=2, method=False, function=False, inplace=True)
def fill(xp, x, value):
    """Every element of ``x`` replaced by ``value`` (a 0-dim tensor), in ``x``'s dtype."""
    if value.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    if value.dtype.name == "bfloat16" and x.dtype.kind in "iu":
        value = value.astype("float32")  # (ml_dtypes saturates into integers; PyTorch wraps)
    return xp.full_like(x, value)


@fill.derivative
def fill(ctx, grad):
    return _creation.zeros_like(grad), grad.sum()


def fill_(self: Tensor, value) -> Tensor:
    """Fill with ``value`` (a number or a 0-dim tensor), in place.

    >>> ember.zeros(3).fill_(2)
    tensor([2., 2., 2.])
    """
    if not isinstance(value, Tensor):
        value = wrap(self._xp.asarray(value))
    return apply_inplace(fill, self, (value,), {})


@op(method=False, function=False, inplace=True)
def zero(xp, x):
    """Zeros shaped like ``x``."""
    return xp.zeros_like(x)


@zero.derivative
def zero(ctx, grad):
    return _creation.zeros_like(grad)


@op(method=False, function=False, inplace=True)
def fill_diagonal(xp, x, fill_value, wrap=False):
    """``x`` with its main diagonal (all indices equal) set to ``fill_value``; ``wrap``
    restarts the diagonal below a tall matrix's first square, every ``ncols + 1`` rows.

    >>> ember.zeros(2, 3).fill_diagonal_(1)
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    if x.ndim < 2:
        raise RuntimeError(f"dimensions must larger than 1, got a "
                           f"{x.ndim}-d tensor")
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise RuntimeError(f"all dimensions of input must be of equal "
                           f"length, got shape {list(x.shape)}")
    out = x.copy()
    xp.fill_diagonal(out, in_type(fill_value, out.dtype), wrap=wrap)  # (-1 wraps in uint8)
    return out


@fill_diagonal.derivative
def fill_diagonal(ctx, grad, fill_value, wrap=False):
    return fill_diagonal.fn(grad, 0, wrap)


@op(nin=2, method=False, function=False, inplace=True)
def copy(xp, x, src):
    """``src`` broadcast to ``x``'s shape and cast to its dtype."""
    try:
        expanded = xp.broadcast_to(src, x.shape)
    except ValueError:
        raise RuntimeError(f"the source of shape {list(src.shape)} can't be broadcast "
                           f"to the destination's shape {list(x.shape)}") from None
    return expanded.astype(x.dtype, copy=False)


@copy.derivative
def copy(ctx, grad):
    # src broadcasts one way only (to x's shape), so its gradient is summed back here.
    return _creation.zeros_like(grad), _sum_to(grad, ctx.shapes[1])


def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy ``src``'s values into this tensor (broadcasting, casting, across devices).

    >>> ember.zeros(2, 2).copy_(ember.tensor([1, 2]))
    tensor([[1., 2.],
            [1., 2.]])
    """
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    if src.device != self.device:
        src = src.to(self.device)
    return apply_inplace(copy, self, (src,), {})


Tensor.fill_ = fill_
Tensor.copy_ = copy_
