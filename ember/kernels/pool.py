"""Max pooling's loops: the window maxima with their positions, and the scatter back.

NumPy needs a pass over the whole activation per kernel offset (a compare, a maximum and an
index update each), and its scatter (``bincount``) works in float64. Here the forward reads
each window once and writes its maximum and flat position; the backward adds each output
gradient into the position its maximum came from. Both are parallel over the (sample,
channel) planes, so no two threads write the same pixel.

Every loop sees 3 spatial dims; 1-d and 2-d data come with unit dims in front (a view).
"""
from __future__ import annotations

from . import kernel, prange, threaded


@kernel()
def _first_inside(start, step):
    """The first tap k >= 0 with start + k * step >= 0 (taps before it are padding)."""
    return 0 if start >= 0 else (-start + step - 1) // step


# Threads only for large planes: a pool of LeNet's size takes ~0.3 ms serially, and waking
# Numba's threads between OpenBLAS's products costs about as much on a busy 2-core machine.
@threaded(grain=1 << 20)
def max_pool(x, values, index, kernel_size, stride, dilation, low):
    """values[n, c, z, y, x] = the maximum of x over the window at (z, y, x) * stride - low
    (taps outside x skipped), index[...] its flat position in the (D, H, W) plane.

    As in PyTorch, a later tap wins only if greater or NaN, so NaN propagates."""
    n_samples, channels, depth, height, width = x.shape
    od, oh, ow = values.shape[2:]
    kd, kh, kw = kernel_size
    for plane in prange(n_samples * channels):
        n = plane // channels
        c = plane % channels
        for zo in range(od):
            z0 = zo * stride[0] - low[0]
            z_first = _first_inside(z0, dilation[0])
            for yo in range(oh):
                y0 = yo * stride[1] - low[1]
                y_first = _first_inside(y0, dilation[1])
                for xo in range(ow):
                    x0 = xo * stride[2] - low[2]
                    x_first = _first_inside(x0, dilation[2])
                    iz = z0 + z_first * dilation[0]
                    iy = y0 + y_first * dilation[1]
                    ix = x0 + x_first * dilation[2]
                    best = x[n, c, iz, iy, ix]
                    where = (iz * height + iy) * width + ix
                    for a in range(z_first, kd):
                        iz = z0 + a * dilation[0]
                        if iz >= depth:
                            break
                        for b in range(y_first, kh):
                            iy = y0 + b * dilation[1]
                            if iy >= height:
                                break
                            for e in range(x_first, kw):
                                ix = x0 + e * dilation[2]
                                if ix >= width:
                                    break
                                v = x[n, c, iz, iy, ix]
                                if v > best or v != v:
                                    best = v
                                    where = (iz * height + iy) * width + ix
                    values[n, c, zo, yo, xo] = best
                    index[n, c, zo, yo, xo] = where


@kernel(inline="always")
def _pick(v, at, best, where):
    """The running maximum and its position after tap v at position at (greater or NaN
    wins), as selects rather than branches so the loop over a row vectorizes."""
    wins = (v > best) | (v != v)
    return (v if wins else best), (at if wins else where)


@threaded(grain=1 << 20)
def max_pool_2x2(x, values, index):
    """`max_pool` for 2x2 windows at stride 2 without padding or dilation, the common case,
    with the window loops written out. x: (N, C, H, W), values and index (N, C, H/2, W/2)."""
    n_samples, channels, height, width = x.shape
    oh, ow = values.shape[2:]
    for p in prange(n_samples * channels):
        n = p // channels
        c = p % channels
        for yo in range(oh):
            top = x[n, c, 2 * yo]
            bottom = x[n, c, 2 * yo + 1]
            row = 2 * yo * width
            for xo in range(ow):
                best, where = top[2 * xo], row + 2 * xo
                best, where = _pick(top[2 * xo + 1], row + 2 * xo + 1, best, where)
                best, where = _pick(bottom[2 * xo], row + width + 2 * xo, best, where)
                best, where = _pick(bottom[2 * xo + 1], row + width + 2 * xo + 1, best, where)
                values[n, c, yo, xo] = best
                index[n, c, yo, xo] = where


@threaded(grain=1 << 20)
def scatter_max(grad, index, out):
    """out[p, index[p, i]] += grad[p, i] over (P, L) planes, out (P, S) zeroed first."""
    planes, length = grad.shape
    for p in prange(planes):
        out[p, :] = 0
        for i in range(length):
            out[p, index[p, i]] += grad[p, i]
