"""Pooling: max, average, adaptive, power-average (LP) pooling and max unpooling, in 1, 2
and 3 spatial dims, over the `max_pool`/`avg_pool`/`adaptive_max_pool` ops."""
from __future__ import annotations

import math

from ... import _creation, _dtype as dtypes
from ...ops import TABLE
from ...ops.pool import pooled_size
from ._utils import batched, ntuple

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "max_unpool1d", "max_unpool2d", "max_unpool3d", "lp_pool1d", "lp_pool2d",
           "lp_pool3d"]

_max_pool = TABLE["max_pool"].fn
_avg_pool = TABLE["avg_pool"].fn
_adaptive_max_pool = TABLE["adaptive_max_pool"].fn


def _refuse(x, fn: str, kinds: str) -> None:
    if x.dtype.is_complex and "c" in kinds or x.dtype == dtypes.bool_ and "b" in kinds or \
            not x.dtype.is_floating_point and not x.dtype.is_complex and "i" in kinds:
        raise NotImplementedError(f"\"{fn}\" not implemented for '{x.dtype}'")


def _geometry(x, kernel, stride, padding, dilation, ceil_mode, fn):
    """Per-dim (low, high) padding and the extra high padding ceil_mode needs."""
    if 0 in x.shape[1:]:
        raise RuntimeError(f"{fn}(): Expected {len(kernel) + 1}D or {len(kernel) + 2}D (batch "
                           f"mode) tensor with optional 0 dim batch size for input, but got: "
                           f"{list(x.shape)}")
    for name, values in (("kernel size", kernel), ("stride", stride), ("dilation", dilation)):
        if any(v <= 0 for v in values):
            raise RuntimeError(f"{fn}(): {name} should be greater than zero, but got "
                               f"{list(values)}")
    for k, p, d in zip(kernel, padding, dilation):
        # max_pool1d bounds the padding by the dilated kernel, the others by the kernel
        limit = (d * (k - 1) + 1) // 2 if fn == "max_pool1d" else k // 2
        if p > limit:
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
        stride = kernel if stride is None or stride in ([], ()) else \
            ntuple(stride, n, "stride", fn)
        padding = ntuple(padding, n, "padding", fn)
        dilation = ntuple(dilation, n, "dilation", fn)
        pads, extra = _geometry(x, kernel, stride, padding, dilation, ceil_mode, fn)
        # PyTorch's kernels: 1-d ones take floating point only, the others no bool or complex
        _refuse(x, fn, "biuc" if n == 1 else "bc")
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
        stride = kernel if stride is None or stride in ([], ()) else \
            ntuple(stride, n, "stride", fn)
        padding = ntuple(padding, n, "padding", fn)
        pads, extra = _geometry(x, kernel, stride, padding, (1,) * n, ceil_mode, fn)
        if x.dtype != dtypes.int64:  # PyTorch's average pools: floating point and int64
            _refuse(x, fn, "biuc")
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


def _output_size(x, output_size, n, fn, check: bool = True):
    """The adaptive pools' output size: an int repeats, None keeps the input's size."""
    sizes = (output_size,) * n if isinstance(output_size, int) or output_size is None \
        else tuple(output_size)
    if len(sizes) != n:
        raise RuntimeError(f"{fn}(): output_size must be an int or a sequence of {n} ints, got "
                         f"{output_size}")
    sizes = tuple(s if o is None else int(o) for o, s in zip(sizes, x.shape[2:]))
    if check and (any(s == 0 for s in x.shape[2:]) or any(o < 0 for o in sizes)):
        raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch "
                           f"dimensions and a non-negative output size, but got input of size "
                           f"{list(x.shape)} and output_size {list(sizes)}")
    return sizes


def _averaging_matrix(size, out, like):
    """(out, size): row i averages PyTorch's adaptive window i of a dim of ``size``."""
    i = _creation.arange(out, device=like.device)
    starts = (i * size).div(out, rounding_mode="floor")
    ends = -((-(i + 1) * size).div(out, rounding_mode="floor"))
    j = _creation.arange(size, device=like.device)
    inside = (j >= starts[:, None]) & (j < ends[:, None])
    return inside.to(like.dtype) / (ends - starts)[:, None].to(like.dtype)


def _window_means(y, axis: int, size: int, out: int):
    """PyTorch's adaptive windows along ``axis`` averaged one by one (no product that spreads
    a NaN or an infinity into the other windows)."""
    bounds = [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]
    return TABLE["cat"].fn([y.narrow(axis, a, b - a).mean(axis, keepdim=True)
                            for a, b in bounds], axis)


