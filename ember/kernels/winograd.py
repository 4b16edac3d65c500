"""The tile transforms of Winograd's F(2x2, 3x3) convolution (``ember/ops/_winograd.py``).

A 3x3 convolution of a 4x4 input patch ``d`` gives a 2x2 output tile; Winograd computes it as
``A^T [(G g G^T) * (B^T d B)] A``, 16 products where the direct form takes 36. Over channels
the elementwise product becomes 16 matrix products, one per entry of the 4x4 transformed
tile; the transforms here are the loops before and after them, parallel over the
(sample, channel) planes. With

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

the transforms only add and subtract, so they lose no precision of their own; the rounding
of the products is what differs from the direct form (see ``ember/ops/_winograd.py``).
Transformed arrays are (16, channels, tiles), tile p = (n * tiles_y + i) * tiles_x + j.
"""
from __future__ import annotations

import numpy as np

from . import kernel, prange


@kernel(parallel=True)
def input_transform(x, v, low_y, low_x, tiles_y, tiles_x):
    """v[4a + b, c, p] = (B^T d B)[a, b], d the 4x4 patch of x (N, C, H, W) at
    (2i - low_y, 2j - low_x), zero outside x."""
    n_samples, channels, height, width = x.shape
    rows, cols = 2 * tiles_y + 2, 2 * tiles_x + 2
    # the patch columns that fall inside x
    first = min(cols, max(0, low_x))
    last = max(first, min(cols, width + low_x))
    for plane in prange(n_samples * channels):
        n = plane // channels
        c = plane % channels
        d = np.zeros((rows, cols), dtype=v.dtype)   # the plane, zero-padded to whole tiles
        for r in range(rows):
            iy = r - low_y
            if 0 <= iy < height:
                for q in range(first, last):
                    d[r, q] = x[n, c, iy, q - low_x]
        t = np.empty((4, 4), dtype=v.dtype)
        p = n * tiles_y * tiles_x
        for i in range(tiles_y):
            r = 2 * i
            for j in range(tiles_x):
                q = 2 * j
                for k in range(4):
                    t[0, k] = d[r, q + k] - d[r + 2, q + k]
                    t[1, k] = d[r + 1, q + k] + d[r + 2, q + k]
                    t[2, k] = d[r + 2, q + k] - d[r + 1, q + k]
                    t[3, k] = d[r + 1, q + k] - d[r + 3, q + k]
                for a in range(4):
                    v[4 * a + 0, c, p] = t[a, 0] - t[a, 2]
                    v[4 * a + 1, c, p] = t[a, 1] + t[a, 2]
                    v[4 * a + 2, c, p] = t[a, 2] - t[a, 1]
                    v[4 * a + 3, c, p] = t[a, 1] - t[a, 3]
                p += 1


@kernel(parallel=True)
def output_transform(m, y, tiles_y, tiles_x):
    """y[n, o, 2i + a, 2j + b] = (A^T M A)[a, b] with M[e] = m[e, o, p]; the parts of edge
    tiles beyond y are dropped."""
    n_samples, channels, height, width = y.shape
    for plane in prange(n_samples * channels):
        n = plane // channels
        o = plane % channels
        t = np.empty((2, 4), dtype=m.dtype)
        p = n * tiles_y * tiles_x
        for i in range(tiles_y):
            for j in range(tiles_x):
                for k in range(4):
                    t[0, k] = m[k, o, p] + m[4 + k, o, p] + m[8 + k, o, p]
                    t[1, k] = m[4 + k, o, p] - m[8 + k, o, p] - m[12 + k, o, p]
                for a in range(2):
                    oy = 2 * i + a
                    if oy < height:
                        y[n, o, oy, 2 * j] = t[a, 0] + t[a, 1] + t[a, 2]
                        if 2 * j + 1 < width:
                            y[n, o, oy, 2 * j + 1] = t[a, 1] - t[a, 2] - t[a, 3]
                p += 1


@kernel(parallel=True)
def output_transform_adjoint(g, m, tiles_y, tiles_x):
    """The adjoint of `output_transform`: m[e, o, p] = (A g A^T)[e] for the 2x2 tile g of
    y's gradient (N, O, Ho, Wo), zero beyond it."""
    n_samples, channels, height, width = g.shape
    for plane in prange(n_samples * channels):
        n = plane // channels
        o = plane % channels
        tile = np.zeros((2, 2), dtype=m.dtype)
        t = np.empty((4, 2), dtype=m.dtype)
        p = n * tiles_y * tiles_x
        for i in range(tiles_y):
            for j in range(tiles_x):
                for a in range(2):
                    for b in range(2):
                        oy, ox = 2 * i + a, 2 * j + b
                        tile[a, b] = g[n, o, oy, ox] if oy < height and ox < width else 0
                for b in range(2):      # t = A g
                    t[0, b] = tile[0, b]
                    t[1, b] = tile[0, b] + tile[1, b]
                    t[2, b] = tile[0, b] - tile[1, b]
                    t[3, b] = -tile[1, b]
                for a in range(4):      # (A g) A^T
                    m[4 * a + 0, o, p] = t[a, 0]
                    m[4 * a + 1, o, p] = t[a, 0] + t[a, 1]
                    m[4 * a + 2, o, p] = t[a, 0] - t[a, 1]
                    m[4 * a + 3, o, p] = -t[a, 1]
                p += 1
