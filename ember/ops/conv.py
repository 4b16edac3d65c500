"""Convolution in any number of spatial dims: `conv`, `conv_transpose`, `conv_weight`.

Each layer is one matrix product per sample, (O, C * prod(kernel)) @ (C * prod(kernel),
prod(out)), written by BLAS straight into that sample's NCHW output; the im2col columns are
built a cache-sized chunk of samples at a time by a compiled loop straight from the unpadded
input (``ember/kernels/conv.py``), so no padded copy is made. 3x3 stride-1 convolutions take
Winograd's F(2x2, 3x3) instead where it is faster (``ember/ops/_winograd.py``). The three
ops are each other's derivatives, so gradients of gradients work:

    y = conv(x, w)            dx = conv_transpose(g, w)      dw = conv_weight(x, g)

Shapes follow PyTorch: x (N, C, *spatial), w (O, C/groups, *kernel) for conv and
(C, O/groups, *kernel) for conv_transpose. ``padding`` here is a tuple of (low, high) pairs;
`nn.functional` turns 'same', 'valid' and ints into that. Inputs of any strides
(channels_last included) are read where they lie.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ..kernels import conv as _kernels
from . import _winograd as winograd
from ._blocks import sample_chunks
from ._op import op
from ._sample_threads import split_samples


def output_size(spatial, kernel, stride, padding, dilation) -> tuple:
    """The convolution's output size; a RuntimeError if the kernel does not fit."""
    out = tuple((s + lo + hi - dil * (k - 1) - 1) // st + 1
                for s, k, st, (lo, hi), dil in zip(spatial, kernel, stride, padding, dilation))
    if any(o <= 0 for o in out):
        padded = [s + lo + hi for s, (lo, hi) in zip(spatial, padding)]
        raise RuntimeError(f"Calculated output size {list(out)} is too small for input size "
                           f"(after padding) {padded} and kernel {list(kernel)}")
    return out


def _in_3d(values, fill):
    """A per-spatial-dim tuple as the kernels' 3 dims (unit dims in front)."""
    return (fill,) * (3 - len(values)) + tuple(values)


def _as_5d(a):
    return a[(slice(None),) * 2 + (None,) * (5 - a.ndim)]


def im2col_into(cols, x, kernel, stride, dilation, low, out):
    """Write x's im2col columns into cols (N, C * prod(kernel), prod(out)), of any strides."""
    _kernels.im2col(_as_5d(x), cols, _in_3d(kernel, 1), _in_3d(stride, 1), _in_3d(dilation, 1),
                    _in_3d(low, 0), _in_3d(out, 1))


def col2im_into(image, cols, kernel, stride, dilation, low, out):
    """Sum the columns (N, C * prod(kernel), prod(out)), of any strides, back onto image."""
    _kernels.col2im(cols, _as_5d(image), _in_3d(kernel, 1), _in_3d(stride, 1),
                    _in_3d(dilation, 1), _in_3d(low, 0), _in_3d(out, 1))


def _sample_columns(x, kernel, stride, dilation, padding, out):
    """x's im2col columns: (N, C * prod(kernel), prod(out)), contiguous."""
    cols = np.empty((x.shape[0], x.shape[1] * math.prod(kernel), math.prod(out)),
                    dtype=x.dtype)
    im2col_into(cols, x, kernel, stride, dilation, tuple(lo for lo, _ in padding), out)
    return cols


def _columns(x, kernel, stride, dilation, padding, out):
    """x's im2col columns (N, C * prod(kernel), L) and the width of their rows of pixels:
    ``out[-1]``, or for 2-d stride-1 convolutions wider (`ember.kernels.conv.wide_columns`:
    the columns past ``out[-1]`` of each row are not outputs)."""
    if len(out) != 2 or stride != (1, 1):
        return _sample_columns(x, kernel, stride, dilation, padding, out), out[-1]
    width = out[1] + dilation[1] * (kernel[1] - 1)
    cols = np.empty((x.shape[0], x.shape[1] * math.prod(kernel), out[0] * width),
                    dtype=x.dtype)
    _kernels.wide_columns(x, cols, padding[0][0], padding[1][0], dilation[0], dilation[1],
                          kernel[0], kernel[1], out[0], width)
    return cols, width


