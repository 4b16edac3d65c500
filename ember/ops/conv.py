"""Convolution in any number of spatial dims: `conv`, `conv_transpose`, `conv_weight`.

Each is one BLAS call on an im2col matrix built from a strided window view of the padded
input (one copy, no Python loops over pixels). The three ops are each other's derivatives,
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


def _im2col(xp, x, kernel, stride, dilation, groups):
    """(G, C/G * prod(kernel), N * prod(out)) columns of padded x, and the output size."""
    view, out = _windows(xp, x, kernel, stride, dilation)
    n, c = x.shape[:2]
    d = len(kernel)
    view = view.reshape((n, groups, c // groups) + view.shape[2:])
    # (G, C/G, *kernel, N, *out): one contiguous copy, then a free reshape
    order = (1, 2) + tuple(range(3, 3 + d)) + (0,) + tuple(range(3 + d, 3 + 2 * d))
    cols = xp.ascontiguousarray(view.transpose(order))
    return cols.reshape(groups, -1, n * math.prod(out)), out


def _col2im(xp, cols, padded_shape, kernel, stride, dilation, out, groups):
    """Adjoint of `_im2col`: add each column entry back to the pixel it came from."""
    n, c = padded_shape[:2]
    d = len(kernel)
    cols = cols.reshape((groups, c // groups) + tuple(kernel) + (n,) + tuple(out))
    # to (N, G, C/G, *kernel, *out)
    cols = cols.transpose((2 + d, 0, 1) + tuple(range(2, 2 + d))
                          + tuple(range(3 + d, 3 + 2 * d)))
    x = xp.zeros(padded_shape, dtype=cols.dtype)
    xg = x.reshape((n, groups, c // groups) + tuple(padded_shape[2:]))
    for offset in _kernel_offsets(kernel):
        region = (slice(None),) * 3 + tuple(
            slice(k * dil, k * dil + st * (o - 1) + 1, st)
            for k, dil, st, o in zip(offset, dilation, stride, out))
        xg[region] += cols[(slice(None),) * 3 + offset]
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
    kernel = w.shape[2:]
    cols, out = _im2col(xp, _pad(xp, x, padding), kernel, stride, dilation, groups)
    w2 = w.reshape(groups, w.shape[0] // groups, -1)
    y = xp.matmul(w2, cols)  # (G, O/G, N * prod(out))
    n = x.shape[0]
    y = y.reshape((w.shape[0], n) + out)
    return xp.ascontiguousarray(xp.moveaxis(y, 1, 0))


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
    padded = (n, w.shape[1] * groups) + tuple(s + lo + hi for s, (lo, hi) in zip(size, padding))
    cin_g = w.shape[0] // groups
    w2 = w.reshape(groups, cin_g, -1).transpose(0, 2, 1)        # (G, O/G*K, C/G)
    x2 = xp.moveaxis(x.reshape((n, groups, cin_g, -1)), 0, 2)    # (G, C/G, N, L)
    cols = xp.matmul(w2, x2.reshape(groups, cin_g, -1))
    y = _col2im(xp, cols, padded, kernel, stride, dilation, in_spatial, groups)
    return xp.ascontiguousarray(_crop(y, padding, size))


@conv_transpose.derivative
def conv_transpose(ctx, grad, stride, padding, dilation, groups, output_padding):
    x, w = ctx.saved_tensors
    gx = gw = None
    if ctx.needs_input_grad[0]:
        gx = conv.fn(grad, w, stride, padding, dilation, groups)
    if ctx.needs_input_grad[1]:
        gw = conv_weight.fn(grad, x, tuple(w.shape), stride, padding, dilation, groups)
    return gx, gw


@op(nin=2, save=(0, 1), method=False, function=False)
def conv_weight(xp, x, grad, weight_shape, stride, padding, dilation, groups):
    """The gradient of `conv` with respect to its weight: correlate x with grad."""
    kernel = weight_shape[2:]
    cols, out = _im2col(xp, _pad(xp, x, padding), kernel, stride, dilation, groups)
    o = grad.shape[1]
    g2 = xp.moveaxis(grad.reshape((grad.shape[0], groups, o // groups, -1)), 0, 2)
    g2 = g2.reshape(groups, o // groups, -1)                    # (G, O/G, N * L)
    gw = xp.matmul(g2, cols.transpose(0, 2, 1))                 # (G, O/G, C/G * K)
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
