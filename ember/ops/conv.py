"""Convolution in any number of spatial dims: `conv`, `conv_transpose`, `conv_weight`.

Each is a BLAS product with im2col columns copied from a strided window view of the padded
input (no Python loops over pixels; a few samples' columns at a time, so they stay in cache). The three ops are each other's derivatives,
so gradients of gradients work:

    y = conv(x, w)            dx = conv_transpose(g, w)      dw = conv_weight(x, g)

Shapes follow PyTorch: x (N, C, *spatial), w (O, C/groups, *kernel) for conv and
(C, O/groups, *kernel) for conv_transpose. ``padding`` here is a tuple of (low, high) pairs;
`nn.functional` turns 'same', 'valid' and ints into that.
"""
from __future__ import annotations

import math

from ._op import op


def _windows(xp, x, kernel, stride, dilation):
    """View padded x (N, C, *S) as (N, C, *kernel, *out) without copying."""
    d = len(kernel)
    spatial = x.shape[2:]
    out = tuple((s - dil * (k - 1) - 1) // st + 1
                for s, k, st, dil in zip(spatial, kernel, stride, dilation))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Calculated output size {list(out)} is too small for input size "
                           f"(after padding) {list(spatial)} and kernel {list(kernel)}")
    strides = x.strides
    view = xp.lib.stride_tricks.as_strided(
        x, x.shape[:2] + tuple(kernel) + out,
        strides[:2] + tuple(strides[2 + i] * dilation[i] for i in range(d))
        + tuple(strides[2 + i] * stride[i] for i in range(d)), writeable=False)
    return view, out


# Columns of this many bytes at a time stay in cache for the product that reads them.
_CHUNK_BYTES = 1 << 21


def _im2col_chunks(xp, x, kernel, stride, dilation, groups):
    """The output size, and the im2col columns of padded x a few samples at a time:
    (samples, columns (b, G, C/G * prod(kernel), prod(out))) pairs."""
    view, out = _windows(xp, x, kernel, stride, dilation)
    n, c = x.shape[:2]
    step = max(1, _CHUNK_BYTES // (c * math.prod(kernel) * math.prod(out) * x.itemsize))

    def chunks():
        for i in range(0, n, step):
            samples = slice(i, i + step)
            yield samples, _columns(xp, view[samples], groups)
    return out, chunks()


def _im2col(xp, x, kernel, stride, dilation, groups):
    """All samples' columns at once (N, G, C/G * prod(kernel), prod(out)), and out."""
    view, out = _windows(xp, x, kernel, stride, dilation)
    return _columns(xp, view, groups), out


def _columns(xp, view, groups):
    """The im2col copy of a window view (b, C, *kernel, *out): (b, G, C/G * prod(kernel),
    prod(out)). Each sample's columns come in the order the view already has, so the copy
    reads memory in order and a product with the weight gives (b, O, *out) untransposed."""
    b, c = view.shape[:2]
    d = (view.ndim - 2) // 2
    rows = c // groups * math.prod(view.shape[2:2 + d])
    return xp.ascontiguousarray(view).reshape(b, groups, rows, math.prod(view.shape[2 + d:]))


def _col2im(xp, cols, padded_shape, kernel, stride, dilation, out):
    """Adjoint of im2col: add each column entry back to the pixel it came from."""
    n, c = padded_shape[:2]
    cols = cols.reshape((n, c) + tuple(kernel) + tuple(out))
    x = xp.zeros(padded_shape, dtype=cols.dtype)
    for offset in _kernel_offsets(kernel):
        region = (slice(None),) * 2 + tuple(
            slice(k * dil, k * dil + st * (o - 1) + 1, st)
            for k, dil, st, o in zip(offset, dilation, stride, out))
        x[region] += cols[(slice(None),) * 2 + offset]
    return x


def _kernel_offsets(kernel):
    offsets = [()]
    for k in kernel:
        offsets = [o + (i,) for o in offsets for i in range(k)]
    return offsets


def _pad(xp, x, padding):
    if not any(lo or hi for lo, hi in padding):
        return x
    return xp.pad(x, ((0, 0), (0, 0)) + tuple(padding))


def _crop(x, padding, size):
    return x[(slice(None), slice(None)) + tuple(slice(lo, lo + s)
                                                for (lo, _), s in zip(padding, size))]


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
def conv(xp, x, w, stride, padding, dilation, groups):
    """N-d convolution (cross-correlation, as in PyTorch) of x with w."""
    _check("conv", x, w, groups, 1)
    return _conv(xp, x, w, stride, padding, dilation, groups)


def _conv(xp, x, w, stride, padding, dilation, groups):
    out, chunks = _im2col_chunks(xp, _pad(xp, x, padding), w.shape[2:], stride, dilation,
                                 groups)
    w2 = w.reshape(groups, w.shape[0] // groups, -1)
    y = xp.empty((x.shape[0], groups, w2.shape[1], math.prod(out)), dtype=x.dtype)
    for samples, cols in chunks:
        xp.matmul(w2, cols, out=y[samples])
    return y.reshape((x.shape[0], w.shape[0]) + out)


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
    padded = (n, out_channels) + tuple(s + lo + hi for s, (lo, hi) in zip(size, padding))
    cin_g = w.shape[0] // groups
    w2 = w.reshape(groups, cin_g, -1).transpose(0, 2, 1)        # (G, O/G*K, C/G)
    cols = xp.matmul(w2, x.reshape(n, groups, cin_g, -1))       # (N, G, O/G*K, L)
    y = _col2im(xp, cols, padded, kernel, stride, dilation, in_spatial)
    return xp.ascontiguousarray(_crop(y, padding, size))


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
def conv_weight(xp, x, grad, weight_shape, stride, padding, dilation, groups):
    """The gradient of `conv` with respect to its weight: correlate x with grad."""
    kernel = weight_shape[2:]
    # Only the part of x that grad's windows cover (a transposed convolution's output
    # padding leaves x longer than they reach).
    reach = tuple((o - 1) * st + dil * (k - 1) + 1
                  for o, k, st, dil in zip(grad.shape[2:], kernel, stride, dilation))
    padded = _pad(xp, x, padding)[(slice(None),) * 2 + tuple(slice(0, r) for r in reach)]
    _, chunks = _im2col_chunks(xp, padded, kernel, stride, dilation, groups)
    g = grad.reshape(grad.shape[:1] + (groups, grad.shape[1] // groups, -1))  # (N, G, O/G, L)
    gw = xp.zeros(g.shape[1:3] + (math.prod(weight_shape[1:]),), dtype=grad.dtype)
    for samples, cols in chunks:
        gw += xp.matmul(g[samples], cols.swapaxes(-1, -2)).sum(axis=0)
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