def _widened(a, width):
    """a (N, C, *S) with its last dim zero-padded to ``width``: the wide rows' layout."""
    if a.shape[-1] == width:
        return a
    wide = np.zeros(a.shape[:-1] + (width,), dtype=a.dtype)
    wide[..., :a.shape[-1]] = a
    return wide


# The columns are built and multiplied this many bytes (a few samples) at a time, so that
# they are still in cache when BLAS reads them: a whole batch's columns (tens of MB) would go
# to memory and back.
_CHUNK_BYTES = 1 << 21


def _by_samples(n, entries_per_sample, itemsize, work):
    """``work(samples)`` over cache-sized chunks of the batch, which is split across threads
    (`split_samples`); the chunks' results, in no particular order."""
    def part(samples):
        return [work(slice(samples.start + c.start, samples.start + c.stop)) for c in
                sample_chunks(samples.stop - samples.start, entries_per_sample * itemsize,
                              _CHUNK_BYTES)]
    return [r for results in split_samples(n, part, n * entries_per_sample) for r in results]


def _in_float32(forward):
    """Run an op's forward in float32 for the dtypes Numba has no loops for (float16,
    bfloat16), rounding the result back."""
    @functools.wraps(forward)
    def run(xp, a, b, *args):
        if a.dtype == np.float16 or a.dtype.kind == "V":
            return forward(xp, a.astype(np.float32), b.astype(np.float32), *args).astype(a.dtype)
        return forward(xp, a, b, *args)
    return run


def _host_only(xp, name):
    if xp is not np:
        raise NotImplementedError(f"{name}(): Ember's convolutions run on the CPU only")


def _check(name, x, w, groups, in_channels_dim):
    d = x.ndim - 2
    if w.ndim != d + 2 or d < 1:
        raise RuntimeError(f"{name}(): expected a {w.ndim}D (batched) input to match the "
                           f"{w.ndim}D weight of size {list(w.shape)}, but got input of size "
                           f"{list(x.shape)}")
    channels = w.shape[in_channels_dim] * (groups if in_channels_dim == 1 else 1)
    if x.shape[1] != channels:
        raise RuntimeError(f"{name}(): given groups={groups}, weight of size {list(w.shape)}, "
                           f"expected input{list(x.shape)} to have {channels} channels, but "
                           f"got {x.shape[1]} channels instead")
    if x.dtype != w.dtype:
        raise RuntimeError(f"{name}(): Input type ({x.dtype}) and weight type ({w.dtype}) "
                           "should be the same")


@op(nin=2, save=(0, 1), method=False, function=False)
@_in_float32
def conv(xp, x, w, stride, padding, dilation, groups):
    """N-d convolution (cross-correlation, as in PyTorch) of x with w."""
    _check("conv", x, w, groups, 1)
    return _conv(xp, x, w, stride, padding, dilation, groups)


