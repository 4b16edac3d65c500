"""The gradient of cross-entropy with respect to the logits, in one pass over the
log-probabilities the forward kept: ``scale * (softmax - onehot(target))`` per row."""
from __future__ import annotations

import numpy as np

from . import prange, threaded
from ._math import exp
from .softmax import SUMS


@threaded(fastmath=SUMS)
def cross_entropy_backward_rows(logp, target, scale, out, precise):
    """``out[r] = scale[r] * (exp(logp[r]) - onehot(target[r]))``."""
    rows, n = logp.shape
    for r in prange(rows):
        s = scale[r]
        for j in range(n):
            out[r, j] = s * exp(logp[r, j], precise)
        out[r, target[r]] -= s


def cross_entropy_backward(logp: np.ndarray, target: np.ndarray, scale: np.ndarray,
                           dim: int) -> np.ndarray:
    """The logits' gradient for log-probabilities ``logp`` with classes on ``dim``, class
    indices ``target`` (logp's shape without ``dim``; ignored samples carry scale 0 and any
    valid index) and per-sample ``scale`` (the loss gradient times the target's weight)."""
    last = dim == logp.ndim - 1
    moved = logp if last else np.moveaxis(logp, dim, -1)
    classes = moved.shape[-1]
    out = np.empty(moved.shape, dtype=logp.dtype)
    if logp.size:
        cross_entropy_backward_rows(
            np.ascontiguousarray(moved).reshape(-1, classes),
            np.ascontiguousarray(target, dtype=np.int64).reshape(-1),
            np.ascontiguousarray(scale, dtype=logp.dtype).reshape(-1),
            out.reshape(-1, classes), logp.dtype.itemsize == 8)
    return out if last else np.ascontiguousarray(np.moveaxis(out, -1, dim))
