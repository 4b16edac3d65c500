"""Cross-entropy over class scores, forward and backward, one pass per row.

The forward keeps the softmax probabilities ``p`` (not the log-probabilities) and each row's
log-sum-exp: the loss needs only ``x[target] - lse``, and the logits' gradient
``scale * (p - onehot(target))`` is then one streaming pass, where from log-probabilities it
would take an ``exp`` per element again.
"""
from __future__ import annotations

import math

import numpy as np

from . import prange, threaded
from ._math import exp
from .softmax import SUMS, row_max


@threaded(fastmath=SUMS)
def softmax_lse_rows(x, p, lse, precise):
    """``p[r] = softmax(x[r])`` and ``lse[r] = log(sum(exp(x[r])))``."""
    rows, n = x.shape
    for r in prange(rows):
        m = row_max(x, r)
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
