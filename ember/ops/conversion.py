"""Casts, device moves and copies."""
from __future__ import annotations

import numpy as np

from .. import backend
from .._layout import copy_in_format
from ._op import op


@op(method=False, function=False, stash=True)
def _to_copy(xp, x, dtype=None, device=None):
    source = backend.device_of(x)
    if device is not None:
        x = backend.to_device(x, device)
    if dtype is not None and x.dtype != dtype.np:
        if x.dtype.name == "bfloat16" and dtype.np.kind in "iu":
            # ml_dtypes saturates into small integer types; PyTorch truncates and wraps
            return x.astype(np.float32).astype(dtype.np), source
        return x.astype(dtype.np), source
    return (x.copy() if device is None else x), source


@_to_copy.derivative
def _to_copy(ctx, grad, dtype=None, device=None):
    (source_dtype,) = ctx.dtypes
    if grad.is_complex() and not source_dtype.is_complex:
        grad = grad.real  # a real input's gradient is the real part, as in PyTorch
    return to(grad, ctx.stash, source_dtype)


@_to_copy.onnx
def _to_copy(g, x, dtype=None, device=None):
    return g.op("Identity", g.cast(x, dtype))


def to(x, device=None, dtype=None, copy=False):
    """`Tensor.to`: the tensor itself when nothing changes (unless ``copy``), else a copy."""
    same_device = device is None or device == x.device
    same_dtype = dtype is None or dtype is x.dtype
    if same_device and same_dtype and not copy:
        return x
    return _to_copy.fn(x, None if same_dtype else dtype, None if same_device else device)


@op()
def clone(xp, x, *, memory_format=None):
    """A copy of ``x`` with its own memory; gradients flow back unchanged."""
    return copy_in_format(x, memory_format)


@clone.derivative
def clone(ctx, grad, *, memory_format=None):
    return grad


@clone.onnx
def clone(g, x, *, memory_format=None):
    return g.op("Identity", x)


@op(differentiable=False, view="always", method=False, function=False)
def detach(xp, x):
    """``Tensor.detach`` as a graph sees it (recorded only while tracing): the same memory,
    and no gradient flows back."""
    return x.view()


detach.onnx("Identity")
