"""Max pooling's forward and backward: one pass over each (sample, channel) plane.

NumPy takes a running maximum over the window offsets as strided views, a handful of passes
per offset (compare, NaN test, maximum, index update); here each window is scanned once and
its maximum and flat index written together. Every loop sees 3 spatial dims; 1-d and 2-d
pooling come with unit dims in front.
"""
from __future__ import annotations

import math

from . import prange, threaded


@threaded()
def max_pool(x, values, index, kernel_size, stride, dilation, low):
    """values[n, c, o] = the largest x[n, c] in window o (NaN wins, then the first of equal
    entries, as in PyTorch), index = its flat position in x[n, c]; positions in the padding
    are skipped (every window holds at least one entry of x).

    x: (N, C, D, H, W) of any strides; values, index: (N, C, od, oh, ow).
    """
    n_samples, channels, depth, height, width = x.shape
    _, _, od, oh, ow = values.shape
    kd, kh, kw = kernel_size
    for plane in prange(n_samples * channels):
        n = plane // channels
        c = plane % channels
        for zo in range(od):
            for yo in range(oh):
                for xo in range(ow):
                    best = x[n, c, 0, 0, 0]
                    where = -1
                    for kz in range(kd):
                        iz = zo * stride[0] - low[0] + kz * dilation[0]
                        if iz < 0 or iz >= depth:
                            continue
                        for ky in range(kh):
                            iy = yo * stride[1] - low[1] + ky * dilation[1]
                            if iy < 0 or iy >= height:
                                continue
                            for kx in range(kw):
                                ix = xo * stride[2] - low[2] + kx * dilation[2]
                                if ix < 0 or ix >= width:
                                    continue
                                v = x[n, c, iz, iy, ix]
                                if where < 0 or v > best or math.isnan(v):
                                    best = v
                                    where = ix + width * (iy + height * iz)
                    values[n, c, zo, yo, xo] = best
                    index[n, c, zo, yo, xo] = where


@threaded()
def max_pool_backward(grad, index, grad_x):
    """grad_x[p, index[p, o]] += grad[p, o] for each plane p: (N*C, outputs) and
    (N*C, inputs); parallel over the planes, so no two threads add into the same entry."""
    planes, outputs = grad.shape
    for p in prange(planes):
        grad_x[p, :] = 0
        for o in range(outputs):
            grad_x[p, index[p, o]] += grad[p, o]
