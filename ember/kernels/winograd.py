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


@kernel()
def input_transform(x, v, low_y, low_x, tiles_y, tiles_x):
    """v[4a + b, c, p] = (B^T d B)[a, b], d the 4x4 patch of x (N, C, H, W) at
    (2i - low_y, 2j - low_x), zero outside x."""
    n_samples, channels, height, width = x.shape
    rows, cols = 2 * tiles_y + 2, 2 * tiles_x + 2
    # the patch columns that fall inside x
    first = min(cols, max(0, low_x))
    last = max(first, min(cols, width + low_x))
    for plane in range(n_samples * channels):
        n = plane // channels
        c = plane % channels
        d = np.zeros((rows, cols), dtype=v.dtype)   # the plane, zero-padded to whole tiles
        for r in range(rows):
            iy = r - low_y
            if 0 <= iy < height:
                for q in range(first, last):
                    d[r, q] = x[n, c, iy, q - low_x]
        # B^T d down the columns of a whole row of tiles at once, then d B along the row:
        # loops over contiguous memory, which LLVM vectorizes
        t = np.empty((4, cols), dtype=v.dtype)
        for i in range(tiles_y):
            r = 2 * i
            for q in range(cols):
                t[0, q] = d[r, q] - d[r + 2, q]
                t[1, q] = d[r + 1, q] + d[r + 2, q]
                t[2, q] = d[r + 2, q] - d[r + 1, q]
                t[3, q] = d[r + 1, q] - d[r + 3, q]
            p = (n * tiles_y + i) * tiles_x
            for a in range(4):
                for j in range(tiles_x):
                    v[4 * a + 0, c, p + j] = t[a, 2 * j] - t[a, 2 * j + 2]
                    v[4 * a + 1, c, p + j] = t[a, 2 * j + 1] + t[a, 2 * j + 2]
                    v[4 * a + 2, c, p + j] = t[a, 2 * j + 2] - t[a, 2 * j + 1]
                    v[4 * a + 3, c, p + j] = t[a, 2 * j + 1] - t[a, 2 * j + 3]


@kernel()
def output_transform(m, y, tiles_y, tiles_x):
    """y[n, o, 2i + a, 2j + b] = (A^T M A)[a, b] with M[e] = m[e, o, p]; the parts of edge
    tiles beyond y are dropped."""
    n_samples, channels, height, width = y.shape
    for plane in range(n_samples * channels):
        n = plane // channels
        o = plane % channels
        t = np.empty((2, 4, tiles_x), dtype=m.dtype)
        row = np.empty(2 * tiles_x, dtype=m.dtype)
        for i in range(tiles_y):
            p = (n * tiles_y + i) * tiles_x
            for k in range(4):      # A^T M for the row of tiles
                for j in range(tiles_x):
                    t[0, k, j] = m[k, o, p + j] + m[4 + k, o, p + j] + m[8 + k, o, p + j]
                    t[1, k, j] = m[4 + k, o, p + j] - m[8 + k, o, p + j] - m[12 + k, o, p + j]
            for a in range(2):      # (A^T M) A
                oy = 2 * i + a
                if oy < height:
                    for j in range(tiles_x):
                        row[2 * j] = t[a, 0, j] + t[a, 1, j] + t[a, 2, j]
                        row[2 * j + 1] = t[a, 1, j] - t[a, 2, j] - t[a, 3, j]
                    for ox in range(width):
                        y[n, o, oy, ox] = row[ox]


@kernel()
def output_transform_adjoint(g, m, tiles_y, tiles_x):
    """The adjoint of `output_transform`: m[e, o, p] = (A g A^T)[e] for the 2x2 tile g of
    y's gradient (N, O, Ho, Wo), zero beyond it."""
    n_samples, channels, height, width = g.shape
    for plane in range(n_samples * channels):
        n = plane // channels
        o = plane % channels
        g2 = np.zeros((2, 2 * tiles_x), dtype=m.dtype)  # a row of tiles, zero beyond g
        t = np.empty((4, 2 * tiles_x), dtype=m.dtype)
        for i in range(tiles_y):
            for a in range(2):
                if 2 * i + a < height:
                    for ox in range(width):
                        g2[a, ox] = g[n, o, 2 * i + a, ox]
                else:
                    g2[a, :] = 0
            for q in range(2 * tiles_x):     # A g down the columns
                t[0, q] = g2[0, q]
                t[1, q] = g2[0, q] + g2[1, q]
                t[2, q] = g2[0, q] - g2[1, q]
                t[3, q] = -g2[1, q]
            p = (n * tiles_y + i) * tiles_x
            for a in range(4):               # (A g) A^T along the row
                for j in range(tiles_x):
                    m[4 * a + 0, o, p + j] = t[a, 2 * j]
                    m[4 * a + 1, o, p + j] = t[a, 2 * j] + t[a, 2 * j + 1]
                    m[4 * a + 2, o, p + j] = t[a, 2 * j] - t[a, 2 * j + 1]
                    m[4 * a + 3, o, p + j] = -t[a, 2 * j + 1]