def _adaptive_avg_poolnd(n, fn):
    def adaptive_avg_pool(input, output_size):
        x, unbatched = batched(input, n, fn)
        spatial = tuple(x.shape[2:])
        out = _output_size(x, output_size, n, fn, check=False)
        if all(o == 1 for o in out):  # global average pooling: PyTorch takes the mean
            y = x.mean(tuple(range(2, 2 + n)), keepdim=True)
        elif _output_size(x, output_size, n, fn) and (not x.numel() or 0 in out):
            y = x.new_zeros(tuple(x.shape[:2]) + out)  # no window, and no kernel runs
        elif not x.is_floating_point():
            raise NotImplementedError(f"\"{fn}\" not implemented for '{x.dtype}'")
        elif all(s % o == 0 for s, o in zip(spatial, out)):  # equal, disjoint windows
            kernel = tuple(s // o for s, o in zip(spatial, out))
            y = _avg_pool(x, kernel, kernel, ((0, 0),) * n, (0,) * n, True, None)
        else:  # windows of varying width: one small averaging product per dim
            y = x
            finite = bool(x.isfinite().all())  # (else 0 * inf in the product spreads NaN)
            for axis, (s, o) in enumerate(zip(spatial, out), start=2):
                if s != o and finite:
                    y = (y.movedim(axis, -1) @ _averaging_matrix(s, o, x).mT).movedim(-1, axis)
                elif s != o:
                    y = _window_means(y, axis, s, o)
        return y.squeeze(0) if unbatched else y
    adaptive_avg_pool.__name__ = adaptive_avg_pool.__qualname__ = fn
    adaptive_avg_pool.__doc__ = (f"{n}-d average pooling to ``output_size`` cells per dim, "
                                 "over PyTorch's adaptive windows.")
    return adaptive_avg_pool


def _adaptive_max_poolnd(n, fn):
    def adaptive_max_pool(input, output_size, return_indices: bool = False):
        x, unbatched = batched(input, n, fn)
        out = _output_size(x, output_size, n, fn)
        if 0 in input.shape[1:]:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)}")
        if not x.is_floating_point():
            raise NotImplementedError(f"\"{fn}\" not implemented for '{x.dtype}'")
        if 0 in out or not x.numel():
            shape = tuple(x.shape[:2]) + out
            values, indices = x.new_zeros(shape), x.new_zeros(shape, dtype=dtypes.int64)
        else:
            values, indices = _adaptive_max_pool(x, out)
        if unbatched:
            values, indices = values.squeeze(0), indices.squeeze(0)
        return (values, indices) if return_indices else values
    adaptive_max_pool.__name__ = adaptive_max_pool.__qualname__ = fn
    adaptive_max_pool.__doc__ = (f"{n}-d max pooling to ``output_size`` cells per dim; "
                                 "``return_indices`` also gives each maximum's index.")
    return adaptive_max_pool


def _unpooled_size(x, kernel, stride, padding, output_size, n, fn):
    default = tuple((s - 1) * st - 2 * p + k
                    for s, k, st, p in zip(x.shape[2:], kernel, stride, padding))
    if output_size is None:
        return default
    size = tuple(output_size)
    if len(size) == n + 2:
        size = size[2:]
    if len(size) != n:
        raise ValueError(f"{fn}(): output_size should be a sequence containing {n} or {n + 2} "
                         f"elements, but it has a length of '{len(size)}'")
    for s, d, st in zip(size, default, stride):
        if not d - st < s < d + st:
            raise ValueError(f"{fn}(): invalid output_size {list(size)} (dim sizes must be "
                             f"between {[a - b + 1 for a, b in zip(default, stride)]} and "
                             f"{[a + b - 1 for a, b in zip(default, stride)]})")
    return size


