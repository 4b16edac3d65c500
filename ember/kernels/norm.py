"""Layer normalization over the rows of a 2-D array, forward and backward: statistics,
normalization and the affine map in one visit of each row, rows spread over the cores."""
from __future__ import annotations

import math

import numpy as np

from . import COMPUTE_GRAIN, prange, threaded
from .softmax import SUMS

# The backward's weight and bias gradients sum over rows: each of CHUNKS slices of rows
# sums into its own partial row, so threads never write the same memory.
CHUNKS = 16


@threaded(grain=COMPUTE_GRAIN, fastmath=SUMS)
def layer_norm_rows(x, weight, bias, eps, out, mean, var):
    """``out = (x - mean) / sqrt(var + eps) * weight + bias`` per row; ``mean`` and
    ``var`` (biased) receive each row's statistics."""
    rows, n = x.shape
    one = x.dtype.type(1)  # (constants in x's precision keep float32 math in float32)
    size = x.dtype.type(n)
    for r in prange(rows):
        total = x.dtype.type(0)
        for j in range(n):
            total += x[r, j]
        m = total / size
        squares = x.dtype.type(0)
        for j in range(n):
            d = x[r, j] - m
            squares += d * d
        v = squares / size
        rstd = one / math.sqrt(v + eps)
        for j in range(n):
            out[r, j] = (x[r, j] - m) * rstd * weight[j] + bias[j]
        mean[r] = m
        var[r] = v


@threaded(grain=COMPUTE_GRAIN, fastmath=SUMS)
def layer_norm_backward_rows(grad, x, weight, mean, var, eps, grad_x, grad_weight,
                             grad_bias):
    """Layer norm's input gradient per row, ``rstd * (gxhat - mean(gxhat) - xhat *
    mean(gxhat * xhat))`` with ``gxhat = grad * weight``; ``grad_weight`` and ``grad_bias``
    (CHUNKS x n) receive per-chunk partial sums of ``grad * xhat`` and ``grad``."""
    rows, n = x.shape
    chunks = grad_weight.shape[0]
    one = x.dtype.type(1)
    size = x.dtype.type(n)
    for c in prange(chunks):
        for r in range(c * rows // chunks, (c + 1) * rows // chunks):
            m = mean[r]
            rstd = one / math.sqrt(var[r] + eps)
            sum_g = x.dtype.type(0)
            sum_gx = x.dtype.type(0)
            for j in range(n):
                xhat = (x[r, j] - m) * rstd
                g = grad[r, j]
                gxhat = g * weight[j]
                sum_g += gxhat
                sum_gx += gxhat * xhat
                grad_weight[c, j] += g * xhat
                grad_bias[c, j] += g
            sum_g /= size
            sum_gx /= size
            for j in range(n):
                xhat = (x[r, j] - m) * rstd
                grad_x[r, j] = rstd * (grad[r, j] * weight[j] - sum_g - xhat * sum_gx)


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, normalized_ndim: int,
               eps: float):
    """``(y, mean, var)`` of layer norm over the last ``normalized_ndim`` dims of ``x``;
    mean and var keep those dims as size 1."""
    lead = x.shape[:x.ndim - normalized_ndim]
    rows = math.prod(lead)
    x2 = np.ascontiguousarray(x).reshape(rows, -1)
    out = np.empty(x2.shape, dtype=x.dtype)
    mean = np.empty(rows, dtype=x.dtype)
    var = np.empty(rows, dtype=x.dtype)
    if x2.size:
        layer_norm_rows(x2, _flat(weight, x), _flat(bias, x), x.dtype.type(eps), out, mean, var)
    stats = lead + (1,) * normalized_ndim
    return out.reshape(x.shape), mean.reshape(stats), var.reshape(stats)


def layer_norm_backward(grad, x, weight, mean, var, eps: float):
    """``(grad_x, grad_weight, grad_bias)`` of `layer_norm` for the output gradient ``grad``."""
    rows = mean.size
    x2 = np.ascontiguousarray(x).reshape(rows, -1)
    n = x2.shape[1]
    grad_x = np.empty(x2.shape, dtype=x.dtype)
    partial_w = np.zeros((min(CHUNKS, max(rows, 1)), n), dtype=x.dtype)
    partial_b = np.zeros_like(partial_w)
    if x2.size:
        layer_norm_backward_rows(np.ascontiguousarray(grad, dtype=x.dtype).reshape(rows, -1),
                                 x2, _flat(weight, x), np.ascontiguousarray(mean).reshape(-1),
                                 np.ascontiguousarray(var).reshape(-1), x.dtype.type(eps), grad_x,
                                 partial_w, partial_b)
    shape = weight.shape
    return (grad_x.reshape(x.shape), partial_w.sum(axis=0).reshape(shape),
            partial_b.sum(axis=0).reshape(shape))


def _flat(a, like):
    return np.ascontiguousarray(a, dtype=like.dtype).reshape(-1)
