"""Softmax and log-softmax over one dimension, computed stably (the row max subtracted)."""
from __future__ import annotations

from .. import _dtype as dt
from .._tensor import wrap
from ..autograd.grad_mode import STATE
from ._op import op
from .reduce import one_dim


def _shifted(xp, x, dim, dtype):
    if dtype is not None:
        x = x.astype(dt.as_dtype(dtype).np)
    if x.dtype.kind in "biu":
        raise NotImplementedError(f"not implemented for '{dt.from_numpy_dtype(x.dtype)}': "
                                  f"convert the input with .float(), or pass dtype=")
    if x.ndim == 0:
        return x - x, 0
    if x.size == 0:  # nothing to shift (NumPy's max has no identity)
        return x - x, one_dim(dim, x.ndim)
    return x - x.max(axis=dim, keepdims=True), dim


@op(save_output=True)
def softmax(xp, x, dim, dtype=None):
    """``exp(x) / exp(x).sum(dim)``, without overflow for large ``x``."""
    z, dim = _shifted(xp, x, dim, dtype)
    e = xp.exp(z, out=z) if z.ndim else xp.exp(z)
    e *= 1 / e.sum(axis=dim, keepdims=True)  # one division per row, not per element
    return e


@softmax.derivative
def softmax(ctx, grad, dim, dtype=None):
    (y,) = ctx.saved_tensors
    if not STATE.grad_enabled and y.dim():
        # first order only: the same formula on arrays, in one buffer
        g, p = grad._data, y._data
        gy = g * p
        dx = grad._xp.subtract(g, gy.sum(axis=dim, keepdims=True), out=gy)
        dx *= p
        return wrap(dx)
    return y * (grad - (grad * y).sum(dim, keepdim=True))


@op(save_output=True)
def log_softmax(xp, x, dim, dtype=None):
    """``log(softmax(x, dim))``, computed as ``x - logsumexp(x, dim)`` for accuracy."""
    z, dim = _shifted(xp, x, dim, dtype)
    return z - xp.log(xp.exp(z).sum(axis=dim, keepdims=True))


@log_softmax.derivative
def log_softmax(ctx, grad, dim, dtype=None):
    (y,) = ctx.saved_tensors
    return grad - y.exp() * grad.sum(dim, keepdim=True)
