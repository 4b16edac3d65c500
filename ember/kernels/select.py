"""Masked writes in one pass: ``masked_fill`` with a mask shaped like the input's trailing
dimensions (attention's causal mask), where NumPy copies the input and then writes through
the broadcast mask (114 us against 27 us on GPT's 16x4x64x64 scores)."""
from __future__ import annotations

import numpy as np

from . import STREAM_GRAIN, prange, threaded


@threaded(grain=STREAM_GRAIN)
def masked_fill_rows(x, mask, value, out):
    """``out[r, j] = value if mask[j] else x[r, j]``: each row of ``x`` against one mask."""
    rows, n = x.shape
    for r in prange(rows):
        for j in range(n):
            out[r, j] = value if mask[j] else x[r, j]


def masked_fill(x: np.ndarray, mask: np.ndarray, value) -> np.ndarray | None:
    """``x`` with ``value`` where ``mask`` holds, for a C-contiguous float ``x`` and a mask of
    its trailing shape (leading 1s allowed); None for any other layout or dtype.

    >>> masked_fill(np.zeros((2, 3), np.float32), np.array([True, False, True]), 5.0)
    array([[5., 0., 5.],
           [5., 0., 5.]], dtype=float32)
    """
    trailing = mask.shape[next((i for i, s in enumerate(mask.shape) if s != 1), mask.ndim):]
    if (x.dtype not in _DTYPES or not x.flags.c_contiguous or not mask.flags.c_contiguous
            or mask.ndim > x.ndim or x.shape[x.ndim - len(trailing):] != trailing
            or not mask.size or not x.size):
        return None
    out = np.empty_like(x)
    n = mask.size
    masked_fill_rows(x.reshape(-1, n), mask.reshape(n), x.dtype.type(value), out.reshape(-1, n))
    return out


_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
