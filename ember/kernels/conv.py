"""Convolution's data movement: im2col and its adjoint col2im.

The convolution ops (``ember/ops/conv.py``) make a layer one matrix product per sample,
``w (O, C * prod(kernel)) @ columns (C * prod(kernel), prod(out))``, written straight into the
sample's NCHW output. These loops build the columns (a row per input channel and kernel tap,
a column per output pixel) from the unpadded input, writing the zero padding as they go, and
scatter them back.

Every loop sees 3 spatial dims; 1-d and 2-d data come with unit dims in front (a view). The
innermost loops index with unsigned integers: NumPy's negative-index wraparound, which Numba
checks on every signed index, keeps LLVM from vectorizing a copy (measured 6x slower).
"""
from __future__ import annotations

import numpy as np

from . import kernel


@kernel()
def _inside(offset, step, size, out):
    """The output positions [first, last) whose input position offset + o * step lies in
    [0, size)."""
    first = min(out, max(0, -(offset // step)))
    return first, max(first, min(out, -((offset - size) // step)))


@kernel()
def _zero(row, start, stop):
    for j in range(start, stop):
        row[np.uint64(j)] = 0


# Serial: the products between these loops run on OpenBLAS's threads, and Numba's waking
# on the same cores right after each one made whole layers 2-3x slower (measured).
@kernel()
def im2col(x, cols, kernel_size, stride, dilation, low, out):
    """cols[n, (c, kz, ky, kx), (z, y, x)] = x[n, c, z*s - low + kz*dil, ...], 0 outside x.

    x: (N, C, D, H, W) and cols: (N, C * kd * kh * kw, od * oh * ow), both of any strides.
    """
    n_samples, channels, depth, height, width = x.shape
    kd, kh, kw = kernel_size
    od, oh, ow = out
    sz, sy, sx = stride
    rows = channels * kd * kh * kw
    for task in range(n_samples * rows):
        n = task // rows
        r = task % rows
        kx = r % kw
        ky = (r // kw) % kh
        kz = (r // (kw * kh)) % kd
        c = r // (kw * kh * kd)
        y0 = ky * dilation[1] - low[1]
        x0 = kx * dilation[2] - low[2]
        top, bottom = _inside(y0, sy, height, oh)
        left, right = _inside(x0, sx, width, ow)
        column = cols[n, r]
        for zo in range(od):
            iz = zo * sz - low[0] + kz * dilation[0]
            plane = zo * oh * ow
            if iz < 0 or iz >= depth:
                _zero(column, plane, plane + oh * ow)
                continue
            _zero(column, plane, plane + top * ow)
            for yo in range(top, bottom):
                start = plane + yo * ow
                iy = y0 + yo * sy
                _zero(column, start, start + left)
                for j in range(left, right):
                    column[np.uint64(start + j)] = x[n, c, iz, iy, np.uint64(x0 + j * sx)]
                _zero(column, start + right, start + ow)
            _zero(column, plane + bottom * ow, plane + oh * ow)


@kernel()
def col2im(cols, x, kernel_size, stride, dilation, low, out):
    """The adjoint of `im2col`: x[n, c, ...] = the sum of the column entries read from it.

    Entries that `im2col` would have read from the padding are dropped. Parallel over the
    (sample, channel) planes of x, so no two threads add into the same pixel.
    """
    n_samples, channels, depth, height, width = x.shape
    kd, kh, kw = kernel_size
    od, oh, ow = out
    sz, sy, sx = stride
    for task in range(n_samples * channels):
        n = task // channels
        c = task % channels
        x[n, c] = 0
        for k in range(kd * kh * kw):
            kx = k % kw
            ky = (k // kw) % kh
            kz = k // (kw * kh)
            column = cols[n, c * kd * kh * kw + k]
            y0 = ky * dilation[1] - low[1]
            x0 = kx * dilation[2] - low[2]
            top, bottom = _inside(y0, sy, height, oh)
            left, right = _inside(x0, sx, width, ow)
            for zo in range(od):
                iz = zo * sz - low[0] + kz * dilation[0]
                if iz < 0 or iz >= depth:
                    continue
                for yo in range(top, bottom):
                    start = zo * oh * ow + yo * ow
                    target = x[n, c, iz, y0 + yo * sy]
                    for j in range(left, right):
                        target[np.uint64(x0 + j * sx)] += column[np.uint64(start + j)]


@kernel()
def wide_columns(x, cols, low_y, low_x, dil_y, dil_x, kh, kw, oh, width):
    """The im2col columns of a stride-1 2-d convolution in "wide" rows: cols[n, (c, ky, kx),
    i * width + j] = x[n, c, i + ky * dil_y - low_y, j + kx * dil_x - low_x], 0 outside x,
    for j up to width = ow + dil_x * (kw - 1) (the columns past ow are not outputs).

    Laid out so, every row of the columns is one contiguous stretch of the zero-padded input
    plane, copied in one long loop rather than oh short ones with bounds to check.
    x: (N, C, H, W), cols: (N, C * kh * kw, oh * width), contiguous.
    """
    n_samples, channels, height, in_width = x.shape
    length = oh * width
    rows = oh + dil_y * (kh - 1) + 1   # (+1: the last tap's stretch runs past the plane)
    top = max(0, -low_y)
    bottom = min(height, rows - low_y)
    left = max(0, -low_x)
    right = min(in_width, width - low_x)
    planes = np.empty((channels, rows * width), dtype=x.dtype)
    for n in range(n_samples):
        planes[:] = 0
        for c in range(channels):
            plane = planes[c]
            for i in range(top, bottom):
                start = (i + low_y) * width + low_x
                for j in range(left, right):
                    plane[np.uint64(start + j)] = x[n, c, i, np.uint64(j)]
            for ky in range(kh):
                for kx in range(kw):
                    offset = ky * dil_y * width + kx * dil_x
                    column = cols[n, (c * kh + ky) * kw + kx]
                    for p in range(length):
                        column[np.uint64(p)] = plane[np.uint64(offset + p)]


@kernel()
def wide_col2im(cols, x, low_y, low_x, dil_y, dil_x, kh, kw, oh, width):
    """The adjoint of `wide_columns`: x[n, c] = the sum of the wide column entries read from
    each pixel (entries read from the padding are dropped; the columns past each row's
    outputs must be zero). Each (sample, channel) plane is summed in a zero-padded copy, one
    long loop per kernel tap, then its interior copied out.
    cols: (N, C * kh * kw, oh * width), x: (N, C, H, W)."""
    n_samples, channels, height, in_width = x.shape
    length = oh * width
    rows = oh + dil_y * (kh - 1) + 1
    top = max(0, -low_y)
    bottom = min(height, rows - low_y)
    left = max(0, -low_x)
    right = min(in_width, width - low_x)
    plane = np.empty(rows * width, dtype=x.dtype)
    for n in range(n_samples):
        for c in range(channels):
            plane[:] = 0
            for ky in range(kh):
                for kx in range(kw):
                    offset = ky * dil_y * width + kx * dil_x
                    column = cols[n, (c * kh + ky) * kw + kx]
                    for p in range(length):
                        plane[np.uint64(offset + p)] += column[np.uint64(p)]
            x[n, c] = 0
            for i in range(top, bottom):
                start = (i + low_y) * width + low_x
                for j in range(left, right):
                    x[n, c, i, np.uint64(j)] = plane[np.uint64(start + j)]
