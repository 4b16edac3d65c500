"""Resampling one dim at a time: which source entries each output entry reads, and weights.

Every interpolation mode (nearest, linear, cubic, area) and every non-constant padding mode
is separable: along each dim, output entry ``j`` is a weighted sum of a few source entries
("taps"). Here the taps are computed once as small host arrays ``index`` (T, out) and
``weight`` (T, out) (None: one tap of weight 1); `apply_taps` applies them with
``index_select`` and multiplies, so the gradient comes from those ops.
"""
from __future__ import annotations

import math

import numpy as np

from ... import _creation

_CUBIC_A = -0.75  # the bicubic convolution kernel's parameter, as in PyTorch (and OpenCV)


def nearest(n_in: int, n_out: int, scale: float, exact: bool):
    """Taps of 'nearest' (floor(j * scale)) or 'nearest-exact' (floor((j + 0.5) * scale))."""
    j = np.arange(n_out, dtype=np.float64)
    src = np.floor((j + 0.5) * scale if exact else j * scale).astype(np.int64)
    return np.minimum(src, n_in - 1)[None], None


def _source(n_in, n_out, scale, align_corners, clamp):
    j = np.arange(n_out, dtype=np.float64)
    if align_corners:
        return j * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    src = (j + 0.5) * scale - 0.5
    return np.maximum(src, 0.0) if clamp else src


def linear(n_in: int, n_out: int, scale: float, align_corners: bool):
    """Taps of linear interpolation: the two neighbours of each source coordinate."""
    src = _source(n_in, n_out, scale, align_corners, clamp=True)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    return np.stack([lo, hi]), np.stack([1 - frac, frac])


def _cubic_near(x):  # |x| <= 1
    return ((_CUBIC_A + 2) * x - (_CUBIC_A + 3)) * x * x + 1


def _cubic_far(x):  # 1 < |x| < 2
    return ((_CUBIC_A * x - 5 * _CUBIC_A) * x + 8 * _CUBIC_A) * x - 4 * _CUBIC_A


def cubic(n_in: int, n_out: int, scale: float, align_corners: bool):
    """Taps of cubic convolution: four neighbours, indices clamped at the borders."""
    src = _source(n_in, n_out, scale, align_corners, clamp=False)
    base = np.floor(src)
    t = src - base
    index = np.clip(base.astype(np.int64) + np.arange(-1, 3)[:, None], 0, n_in - 1)
    weight = np.stack([_cubic_far(t + 1), _cubic_near(t), _cubic_near(1 - t),
                       _cubic_far(2 - t)])
    return index, weight


def _triangle(x):
    return np.maximum(1.0 - np.abs(x), 0.0)


def _keys_cubic(x):  # a = -0.5, the kernel PIL's antialiased bicubic uses (PyTorch matches it)
    x = np.abs(x)
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def antialiased(n_in: int, n_out: int, scale: float, mode: str):
    """Taps of antialiased linear / cubic resampling: when shrinking, the filter is stretched
    by the scale so every source entry contributes (PIL's resampling; weights sum to 1)."""
    kernel, radius = (_triangle, 1.0) if mode == "bilinear" else (_keys_cubic, 2.0)
    stretch = max(scale, 1.0)
    center = scale * (np.arange(n_out) + 0.5)
    lo = np.maximum((center - radius * stretch + 0.5).astype(np.int64), 0)
    hi = np.minimum((center + radius * stretch + 0.5).astype(np.int64), n_in)
    taps = np.arange((hi - lo).max())[:, None]
    index = lo + taps
    weight = np.where(index < hi, kernel((index - center + 0.5) / stretch), 0.0)
    weight /= weight.sum(axis=0, keepdims=True)
    return np.minimum(index, n_in - 1), weight


def area(n_in: int, n_out: int):
    """Taps of adaptive average pooling: the mean over [floor(j*in/out), ceil((j+1)*in/out))."""
    j = np.arange(n_out)
    start = (j * n_in) // n_out
    end = -((-(j + 1) * n_in) // n_out)
    width = end - start
    taps = np.arange(width.max())[:, None]
    inside = taps < width
    index = np.where(inside, start + taps, start)
    return index, inside / width


def padding(mode: str, n: int, lo: int, hi: int):
    """Taps of reflect / replicate / circular padding by (lo, hi); negative amounts crop."""
    if mode == "circular":
        # PyTorch crops first, then wraps around what is left
        start, kept = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
        p = start + np.arange(-max(lo, 0), kept + max(hi, 0)) % kept
        return p[None], None
    p = np.arange(-lo, n + hi)
    if mode == "reflect":
        p = np.abs(p)
        p = np.where(p >= n, 2 * (n - 1) - p, p)
    else:
        p = np.clip(p, 0, n - 1)
    return p[None], None


def apply_taps(x, dim: int, index, weight):
    """Resample ``x`` along ``dim``: output j = sum over taps t of
    ``x[index[t, j]] * weight[t, j]``."""
    if weight is not None:
        weight = weight.astype(x.dtype.name if x.is_floating_point() else np.float32)
    out = None
    trailing = (1,) * (x.dim() - dim - 1)
    for t in range(index.shape[0]):
        part = x.index_select(dim, _creation.tensor(index[t], device=x.device))
        if weight is not None:
            part = part * _creation.tensor(weight[t].reshape((-1,) + trailing),
                                           device=x.device)
        out = part if out is None else out + part
    return out


def scale_of(n_in: int, n_out: int, scale_factor: float | None) -> float:
    """The source-per-output step: 1/scale_factor when one is given, else in/out."""
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return n_in / n_out if n_out else 0.0


def output_size(n_in: int, scale_factor: float) -> int:
    return math.floor(float(n_in) * scale_factor)
