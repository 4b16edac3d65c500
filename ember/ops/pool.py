"""Pooling over windows in any number of spatial dims: max (with indices) and average.

Both read the input through the same strided window view convolution uses. ``padding`` is
a tuple of (low, high) pairs; with ``ceil_mode`` the caller has already widened ``high`` so
the last partial window is kept, as PyTorch does.
"""
from __future__ import annotations

import math

import numpy as np

from ..kernels import pool as _kernels
from ._op import op
from .conv import _as_5d, _in_3d, conv_transpose, output_size


def _windows(xp, x, kernel, stride, dilation):
    """View padded x (N, C, *S) as (N, C, *kernel, *out) without copying."""
    d = len(kernel)
    out = output_size(x.shape[2:], kernel, stride, ((0, 0),) * d, dilation)
    strides = x.strides
    view = xp.lib.stride_tricks.as_strided(
        x, x.shape[:2] + tuple(kernel) + out,
        strides[:2] + tuple(strides[2 + i] * dilation[i] for i in range(d))
        + tuple(strides[2 + i] * stride[i] for i in range(d)), writeable=False)
    return view, out


def _kernel_offsets(kernel):
    offsets = [()]
    for k in kernel:
        offsets = [o + (i,) for o in offsets for i in range(k)]
    return offsets


def _pad(xp, x, padding):
    if not any(lo or hi for lo, hi in padding):
        return x
    return xp.pad(x, ((0, 0), (0, 0)) + tuple(padding))


def pooled_size(size, kernel, stride, pad_lo, pad_hi, dilation, ceil_mode):
    """PyTorch's output length of one pooled dim, and the high padding that realizes it."""
    span = size + pad_lo + pad_hi - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad_lo:
        out -= 1  # the last window would start entirely in the padding
    extra = max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - (size + pad_lo + pad_hi))
    return out, pad_hi + extra


@op(n_outputs=2, differentiable_outputs=(True, False), save_output=True, method=False,
    function=False)
def max_pool(xp, x, kernel, stride, padding, dilation):
    """Max over each window; also the flat index (within each channel) of the maximum."""
    if xp is np:
        return _max_pool_compiled(x, kernel, stride, padding, dilation)
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    padded = x if not any(lo or hi for lo, hi in padding) else xp.pad(
        x, ((0, 0), (0, 0)) + tuple(padding), constant_values=fill)
    view, out = _windows(xp, padded, kernel, stride, dilation)
    # A running maximum over the kernel offsets, each a strided view of x, so the windows are
    # never copied; ``shift`` tracks where in its window each maximum sits, as a flat offset.
    # As in PyTorch, a later entry wins only if greater or NaN (NaN propagates).
    spatial = x.shape[2:]
    dim_strides = [math.prod(spatial[i + 1:]) for i in range(len(spatial))]
    values = view[(slice(None),) * 2 + (0,) * len(kernel)].copy()
    shift = xp.zeros(values.shape, dtype=xp.int64)
    floats = x.dtype.kind == "f"
    for offset in _kernel_offsets(kernel)[1:]:
        candidate = view[(slice(None),) * 2 + offset]
        wins = candidate > values
        if floats:
            wins |= xp.isnan(candidate)
        xp.maximum(values, candidate, out=values)
        step = sum(k * dil * s for k, dil, s in zip(offset, dilation, dim_strides))
        shift += (step - shift) * wins  # arithmetic: copyto(where=) is many times slower
    return values, shift + _window_origins(xp, spatial, stride, out, padding)


def _max_pool_compiled(x, kernel, stride, padding, dilation):
    """`max_pool` on the CPU: one compiled pass over the windows."""
    if x.dtype == np.float16 or x.dtype.kind == "V":   # exact: a maximum rounds nothing
        values, index = _max_pool_compiled(x.astype(np.float32), kernel, stride, padding,
                                           dilation)
        return values.astype(x.dtype), index
    out = output_size(x.shape[2:], kernel, stride, padding, dilation)
    values = np.empty(x.shape[:2] + out, dtype=x.dtype)
    index = np.empty(values.shape, dtype=np.int64)
    if (kernel, stride, dilation) == ((2, 2), (2, 2), (1, 1)) and padding == ((0, 0), (0, 0)):
        _kernels.max_pool_2x2(x, values, index)
    else:
        _kernels.max_pool(_as_5d(x), _as_5d(values), _as_5d(index), _in_3d(kernel, 1),
                          _in_3d(stride, 1), _in_3d(dilation, 1),
                          _in_3d(tuple(lo for lo, _ in padding), 0))
    return values, index


