"""Convolution's data movement: im2col, its adjoint col2im, and the transposed copy between
sample-major (N, C, L) and channel-major (C, N, L) layouts.

The convolution ops (``ember/ops/conv.py``) make a layer one matrix product per chunk of
samples, with the columns laid out as (C * prod(kernel), N * prod(out)): a row per input
channel and kernel tap, a column per output pixel of every sample of the chunk. These loops build
that matrix, and scatter it back, one (sample, channel) plane at a time, in parallel over the
planes: the plane is copied into a zero border wide enough for every window (a few KB, in L1),
so the copy loops have no bounds logic and run over contiguous rows, which LLVM vectorizes.

Every loop sees 3 spatial dims; 1-d and 2-d data come with unit dims in front (a view).
"""
from __future__ import annotations

import numpy as np

from . import kernel, prange


@kernel(inline="always")
def _padded_plane(x, n, c, low, size, dtype):
    """x[n, c] inside a zero border: ``size`` (D, H, W) with ``low`` zeros before each dim."""
    _, _, depth, height, width = x.shape
    d = np.zeros(size, dtype=dtype)
    for z in range(depth):
        for y in range(height):
            for q in range(width):
                d[z + low[0], y + low[1], q + low[2]] = x[n, c, z, y, q]
    return d


@kernel(parallel=True)
def im2col(x, cols, kernel_size, stride, dilation, low, size):
    """cols[(c, kz, ky, kx), n, z, y, x] = x[n, c, z*s - low + kz*dil, ...], 0 outside x.

    x: (N, C, D, H, W) and cols: (C * kd * kh * kw, N, od, oh, ow), both of any strides (the
    columns may be a view of channel-major or of sample-major memory); ``size``: x's dims
    with the zero border around them that the windows reach.
    """
    n_samples, channels = x.shape[:2]
    kd, kh, kw = kernel_size
    _, _, od, oh, ow = cols.shape
    sz, sy, sx = stride
    for plane in prange(n_samples * channels):
        n = plane // channels
        c = plane % channels
        # every window reads inside this padded copy: no bounds logic in the copy loops
        d = _padded_plane(x, n, c, low, size, cols.dtype)
        for k in range(kd * kh * kw):
            kx = k % kw
            ky = (k // kw) % kh
            kz = k // (kw * kh)
            r = c * kd * kh * kw + k
            for zo in range(od):
                iz = zo * sz + kz * dilation[0]
                for yo in range(oh):
                    iy = yo * sy + ky * dilation[1]
                    ix = kx * dilation[2]
                    for xo in range(ow):
                        cols[r, n, zo, yo, xo] = d[iz, iy, ix + xo * sx]


@kernel(parallel=True)
def col2im(cols, x, kernel_size, stride, dilation, low, size):
    """The adjoint of `im2col`: x[n, c, ...] = the sum of the column entries read from it.

    Entries that `im2col` would have read from the border are dropped. Parallel over the
    (sample, channel) planes of x, so no two threads add into the same pixel.
    """
    n_samples, channels, depth, height, width = x.shape
    kd, kh, kw = kernel_size
    _, _, od, oh, ow = cols.shape
    sz, sy, sx = stride
    for plane in prange(n_samples * channels):
        n = plane // channels
        c = plane % channels
        d = np.zeros(size, dtype=x.dtype)
        for k in range(kd * kh * kw):
            kx = k % kw
            ky = (k // kw) % kh
            kz = k // (kw * kh)
            r = c * kd * kh * kw + k
            for zo in range(od):
                iz = zo * sz + kz * dilation[0]
                for yo in range(oh):
                    iy = yo * sy + ky * dilation[1]
                    ix = kx * dilation[2]
                    for xo in range(ow):
                        d[iz, iy, ix + xo * sx] += cols[r, n, zo, yo, xo]
        for z in range(depth):
            for y in range(height):
                for q in range(width):
                    x[n, c, z, y, q] = d[z + low[0], y + low[1], q + low[2]]


@kernel(parallel=True)
def swap_leading(src, dst):
    """dst[b, a, :] = src[a, b, :]: (N, C, L) <-> (C, N, L), whole rows at a time."""
    a_size, b_size, length = src.shape
    for ab in prange(a_size * b_size):
        a = ab // b_size
        b = ab % b_size
        for i in range(length):
            dst[b, a, i] = src[a, b, i]
