"""Softmax and log-softmax over one dimension, computed stably (the row max subtracted).

On the CPU both directions are one compiled kernel each (``ember.kernels.softmax``); the
array formulas below serve other backends. Derivatives are written with Ember ops for
gradients of gradients; the first-order backward takes the kernel.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..kernels import softmax as kernels
from .._tensor import wrap
from ..autograd.grad_mode import STATE
from ._inplace import _legacy
from ._op import op
from .reduce import one_dim


def _checked(x, dim, dtype, name: str):
    """``x`` in ``dtype``, after PyTorch's checks: ``dim`` in range, then a floating-point
    type to compute in (an empty input computes in any)."""
    n = x.ndim or 1
    if not -n <= dim < n:
        raise IndexError(f"{name}(): Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    if dtype is not None:
        x = x.astype(dt.as_dtype(dtype).np)
    if x.dtype.kind != "f" and x.size and x.dtype.name != "bfloat16":
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{_legacy(dt.from_numpy_dtype(x.dtype))}'")
    return x


def on_cpu(kernel, *arrays):
    """``kernel(*arrays)`` in single or double precision; half precisions compute in single
    and round back, as PyTorch's CPU kernels do."""
    dtype = arrays[0].dtype
    if dtype == np.float32 or dtype == np.float64:
        return kernel(*arrays)
    return kernel(*(a.astype(np.float32) for a in arrays)).astype(dtype)


def _shifted(xp, x, dim):
    if x.ndim == 0:
        return x - x, 0
    if x.size == 0:  # nothing to shift (NumPy's max has no identity)
        return x - x, one_dim(dim, x.ndim)
    return x - x.max(axis=dim, keepdims=True), dim


@op(save_output=True)
def softmax(xp, x, dim, dtype=None):
    """``exp(x) / exp(x).sum(dim)``, without overflow for large ``x``."""
    x = _checked(x, dim, dtype, "softmax")
    if xp is np:
        return on_cpu(lambda x: kernels.softmax(x, dim, False), x)
    z, dim = _shifted(xp, x, dim)
    e = xp.exp(z, out=z) if z.ndim else xp.exp(z)
    e *= 1 / e.sum(axis=dim, keepdims=True)  # one division per row, not per element
    return e


@softmax.derivative
def softmax(ctx, grad, dim, dtype=None):
    (y,) = ctx.saved_tensors
    if not STATE.grad_enabled and y.dim():
        # first order only: the same formula on arrays, in one buffer
        g, p = grad._data, y._data
        if type(p) is np.ndarray:
            return wrap(on_cpu(lambda g, p: kernels.softmax_backward(g, p, dim, False), g, p))
        gy = g * p
        dx = grad._xp.subtract(g, gy.sum(axis=dim, keepdims=True), out=gy)
        dx *= p
        return wrap(dx)
    return y * (grad - (grad * y).sum(dim, keepdim=True))


@softmax.onnx
def softmax(g, x, dim, dtype=None):
    return g.along_last_axis("Softmax", g.cast(x, dtype), dim)


@op(save_output=True)
def log_softmax(xp, x, dim, dtype=None):
    """``log(softmax(x, dim))``, computed as ``x - logsumexp(x, dim)`` for accuracy."""
    x = _checked(x, dim, dtype, "log_softmax")
    if xp is np:
        return on_cpu(lambda x: kernels.softmax(x, dim, True), x)
    z, dim = _shifted(xp, x, dim)
    return z - xp.log(xp.exp(z).sum(axis=dim, keepdims=True))


@log_softmax.derivative
def log_softmax(ctx, grad, dim, dtype=None):
    (y,) = ctx.saved_tensors
    if not STATE.grad_enabled and type(y._data) is np.ndarray:  # first order: the kernel
        return wrap(on_cpu(lambda g, p: kernels.softmax_backward(g, p, dim, True),
                           grad._data, y._data))
    return grad - y.exp() * grad.sum(dim, keepdim=True)


@log_softmax.onnx
def log_softmax(g, x, dim, dtype=None):
    return g.along_last_axis("LogSoftmax", g.cast(x, dtype), dim)