def _max_unpoolnd(n, fn):
    def max_unpool(input, indices, kernel_size, stride=None, padding=0, output_size=None):
        x, unbatched = batched(input, n, fn)
        index = indices.unsqueeze(0) if unbatched else indices
        if tuple(index.shape) != tuple(x.shape):
            raise RuntimeError(f"{fn}(): Expected shape of indices to be same as that of the "
                               f"input tensor ({list(input.shape)}) but got indices tensor "
                               f"with shape: {list(indices.shape)}")
        kernel = ntuple(kernel_size, n, "kernel_size", fn)
        stride = kernel if stride is None else ntuple(stride, n, "stride", fn)
        padding = ntuple(padding, n, "padding", fn)
        size = _unpooled_size(x, kernel, stride, padding, output_size, n, fn)
        cells = math.prod(size)
        flat_index = index.flatten(2)
        if flat_index.numel() and (int(flat_index.min()) < 0 or int(flat_index.max()) >= cells):
            bad = int(flat_index.max()) if int(flat_index.max()) >= cells \
                else int(flat_index.min())
            raise RuntimeError(f"{fn}(): Found an invalid max index: {bad} (output volumes are "
                               f"of size {'x'.join(map(str, size))})")
        out = _creation.zeros(tuple(x.shape[:2]) + (cells,), dtype=x.dtype, device=x.device)
        y = out.scatter(2, flat_index, x.flatten(2)).reshape(tuple(x.shape[:2]) + size)
        return y.squeeze(0) if unbatched else y
    max_unpool.__name__ = max_unpool.__qualname__ = fn
    max_unpool.__doc__ = (f"The {n}-d partial inverse of max pooling: each value goes back to "
                          "the position its index names; zeros elsewhere.")
    return max_unpool


def _lp_poolnd(n, fn, avg_pool):
    def lp_pool(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
        kernel = ntuple(kernel_size, n, "kernel_size", fn)
        mean = avg_pool(input.pow(norm_type), kernel, stride, 0, ceil_mode)
        # (a negative mean of odd powers becomes 0, as in PyTorch)
        total = (mean.sign() * mean.abs().relu()) * math.prod(kernel)
        return total.pow(1.0 / norm_type)
    lp_pool.__name__ = lp_pool.__qualname__ = fn
    lp_pool.__doc__ = (f"{n}-d power-average pooling: ``(sum of x ** p over each window) ** "
                       "(1/p)``, with p = ``norm_type``.")
    return lp_pool


adaptive_avg_pool1d = _adaptive_avg_poolnd(1, "adaptive_avg_pool1d")
adaptive_avg_pool2d = _adaptive_avg_poolnd(2, "adaptive_avg_pool2d")
adaptive_avg_pool3d = _adaptive_avg_poolnd(3, "adaptive_avg_pool3d")
adaptive_max_pool1d = _adaptive_max_poolnd(1, "adaptive_max_pool1d")
adaptive_max_pool2d = _adaptive_max_poolnd(2, "adaptive_max_pool2d")
adaptive_max_pool3d = _adaptive_max_poolnd(3, "adaptive_max_pool3d")
max_unpool1d = _max_unpoolnd(1, "max_unpool1d")
max_unpool2d = _max_unpoolnd(2, "max_unpool2d")
max_unpool3d = _max_unpoolnd(3, "max_unpool3d")
lp_pool1d = _lp_poolnd(1, "lp_pool1d", avg_pool1d)
lp_pool2d = _lp_poolnd(2, "lp_pool2d", avg_pool2d)
lp_pool3d = _lp_poolnd(3, "lp_pool3d", avg_pool3d)


def _max_pool_with_indices(pool):
    def with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                     return_indices=True):
        return pool(input, kernel_size, stride, padding, dilation, ceil_mode, True)
    with_indices.__name__ = with_indices.__qualname__ = f"{pool.__name__}_with_indices"
    with_indices.__doc__ = f"``{pool.__name__}`` returning ``(values, indices)`` always."
    return with_indices


def _adaptive_max_pool_with_indices(pool):
    def with_indices(input, output_size, return_indices=True):
        return pool(input, output_size, True)
    with_indices.__name__ = with_indices.__qualname__ = f"{pool.__name__}_with_indices"
    with_indices.__doc__ = f"``{pool.__name__}`` returning ``(values, indices)`` always."
    return with_indices


max_pool1d_with_indices = _max_pool_with_indices(max_pool1d)
max_pool2d_with_indices = _max_pool_with_indices(max_pool2d)
max_pool3d_with_indices = _max_pool_with_indices(max_pool3d)
adaptive_max_pool1d_with_indices = _adaptive_max_pool_with_indices(adaptive_max_pool1d)
adaptive_max_pool2d_with_indices = _adaptive_max_pool_with_indices(adaptive_max_pool2d)
adaptive_max_pool3d_with_indices = _adaptive_max_pool_with_indices(adaptive_max_pool3d)
__all__ += [f"{kind}max_pool{n}d_with_indices" for kind in ("", "adaptive_") for n in (1, 2, 3)]