def _window_origins(xp, spatial, stride, out, padding):
    """The flat input index of each window's first tap (outside x when that is padding)."""
    origins = xp.zeros((), dtype=xp.int64)
    for s, st, o, (lo, _) in zip(spatial, stride, out, padding):
        origins = origins[..., None] * s + (xp.arange(o) * st - lo)
    return origins


def _argmax_positions(xp, positions, local):
    """The flat input positions (``positions``: (*out, K)) of each window's maximum."""
    n, c = local.shape[:2]
    return xp.take_along_axis(xp.broadcast_to(positions, (n, c) + positions.shape),
                              local[..., None], axis=-1)[..., 0]


@max_pool.derivative
def max_pool(ctx, grad, grad_index, *geometry):
    _, index = ctx.saved_tensors
    return _max_pool_grad.fn(grad, index, ctx.shapes[0])


@max_pool.onnx
def max_pool(g, x, kernel, stride, padding, dilation):
    # ONNX's indices count over the whole tensor, PyTorch's within a channel: only the
    # values are lowered; a program that reads the indices can't be exported.
    return g.op("MaxPool", x, kernel_shape=list(kernel), strides=list(stride),
                pads=[lo for lo, _ in padding] + [hi for _, hi in padding],
                dilations=list(dilation)), None