def _conv(xp, x, w, stride, padding, dilation, groups):
    _host_only(xp, "conv")
    kernel = w.shape[2:]
    out = output_size(x.shape[2:], kernel, stride, padding, dilation)
    low = tuple(lo for lo, _ in padding)
    n, o = x.shape[0], w.shape[0]
    if winograd.applies(xp, x, kernel, stride, dilation, groups, o):
        return winograd.conv2d(x, w, low, out)
    w2 = w.reshape(groups, o // groups, -1)
    y = np.empty((n, o) + out, dtype=x.dtype)

    def chunk(samples):
        cols, width = _columns(x[samples], kernel, stride, dilation, padding, out)
        b = cols.shape[0]
        # one product per sample, (O, C*K) @ (C*K, L), written where y's sample lies unless
        # its rows are wide
        target = y[samples] if width == out[-1] else np.empty((b, o) + out[:-1] + (width,),
                                                              dtype=y.dtype)
        np.matmul(w2, cols.reshape(b, groups, -1, cols.shape[2]),
                  out=target.reshape(b, groups, o // groups, -1))
        if width != out[-1]:
            y[samples] = target[..., :out[-1]]

    _by_samples(n, w2.shape[2] * groups * math.prod(out), x.itemsize, chunk)
    return y


@conv.derivative
def conv(ctx, grad, stride, padding, dilation, groups):
    x, w = ctx.saved_tensors
    spatial = x.shape[2:]
    gx = gw = None
    if ctx.needs_input_grad[0]:
        gx = conv_transpose.fn(grad, w, stride, padding, dilation, groups,
                               _output_padding(spatial, grad.shape[2:], w.shape[2:], stride,
                                               padding, dilation))
    if ctx.needs_input_grad[1]:
        gw = conv_weight.fn(x, grad, tuple(w.shape), stride, padding, dilation, groups)
    return gx, gw


@conv.onnx
def conv(g, x, w, stride, padding, dilation, groups):
    return g.op("Conv", x, w, kernel_shape=list(g.shape(w)[2:]), strides=list(stride),
                pads=[lo for lo, _ in padding] + [hi for _, hi in padding],
                dilations=list(dilation), group=groups)


def _output_padding(spatial, out, kernel, stride, padding, dilation):
    # the part of the input the last window did not reach (stride > 1)
    return tuple(s - ((o - 1) * st - lo - hi + dil * (k - 1) + 1)
                 for s, o, k, st, (lo, hi), dil in zip(spatial, out, kernel, stride, padding,
                                                       dilation))


@op(nin=2, save=(0, 1), method=False, function=False)
@_in_float32
def conv_transpose(xp, x, w, stride, padding, dilation, groups, output_padding):
    """The adjoint of `conv` with respect to its input ("deconvolution")."""
    _check("conv_transpose", x, w, groups, 0)
    kernel = w.shape[2:]
    n = x.shape[0]
    in_spatial = x.shape[2:]
    size = tuple((i - 1) * st - lo - hi + dil * (k - 1) + 1 + op_
                 for i, k, st, (lo, hi), dil, op_ in zip(in_spatial, kernel, stride, padding,
                                                        dilation, output_padding))
    full = tuple(dil * (k - 1) for k, dil in zip(kernel, dilation))
    out_channels = w.shape[1] * groups
    if (all(st == 1 for st in stride) and x.shape[1] <= 2 * out_channels
            and all(lo <= f and hi <= f for (lo, hi), f in zip(padding, full))):
        # Unstrided, it is a convolution with the flipped kernel: its columns (as many as
        # x's channels) are written and read once, where scattering columns back (below;
        # as many as the output's channels) writes them, then re-reads them to add up.
        pads = tuple((f - lo, f - hi + op_) for (lo, hi), f, op_ in
                     zip(padding, full, output_padding))
        return _conv(xp, x, _flipped_kernel(xp, w, groups), stride, pads, dilation, groups)
    _host_only(xp, "conv_transpose")
    cin_g = w.shape[0] // groups
    w2 = w.reshape(groups, cin_g, -1).transpose(0, 2, 1)              # (G, O/G*K, C/G)
    length = math.prod(in_spatial)
    y = np.empty((n, out_channels) + size, dtype=x.dtype)
    low = tuple(lo for lo, _ in padding)
    # unstrided 2-d: the columns in wide rows (see `_columns`), summed back one tap at a time
    wide = len(kernel) == 2 and stride == (1, 1)
    width = in_spatial[1] + dilation[1] * (kernel[1] - 1) if wide else in_spatial[-1]

    def chunk(samples):
        xs = _widened(x[samples], width)
        b = xs.shape[0]
        cols = np.matmul(w2, xs.reshape(b, groups, cin_g, -1)).reshape(b, -1, xs[0, 0].size)
        if wide:
            _kernels.wide_col2im(cols, y[samples], low[0], low[1], dilation[0], dilation[1],
                                 kernel[0], kernel[1], in_spatial[0], width)
        else:
            col2im_into(y[samples], cols, kernel, stride, dilation, low, in_spatial)

    _by_samples(n, w2.shape[1] * groups * length, x.itemsize, chunk)
    return y


def _flipped_kernel(xp, w, groups):
    """The transposed convolution's weight (C, O/G, *k) as a convolution weight (O, C/G, *k),
    each kernel turned around."""
    c, o_g = w.shape[:2]
    d = w.ndim - 2
    w = w.reshape((groups, c // groups, o_g) + w.shape[2:]).swapaxes(1, 2)
    w = w[(Ellipsis,) + (slice(None, None, -1),) * d]
    return xp.ascontiguousarray(w).reshape((groups * o_g, c // groups) + w.shape[3:])


@conv_transpose.derivative
def conv_transpose(ctx, grad, stride, padding, dilation, groups, output_padding):
    x, w = ctx.saved_tensors
    gx = gw = None
    if ctx.needs_input_grad[0]:
        gx = conv.fn(grad, w, stride, padding, dilation, groups)
        if gx.shape != x.shape:  # unstrided with output padding: windows beyond x's reach
            gx = gx[(slice(None),) * 2 + tuple(slice(0, s) for s in x.shape[2:])]
    if ctx.needs_input_grad[1]:
        gw = conv_weight.fn(grad, x, tuple(w.shape), stride, padding, dilation, groups)
    return gx, gw


@conv_transpose.onnx
def conv_transpose(g, x, w, stride, padding, dilation, groups, output_padding):
    return g.op("ConvTranspose", x, w, kernel_shape=list(g.shape(w)[2:]),
                strides=list(stride), pads=[lo for lo, _ in padding] + [hi for _, hi in padding],
                dilations=list(dilation), group=groups, output_padding=list(output_padding))


@op(nin=2, save=(0, 1), method=False, function=False)
@_in_float32
def conv_weight(xp, x, grad, weight_shape, stride, padding, dilation, groups):
    """The gradient of `conv` with respect to its weight: correlate x with grad."""
    _host_only(xp, "conv_weight")
    kernel = weight_shape[2:]
    out = grad.shape[2:]
    low = tuple(lo for lo, _ in padding)
    if winograd.applies(xp, x, kernel, stride, dilation, groups, weight_shape[0]):
        return winograd.weight_grad(x, grad, low)
    # (only the part of x that grad's windows reach is read: a transposed convolution's
    # output padding leaves x longer)
    o, rows = weight_shape[0], x.shape[1] * math.prod(kernel)
    # summed transposed, (C*K, L) @ (L, O) per sample: BLAS runs this shape measurably faster
    # than (O, L) @ (L, C*K) when there are fewer output channels than column rows

    def chunk(samples):
        cols, width = _columns(x[samples], kernel, stride, dilation, padding, out)  # (b, CK, L)
        b = cols.shape[0]
        g = _widened(grad[samples], width).reshape(b, groups, o // groups, -1)
        return np.matmul(cols.reshape(b, groups, rows // groups, -1),
                         g.transpose(0, 1, 3, 2)).sum(axis=0)

    gw_t = sum(_by_samples(x.shape[0], rows * math.prod(out), x.itemsize, chunk))
    gw = gw_t.transpose(0, 2, 1)
    return gw.reshape(weight_shape)


@conv_weight.derivative
def conv_weight(ctx, grad_w, weight_shape, stride, padding, dilation, groups):
    x, g = ctx.saved_tensors
    gx = gg = None
    if ctx.needs_input_grad[0]:
        gx = conv_transpose.fn(g, grad_w, stride, padding, dilation, groups,
                               _output_padding(x.shape[2:], g.shape[2:], weight_shape[2:],
                                               stride, padding, dilation))
    if ctx.needs_input_grad[1]:
        gg = conv.fn(x, grad_w, stride, padding, dilation, groups)
    return gx, gg
