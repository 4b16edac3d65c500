"""Convolution's data movement: im2col, its adjoint col2im, and the transposed copy between
sample-major (N, C, L) and channel-major (C, N, L) layouts.

The convolution ops (``ember/ops/conv.py``) make a layer one matrix product per chunk of
samples, with the columns laid out as (C * prod(kernel), N * prod(out)): a row per input
channel and kernel tap, a column per output pixel of every sample of the chunk. These loops build
that matrix straight from the unpadded input (the zero padding is written as they go, so no
padded copy of the input is made), in parallel over the rows, and scatter it back.

Every loop sees 3 spatial dims; 1-d and 2-d data come with unit dims in front (a view).
"""
from __future__ import annotations

from . import kernel, prange


@kernel()
def _inside(offset, step, size, out):
    """The output positions [first, last) whose input position offset + o * step lies in
    [0, size)."""
    first = min(out, max(0, -(offset // step)))
    return first, max(first, min(out, -((offset - size) // step)))


@kernel(parallel=True)
def im2col(x, cols, kernel_size, stride, dilation, low, out):
    """cols[(c, kz, ky, kx), n, z, y, x] = x[n, c, z*s - low + kz*dil, ...], 0 outside x.

    x: (N, C, D, H, W) and cols: (C * kd * kh * kw, N, od, oh, ow), both of any strides (the
    columns may be a view of channel-major or of sample-major memory).
    """
    n_samples, channels, depth, height, width = x.shape
    kd, kh, kw = kernel_size
    od, oh, ow = out
    sz, sy, sx = stride
    for r in prange(channels * kd * kh * kw):
        kx = r % kw
        ky = (r // kw) % kh
        kz = (r // (kw * kh)) % kd
        c = r // (kw * kh * kd)
        y0 = ky * dilation[1] - low[1]
        x0 = kx * dilation[2] - low[2]
        top, bottom = _inside(y0, sy, height, oh)
        left, right = _inside(x0, sx, width, ow)
        for n in range(n_samples):
            for zo in range(od):
                iz = zo * sz - low[0] + kz * dilation[0]
                # one (oh, ow) block per slice assignment: whole-block slices, not per-element
                # indexing (an index that could be negative gets a wraparound check per
                # element, which keeps LLVM from vectorizing)
                block = cols[r, n, zo]
                if iz < 0 or iz >= depth or top == bottom or left == right:
                    block[:, :] = 0
                    continue
                block[:top, :] = 0
                block[bottom:, :] = 0
                block[top:bottom, :left] = 0
                block[top:bottom, right:] = 0
                block[top:bottom, left:right] = x[
                    n, c, iz, y0 + top * sy:y0 + (bottom - 1) * sy + 1:sy,
                    x0 + left * sx:x0 + (right - 1) * sx + 1:sx]


@kernel(parallel=True)
def col2im(cols, x, kernel_size, stride, dilation, low, out):
    """The adjoint of `im2col`: x[n, c, ...] = the sum of the column entries read from it.

    Entries that `im2col` would have read from the padding are dropped. Parallel over the
    (sample, channel) planes of x, so no two threads add into the same pixel.
    """
    n_samples, channels, depth, height, width = x.shape
    kd, kh, kw = kernel_size
    od, oh, ow = out
    sz, sy, sx = stride
    for plane in prange(n_samples * channels):
        n = plane // channels
        c = plane % channels
        x[n, c] = 0
        for k in range(kd * kh * kw):
            kx = k % kw
            ky = (k // kw) % kh
            kz = k // (kw * kh)
            r = c * kd * kh * kw + k
            y0 = ky * dilation[1] - low[1]
            x0 = kx * dilation[2] - low[2]
            top, bottom = _inside(y0, sy, height, oh)
            left, right = _inside(x0, sx, width, ow)
            if top == bottom or left == right:
                continue
            for zo in range(od):
                iz = zo * sz - low[0] + kz * dilation[0]
                if 0 <= iz < depth:
                    source = cols[r, n, zo, top:bottom, left:right]
                    target = x[n, c, iz, y0 + top * sy:y0 + (bottom - 1) * sy + 1:sy,
                               x0 + left * sx:x0 + (right - 1) * sx + 1:sx]
                    for a in range(bottom - top):   # (an explicit loop: `+=` on slices
                        for b in range(right - left):   # would build a temporary)
                            target[a, b] += source[a, b]


@kernel(parallel=True)
def swap_leading(src, dst):
    """dst[b, a, :] = src[a, b, :]: (N, C, L) <-> (C, N, L), whole rows at a time."""
    a_size, b_size, length = src.shape
    for ab in prange(a_size * b_size):
        a = ab // b_size
        b = ab % b_size
        for i in range(length):
            dst[b, a, i] = src[a, b, i]
