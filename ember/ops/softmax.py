"""Softmax and log-softmax over one dimension, computed stably (the row max subtracted)."""
from __future__ import annotations

from .. import _dtype as dt
from ._op import op


def _shifted(xp, x, dim, dtype):
    if dtype is not None:
        x = x.astype(dt.as_dtype(dtype).np)
    elif x.dtype.kind in "biu":
        raise RuntimeError(f"softmax(): not implemented for '{dt.from_numpy_dtype(x.dtype)}'")
    if x.ndim == 0:
        return x - x, 0
    return x - x.max(axis=dim, keepdims=True), dim


@op(save_output=True)
def softmax(xp, x, dim, dtype=None):
    """``exp(x) / exp(x).sum(dim)``, without overflow for large ``x``."""
    z, dim = _shifted(xp, x, dim, dtype)
    e = xp.exp(z)
    e /= e.sum(axis=dim, keepdims=True)
    return e


@softmax.derivative
def softmax(ctx, grad, dim, dtype=None):
    (y,) = ctx.saved_tensors
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
