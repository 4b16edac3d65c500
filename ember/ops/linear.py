"""The affine map of a fully connected layer as one op: ``x @ weight.T + bias``.

Composed from ``mT``, ``matmul`` and ``add`` the same layer records three graph nodes per
call; this op records one, which is most of a small layer's cost (``nn.Linear(10, 10)``).
Its derivative is written with Ember ops, so gradients of gradients work; a first-order
backward on NumPy arrays computes the three products directly.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, wrap
from ..autograd.grad_mode import STATE
from ._op import _AUTOCAST, _PROFILER, _TRACER, _record, op
from .reduce import column_sum


@op(nin=3, save=(0, 1), method=False, function=False)
def linear(xp, x, weight, bias):
    """``x @ weight.T + bias`` for x (*, in), weight (out, in) and bias (out,).

    >>> ember.ops.TABLE["linear"].fn(ember.ones(2, 3), ember.ones(4, 3), ember.zeros(4))
    tensor([[3., 3., 3., 3.],
            [3., 3., 3., 3.]])
    """
    y = _affine(x, weight, bias)
    # (ml_dtypes' bfloat16 products answer in float32; the layer keeps its operands' dtype)
    return y if y.dtype == x.dtype else y.astype(x.dtype)


def _affine(x, weight, bias):
    """``x @ weight.T + bias`` on arrays; the leading dims of ``x`` folded into one matrix
    (a stacked product is one BLAS call per matrix: 1.7 ms for (16, 64, 512) @ (512, 128)
    where the folded one takes 0.9 ms)."""
    if x.ndim == 1:
        y = weight @ x
    elif x.ndim == 2:
        y = x @ weight.T
    else:
        y = (x.reshape(-1, x.shape[-1]) @ weight.T).reshape(x.shape[:-1] + weight.shape[:1])
    y += bias
    return y


@linear.derivative
def linear(ctx, grad):
    x, weight = ctx.saved_tensors
    needs = ctx.needs_input_grad
    if (not STATE.grad_enabled and type(grad._data) is np.ndarray
            and grad._data.dtype is x._data.dtype is weight._data.dtype
            and x._data.dtype in _BLAS_DTYPES):  # first order: the products on arrays
        return tuple(None if g is None else wrap(g)
                     for g in _array_grads(grad._data, x._data, weight._data, needs))
    rows = grad.reshape(-1, grad.shape[-1])
    grad_x = (rows @ weight).reshape(x.shape) if needs[0] else None
    grad_weight = rows.mT @ x.reshape(-1, x.shape[-1]) if needs[1] else None
    grad_bias = rows.sum(0) if needs[2] else None
    return grad_x, grad_weight, grad_bias


def _array_grads(grad, x, weight, needs):
    """The gradients of ``linear`` for the inputs in ``needs``, on arrays. The weight's is
    ``grad^T x``: a C-ordered (out, in) array the weight keeps as its ``.grad``."""
    rows = grad.reshape(-1, grad.shape[-1])
    grad_x = (rows @ weight).reshape(x.shape) if needs[0] else None
    grad_weight = rows.T @ x.reshape(-1, x.shape[-1]) if needs[1] else None
    grad_bias = column_sum(rows) if needs[2] else None
    return grad_x, grad_weight, grad_bias


_BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@linear.onnx
def linear(g, x, weight, bias):
    if g.rank(x) == 2:
        return g.op("Gemm", x, weight, bias, transB=1)
    return g.op("Add", g.op("MatMul", x, g.op("Transpose", weight, perm=[1, 0])), bias)


_LINEAR = linear


def _linear_hot_path(general):
    """A layer's forward is the hottest call of a dense model: float32/float64 CPU tensors
    of matching shapes go straight to NumPy and one graph node; anything else (errors
    included), and profiled, traced or autocast calls, take the general path."""
    profiler, autocast, tracer = _PROFILER, _AUTOCAST, _TRACER

    def linear(x, weight, bias, /):
        if profiler or autocast or tracer or not isinstance(x, Tensor) \
                or not isinstance(weight, Tensor) or not isinstance(bias, Tensor):
            return general(x, weight, bias)
        a, w, b = x._data, weight._data, bias._data
        if type(a) is not np.ndarray or type(w) is not np.ndarray or type(b) is not np.ndarray \
                or not (a.dtype is w.dtype is b.dtype) or a.dtype not in _BLAS_DTYPES \
                or w.ndim != 2 or b.ndim != 1 or a.ndim == 0 or a.shape[-1] != w.shape[1] \
                or b.shape[0] != w.shape[0]:
            return general(x, weight, bias)
        out = wrap(_affine(a, w, b))
        if (x._requires_grad or weight._requires_grad or bias._requires_grad) \
                and STATE.grad_enabled:
            _record(_LINEAR, (x, weight, bias), (out,), (), {}, None)
        return out
    linear.__doc__ = general.__doc__
    return linear


linear.fn = _linear_hot_path(linear.fn)