def adaptive_windows(xp, size, out):
    """PyTorch's adaptive windows of one dim: window i covers [floor(i*size/out),
    ceil((i+1)*size/out)). Returns the (out, k) input positions of each window, k the
    widest window; narrower windows repeat their last position (which leaves a max alone)."""
    i = xp.arange(out)
    starts = i * size // out
    ends = -(-(i + 1) * size // out)
    k = int((ends - starts).max())
    return xp.minimum(starts[:, None] + xp.arange(k)[None, :], ends[:, None] - 1)


@op(n_outputs=2, differentiable_outputs=(True, False), save_output=True, method=False,
    function=False)
def adaptive_max_pool(xp, x, output_size):
    """Max over PyTorch's adaptive windows (``output_size`` of them per spatial dim); also the
    flat index (within each channel) of each maximum."""
    spatial = x.shape[2:]
    d = len(spatial)
    windows = [adaptive_windows(xp, s, o) for s, o in zip(spatial, output_size)]
    # flat positions, (*out, *k) then (*out, K): the row-major index of each window element
    flat = xp.zeros((), dtype=xp.int64)
    for axis, (s, w) in enumerate(zip(spatial, windows)):
        shape = [1] * (2 * d)
        shape[axis], shape[d + axis] = w.shape
        flat = flat * s + w.reshape(shape)
    kernel = math.prod(w.shape[1] for w in windows)
    positions = flat.reshape(tuple(output_size) + (kernel,))
    win = _flatten_spatial(x)[:, :, positions]                  # (N, C, *out, K)
    local = win.argmax(axis=-1)
    values = xp.take_along_axis(win, local[..., None], axis=-1)[..., 0]
    return values, _argmax_positions(xp, positions, local)


adaptive_max_pool.derivative(max_pool.backward)


def _flatten_spatial(a):
    return a.reshape(a.shape[:2] + (-1,))


@op(nin=2, save=(1,), method=False, function=False)
def _max_pool_grad(xp, grad, index, input_shape):
    """Send each window's gradient to the input position its maximum came from."""
    n, c = input_shape[:2]
    size = math.prod(input_shape[2:])
    if xp is np and grad.dtype in (np.float32, np.float64):
        out = np.empty((n * c, size), dtype=grad.dtype)
        _kernels.scatter_max(grad.reshape(n * c, -1), index.reshape(n * c, -1), out)
        return out.reshape(input_shape)
    rows = xp.arange(n * c).reshape(n, c, *([1] * (index.ndim - 2))) * size
    flat = (index + rows).ravel()
    summed = xp.bincount(flat, weights=grad.ravel(), minlength=n * c * size)
    return summed.astype(grad.dtype, copy=False).reshape(input_shape)


@_max_pool_grad.derivative
def _max_pool_grad(ctx, grad_grad, input_shape):
    (index,) = ctx.saved_tensors
    return _take_windows.fn(grad_grad, index), None


@op(nin=2, save=(1,), method=False, function=False)
def _take_windows(xp, x, index):
    """The entries of x (N, C, *spatial) at per-channel flat positions ``index``."""
    flat = _flatten_spatial(x)
    return xp.take_along_axis(flat, _flatten_spatial(index), axis=2).reshape(index.shape)


@_take_windows.derivative
def _take_windows(ctx, grad):
    (index,) = ctx.saved_tensors
    return _max_pool_grad.fn(grad, index, ctx.shapes[0]), None


@op(method=False, function=False)
def avg_pool(xp, x, kernel, stride, padding, ceil_extra, count_include_pad, divisor_override):
    """Mean over each window (or the sum over ``divisor_override``)."""
    view, out = _windows(xp, _pad(xp, x, _widen(padding, ceil_extra)), kernel, stride,
                         (1,) * len(kernel))
    total = view.sum(axis=tuple(range(2, 2 + len(kernel))))
    divisor = _divisor(xp, x.shape[2:], kernel, stride, padding, ceil_extra,
                       count_include_pad, divisor_override)
    return (total / divisor).astype(x.dtype, copy=False)


@avg_pool.derivative
def avg_pool(ctx, grad, kernel, stride, padding, ceil_extra, count_include_pad,
             divisor_override):
    from .. import _creation
    shape = ctx.shapes[0]
    channels = shape[1]
    divisor = _divisor(grad._xp, shape[2:], kernel, stride, padding, ceil_extra,
                       count_include_pad, divisor_override)
    scaled = grad / _creation.tensor(divisor, dtype=grad.dtype, device=grad.device)
    ones = _creation.ones((channels, 1) + tuple(kernel), dtype=grad.dtype, device=grad.device)
    full = _widen(padding, ceil_extra)
    output_padding = tuple(s + lo + hi - ((o - 1) * st + k) for s, o, k, st, (lo, hi) in
                           zip(shape[2:], grad.shape[2:], kernel, stride, full))
    # The windows' adjoint: spread each cell's share back over its window.
    return conv_transpose.fn(scaled, ones, stride, full, (1,) * len(kernel), channels,
                             output_padding)


@avg_pool.onnx
def avg_pool(g, x, kernel, stride, padding, ceil_extra, count_include_pad, divisor_override):
    if divisor_override is not None:
        raise NotImplementedError("avg_pool: divisor_override has no ONNX form")
    return g.op("AveragePool", x, kernel_shape=list(kernel), strides=list(stride),
                pads=[lo for lo, _ in padding] + [hi for _, hi in padding],
                count_include_pad=int(count_include_pad), ceil_mode=int(any(ceil_extra)))


def _widen(padding, extra):
    return tuple((lo, hi + e) for (lo, hi), e in zip(padding, extra))


def _divisor(xp, spatial, kernel, stride, padding, ceil_extra, count_include_pad,
             divisor_override):
    """How many elements each window averages over (an array over output cells, or a number)."""
    if divisor_override:
        return divisor_override
    d = len(kernel)
    # The explicit padding counts when count_include_pad; the extra that ceil_mode adds to
    # keep the last partial window never does.
    if count_include_pad:
        mask = xp.ones((1, 1) + tuple(s + lo + hi for s, (lo, hi) in zip(spatial, padding)))
        mask = _pad(xp, mask, tuple((0, e) for e in ceil_extra))
    else:
        mask = _pad(xp, xp.ones((1, 1) + tuple(spatial)), _widen(padding, ceil_extra))
    view, _ = _windows(xp, mask, kernel, stride, (1,) * d)
    return view.sum(axis=tuple(range(2, 2 + d)))[0, 0]
