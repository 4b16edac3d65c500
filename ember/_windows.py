"""Window functions for spectral analysis: Hann, Hamming, Blackman, Bartlett and Kaiser.

A periodic window of length N is the symmetric window of length N + 1 without its last
point (what the DFT wants); lengths 0 and 1 give an empty window and ``[1.]``.
"""
from __future__ import annotations

import math

import numpy as np

from . import _dtype as dt
from ._creation import tensor
from .ops import _gamma


def _window(name: str, shape):
    """A window function built from ``shape(n, m)``: n = 0..m-1 sample positions, m points."""
    def window(window_length: int, periodic: bool = True, *args, dtype=None, layout=None,
               device=None, requires_grad: bool = False):
        target = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
        if not (target.is_floating_point or target.is_complex):
            raise RuntimeError(f"{name} expects floating point dtypes, got: {target}")
        if window_length < 0:
            raise RuntimeError(f"{name} requires non-negative window_length, got "
                               f"window_length={window_length}")
        if window_length > 1 and target.is_complex:  # PyTorch's positions come from arange
            raise NotImplementedError(f"{name}: \"arange_cpu\" not implemented for '{target}'")
        if window_length <= 1:
            values = np.ones(window_length)
        else:
            m = window_length + 1 if periodic else window_length
            values = shape(np.arange(m, dtype=np.float64), m, *args)[:window_length]
        return tensor(values, dtype=target, device=device, requires_grad=requires_grad)
    window.__name__ = window.__qualname__ = name
    return window


def _cosine_sum(*coefficients):
    def shape(n, m):
        phase = 2 * math.pi * n / (m - 1)
        return sum((-1) ** k * a * np.cos(k * phase) for k, a in enumerate(coefficients))
    return shape


def _hamming(n, m, alpha=0.54, beta=0.46):
    return alpha - beta * np.cos(2 * math.pi * n / (m - 1))


def _bartlett(n, m):
    return 1 - np.abs(2 * n / (m - 1) - 1)


def _kaiser(n, m, beta=12.0):
    half = (m - 1) / 2
    inside = np.sqrt(np.clip(1 - ((n - half) / half) ** 2, 0, None))
    return _gamma.i0(np, beta * inside) / _gamma.i0(np, np.array([float(beta)]))


hann_window = _window("hann_window", _cosine_sum(0.5, 0.5))
hann_window.__doc__ = "The Hann window ``0.5 - 0.5 cos(2 pi n / (N - 1))``."
hamming_window = _window("hamming_window", _hamming)
hamming_window.__doc__ = ("The Hamming window ``alpha - beta cos(2 pi n / (N - 1))`` "
                          "(alpha=0.54, beta=0.46).")
blackman_window = _window("blackman_window", _cosine_sum(0.42, 0.5, 0.08))
blackman_window.__doc__ = "The Blackman window, a three-term cosine sum."
bartlett_window = _window("bartlett_window", _bartlett)
bartlett_window.__doc__ = "The triangular Bartlett window ``1 - |2n / (N - 1) - 1|``."
kaiser_window = _window("kaiser_window", _kaiser)
kaiser_window.__doc__ = "The Kaiser window ``i0(beta sqrt(1 - (2n/(N-1) - 1)**2)) / i0(beta)``."
