"""Cross-entropy over class scores, forward and backward, one pass per row.

The forward keeps the softmax probabilities ``p`` (not the log-probabilities) and each row's
log-sum-exp: the loss needs only ``x[target] - lse``, and the logits' gradient
``scale * (p - onehot(target))`` is then one streaming pass, where from log-probabilities it
would take an ``exp`` per element again.
"""
from __future__ import annotations

import math

import numpy as np

from . import kernel, prange, threaded
from ._math import exp
from .softmax import SUMS


@kernel(inline="always")
def _row_max(x, r):
    # Eight running maxima: one chain of compares does not vectorize (each waits for the
    # last), eight do, 4x faster. A NaN needs no care: it reaches the row's sum of exps.
    n = x.shape[1]
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = x[r, 0]
    full = n - n % 8
    for j in range(0, full, 8):
        m0 = max(m0, x[r, j])
        m1 = max(m1, x[r, j + 1])
        m2 = max(m2, x[r, j + 2])
        m3 = max(m3, x[r, j + 3])
        m4 = max(m4, x[r, j + 4])
        m5 = max(m5, x[r, j + 5])
        m6 = max(m6, x[r, j + 6])
        m7 = max(m7, x[r, j + 7])
    m = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
    for j in range(full, n):
        m = max(m, x[r, j])
    return m


@threaded(fastmath=SUMS)
def softmax_lse_rows(x, p, lse, precise):
    """``p[r] = softmax(x[r])`` and ``lse[r] = log(sum(exp(x[r])))``."""
    rows, n = x.shape
    for r in prange(rows):
        m = _row_max(x, r)
        total = x.dtype.type(0)
        for j in range(n):
            e = exp(x[r, j] - m, precise)
            p[r, j] = e
            total += e
        inv = x.dtype.type(1) / total
        for j in range(n):
            p[r, j] *= inv
        lse[r] = m + math.log(total)


@threaded(fastmath=SUMS)
def cross_entropy_backward_rows(p, target, scale, out):
    """``out[r] = scale[r] * (p[r] - onehot(target[r]))``."""
    rows, n = p.shape
    for r in prange(rows):
        s = scale[r]
        for j in range(n):
            out[r, j] = s * p[r, j]
        out[r, target[r]] -= s


def _rows(a: np.ndarray, dim: int) -> np.ndarray:
    """``a`` with ``dim`` moved last, as a contiguous (rows, classes) array."""
    moved = a if dim == a.ndim - 1 else np.moveaxis(a, dim, -1)
    return np.ascontiguousarray(moved).reshape(-1, a.shape[dim])


def _shaped(rows: np.ndarray, shape: tuple, dim: int) -> np.ndarray:
    """The inverse of `_rows` for an array of ``shape``: contiguous, ``dim`` back in place."""
    moved = rows.reshape(shape[:dim] + shape[dim + 1:] + shape[dim:dim + 1])
    return moved if dim == len(shape) - 1 else np.ascontiguousarray(np.moveaxis(moved, -1, dim))


def softmax_lse(x: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The softmax of float32/float64 logits ``x`` over ``dim`` and their log-sum-exp (x's
    shape without ``dim``).

    >>> p, lse = softmax_lse(np.zeros((1, 4), np.float32), 1)
    >>> p[0], lse
    (array([0.25, 0.25, 0.25, 0.25], dtype=float32), array([1.3862944], dtype=float32))
    """
    rows = _rows(x, dim)
    p = np.empty(rows.shape, x.dtype)
    lse = np.empty(rows.shape[0], x.dtype)
    if x.size:
        softmax_lse_rows(rows, p, lse, x.dtype.itemsize == 8)
    return _shaped(p, x.shape, dim), lse.reshape(x.shape[:dim] + x.shape[dim + 1:])


def cross_entropy_backward(p: np.ndarray, target: np.ndarray, scale: np.ndarray,
                           dim: int) -> np.ndarray:
    """The logits' gradient for probabilities ``p`` with classes on ``dim``, class indices
    ``target`` (p's shape without ``dim``; ignored samples carry scale 0 and any valid index)
    and per-sample ``scale`` (the loss gradient times the target's weight)."""
    rows = _rows(p, dim)
    out = np.empty(rows.shape, p.dtype)
    if p.size:
        cross_entropy_backward_rows(
            rows, np.ascontiguousarray(target, dtype=np.int64).reshape(-1),
            np.ascontiguousarray(scale, dtype=p.dtype).reshape(-1), out)
    return _shaped(out, p.shape, dim)
