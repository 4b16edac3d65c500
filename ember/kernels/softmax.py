"""Softmax and log-softmax along the rows of a 2-D array, and their gradients: one kernel per
direction, each row read once into cache and finished there, rows spread over the cores."""
from __future__ import annotations

import math

import numpy as np

from . import COMPUTE_GRAIN, kernel, prange, threaded
from ._math import exp

# Reassociation lets LLVM vectorize the row sums and maxima; no-NaN/no-inf flags are left
# out, so NaN and inf flow through as in PyTorch.
SUMS = {"reassoc", "contract", "nsz"}


@kernel()
def _larger(v, m):
    return v if v > m else m  # (not max(): Numba's tests for NaN on every call)


@kernel()
def row_max(x, r):
    """The largest entry of row ``r`` (NaN aside: it reaches the result through ``exp``),
    over eight running maxima: one maximum waits for the last each step, which made this
    pass a fifth of softmax's time (GPT's 4096 x 64 scores: 345 -> 299 us, one thread)."""
    n = x.shape[1]
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = x[r, 0]
    full = n - n % 8
    for j in range(0, full, 8):
        m0, m1 = _larger(x[r, j], m0), _larger(x[r, j + 1], m1)
        m2, m3 = _larger(x[r, j + 2], m2), _larger(x[r, j + 3], m3)
        m4, m5 = _larger(x[r, j + 4], m4), _larger(x[r, j + 5], m5)
        m6, m7 = _larger(x[r, j + 6], m6), _larger(x[r, j + 7], m7)
    for j in range(full, n):
        m0 = _larger(x[r, j], m0)
    return max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))


@threaded(grain=COMPUTE_GRAIN, fastmath=SUMS)
def softmax_rows(x, out, log, precise):
    """``softmax`` (or ``log_softmax`` with ``log``) of each row of ``x`` into ``out``."""
    rows, n = x.shape
    for r in prange(rows):
        m = row_max(x, r)
        total = x.dtype.type(0)
        if log:
            for j in range(n):
                total += exp(x[r, j] - m, precise)
            lse = math.log(total)
            for j in range(n):
                out[r, j] = (x[r, j] - m) - lse
        else:
            for j in range(n):
                e = exp(x[r, j] - m, precise)
                out[r, j] = e
                total += e
            inv = x.dtype.type(1) / total
            for j in range(n):
                out[r, j] *= inv


@threaded(grain=COMPUTE_GRAIN, fastmath=SUMS)
def softmax_backward_rows(grad, y, out, log, precise):
    """The input gradient of softmax (log-softmax with ``log``) given its output ``y``:
    ``y * (g - sum(g * y))``, or ``g - exp(y) * sum(g)``."""
    rows, n = y.shape
    for r in prange(rows):
        total = y.dtype.type(0)
        if log:
            for j in range(n):
                total += grad[r, j]
            for j in range(n):
                out[r, j] = grad[r, j] - exp(y[r, j], precise) * total
        else:
            for j in range(n):
                total += grad[r, j] * y[r, j]
            for j in range(n):
                out[r, j] = y[r, j] * (grad[r, j] - total)


def softmax(x: np.ndarray, dim: int, log: bool) -> np.ndarray:
    """``softmax(x, dim)`` (``log_softmax`` with ``log``) of a float32/float64 array.

    >>> softmax(np.zeros((2, 4), np.float32), 1, False)[0]
    array([0.25, 0.25, 0.25, 0.25], dtype=float32)
    """
    return along_rows(softmax_rows, dim, (x,), log)


def softmax_backward(grad: np.ndarray, y: np.ndarray, dim: int, log: bool) -> np.ndarray:
    """The gradient reaching softmax's input from ``grad`` at its output ``y``."""
    return along_rows(softmax_backward_rows, dim, (grad, y), log)


def along_rows(rows_kernel, dim, arrays, *flags):
    """``rows_kernel(*arrays, out, *flags, precise)`` with ``dim`` as the rows: the last axis,
    made contiguous (a copy only where ``dim`` isn't last or the layout is strided); the
    result comes back in the arrays' shape, contiguous."""
    first = arrays[0]
    if first.ndim == 0:
        return along_rows(rows_kernel, 0, tuple(a.reshape(1) for a in arrays),
                          *flags).reshape(())
    last = dim % first.ndim == first.ndim - 1
    moved = [a if last else np.moveaxis(a, dim, -1) for a in arrays]
    shape = moved[0].shape
    out = np.empty(shape, dtype=first.dtype)
    if first.size:
        rows = [np.ascontiguousarray(a).reshape(-1, shape[-1]) for a in moved]
        rows_kernel(*rows, out.reshape(-1, shape[-1]), *flags, first.dtype.itemsize == 8)
    return out if last else np.ascontiguousarray(np.moveaxis(out, -1, dim))
