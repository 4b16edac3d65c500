"""Convolution's data movement: im2col, its adjoint col2im, and the transposed copy between
sample-major (N, C, L) and channel-major (C, N, L) layouts.

The convolution ops (``ember/ops/conv.py``) make every layer ONE matrix product over all
samples at once, with the columns laid out as (C * prod(kernel), N * prod(out)): a row per
input channel and kernel tap, a column per output pixel of every sample. These loops build
that matrix straight from the unpadded input (the zero padding is written as they go, so no
padded copy of the input is made), in parallel over the rows, and scatter it back.

Every loop sees 3 spatial dims; 1-d and 2-d data come with unit dims in front (a view).
"""
from __future__ import annotations

from . import kernel, prange


@kernel(parallel=True)
def im2col(x, cols, kernel_size, stride, dilation, low, out):
    """cols[(c, kz, ky, kx), n, (z, y, x)] = x[n, c, z*s - low + kz*dil, ...], 0 outside x.

    x: (N, C, D, H, W); cols: (C * kd * kh * kw, N, od * oh * ow), any strides.
    """
    n_samples, channels, depth, height, width = x.shape
    kd, kh, kw = kernel_size
    od, oh, ow = out
    rows = channels * kd * kh * kw
    for r in prange(rows):
        kx = r % kw
        ky = (r // kw) % kh
        kz = (r // (kw * kh)) % kd
        c = r // (kw * kh * kd)
        x0 = kx * dilation[2] - low[2]
        # the output columns whose input column falls inside x: [first, last)
        first = min(ow, max(0, -(x0 // stride[2])))
        last = max(first, min(ow, -((x0 - width) // stride[2])))
        for n in range(n_samples):
            for zo in range(od):
                iz = zo * stride[0] - low[0] + kz * dilation[0]
                for yo in range(oh):
                    iy = yo * stride[1] - low[1] + ky * dilation[1]
                    base = (zo * oh + yo) * ow
                    if iz < 0 or iz >= depth or iy < 0 or iy >= height:
                        for xo in range(ow):
                            cols[r, n, base + xo] = 0
                        continue
                    for xo in range(first):
                        cols[r, n, base + xo] = 0
                    if stride[2] == 1:     # (a contiguous copy, vectorized)
                        for xo in range(first, last):
                            cols[r, n, base + xo] = x[n, c, iz, iy, x0 + xo]
                    else:
                        for xo in range(first, last):
                            cols[r, n, base + xo] = x[n, c, iz, iy, x0 + xo * stride[2]]
                    for xo in range(last, ow):
                        cols[r, n, base + xo] = 0


@kernel(parallel=True)
def col2im(cols, x, kernel_size, stride, dilation, low, out):
    """The adjoint of `im2col`: x[n, c, ...] = the sum of the column entries read from it.

    Entries that `im2col` would have read from the padding are dropped. Parallel over the
    (sample, channel) planes of x, so no two threads add into the same pixel.
    """
    n_samples, channels, depth, height, width = x.shape
    kd, kh, kw = kernel_size
    od, oh, ow = out
    for plane in prange(n_samples * channels):
        n = plane // channels
        c = plane % channels
        for iz in range(depth):
            for iy in range(height):
                for ix in range(width):
                    x[n, c, iz, iy, ix] = 0
        for k in range(kd * kh * kw):
            kx = k % kw
            ky = (k // kw) % kh
            kz = k // (kw * kh)
            r = c * kd * kh * kw + k
            x0 = kx * dilation[2] - low[2]
            first = min(ow, max(0, -(x0 // stride[2])))
            last = max(first, min(ow, -((x0 - width) // stride[2])))
            for zo in range(od):
                iz = zo * stride[0] - low[0] + kz * dilation[0]
                if iz < 0 or iz >= depth:
                    continue
                for yo in range(oh):
                    iy = yo * stride[1] - low[1] + ky * dilation[1]
                    if iy < 0 or iy >= height:
                        continue
                    base = (zo * oh + yo) * ow
                    for xo in range(first, last):
                        x[n, c, iz, iy, x0 + xo * stride[2]] += cols[r, n, base + xo]


@kernel(parallel=True)
def swap_leading(src, dst):
    """dst[b, a, :] = src[a, b, :]: (N, C, L) <-> (C, N, L), whole rows at a time."""
    a_size, b_size, length = src.shape
    for ab in prange(a_size * b_size):
        a = ab // b_size
        b = ab % b_size
        for i in range(length):
            dst[b, a, i] = src[a, b, i]
