"""Pooling: `max_pool1d/2d/3d` and `avg_pool1d/2d/3d` over the `max_pool`/`avg_pool` ops."""
from __future__ import annotations

from ...ops import TABLE
from ...ops.pool import pooled_size
from ._utils import batched, ntuple

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d"]

_max_pool = TABLE["max_pool"].fn
_avg_pool = TABLE["avg_pool"].fn


def _geometry(x, kernel, stride, padding, dilation, ceil_mode, fn):
    """Per-dim (low, high) padding and the extra high padding ceil_mode needs."""
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{fn}(): pad should be at most half of effective kernel size, "
                               f"but got pad={p}, kernel_size={k} and dilation={d}")
    pads, extra = [], []
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation):
        out, hi = pooled_size(size, k, s, p, p, d, ceil_mode)
        if out <= 0:
            raise RuntimeError(f"{fn}(): Given input size: {list(x.shape[1:])}. Calculated "
                               f"output size is too small")
        pads.append((p, p))
        extra.append(hi - p)
    return tuple(pads), tuple(extra)


def _max_poolnd(n, fn):
    def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
        x, unbatched = batched(input, n, fn)
        kernel = ntuple(kernel_size, n, "kernel_size", fn)
        stride = kernel if stride is None or stride == [] else ntuple(stride, n, "stride", fn)
        padding = ntuple(padding, n, "padding", fn)
        dilation = ntuple(dilation, n, "dilation", fn)
        pads, extra = _geometry(x, kernel, stride, padding, dilation, ceil_mode, fn)
        full = tuple((lo, hi + e) for (lo, hi), e in zip(pads, extra))
        values, indices = _max_pool(x, kernel, stride, full, dilation)
        if unbatched:
            values, indices = values.squeeze(0), indices.squeeze(0)
        return (values, indices) if return_indices else values
    max_pool.__name__ = max_pool.__qualname__ = fn
    max_pool.__doc__ = f"{n}-d max pooling; ``return_indices`` also gives each maximum's index."
    return max_pool


def _avg_poolnd(n, fn):
    def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        x, unbatched = batched(input, n, fn)
        kernel = ntuple(kernel_size, n, "kernel_size", fn)
        stride = kernel if stride is None or stride == [] else ntuple(stride, n, "stride", fn)
        padding = ntuple(padding, n, "padding", fn)
        pads, extra = _geometry(x, kernel, stride, padding, (1,) * n, ceil_mode, fn)
        y = _avg_pool(x, kernel, stride, pads, extra, count_include_pad, divisor_override)
        return y.squeeze(0) if unbatched else y
    avg_pool.__name__ = avg_pool.__qualname__ = fn
    avg_pool.__doc__ = f"{n}-d average pooling over windows of ``kernel_size``."
    return avg_pool


max_pool1d = _max_poolnd(1, "max_pool1d")
max_pool2d = _max_poolnd(2, "max_pool2d")
max_pool3d = _max_poolnd(3, "max_pool3d")
avg_pool1d = _avg_poolnd(1, "avg_pool1d")
avg_pool2d = _avg_poolnd(2, "avg_pool2d")
avg_pool3d = _avg_poolnd(3, "avg_pool3d")
