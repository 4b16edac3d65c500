"""Dropout's mask and its application in one pass over the uniform draws."""
from __future__ import annotations

from . import prange, threaded


@threaded()
def dropout_apply(u, p, scale, x, mask, out):
    """``mask = scale where u >= p else 0`` and ``out = x * mask`` (flat arrays of one size;
    ``scale`` in the data's dtype)."""
    zero = mask.dtype.type(0)
    for i in prange(u.size):
        m = scale if u[i] >= p else zero
        mask[i] = m
        out[i] = x[i] * m
