"""Sliding blocks of images: `im2col` (F.unfold) and its adjoint `col2im` (F.fold).

Both reuse convolution's window helpers in `conv.py`; each is the other's derivative.
Shapes: images (N, C, H, W); columns (N, C * kh * kw, L) with L blocks, row-major.
"""
from __future__ import annotations

import math

import numpy as np

from ._op import op
from .conv import _host_only, _sample_columns, col2im_into, output_size


def _pairs(padding):
    return tuple((p, p) for p in padding)


@op(method=False, function=False)
def im2col(xp, x, kernel_size, dilation, padding, stride):
    """Every ``kernel_size`` block of the padded image ``x``, one column per block."""
    _host_only(xp, "im2col")
    pads = _pairs(padding)
    out = output_size(x.shape[2:], kernel_size, stride, pads, dilation)
    return _sample_columns(x, kernel_size, stride, dilation, pads, out)


@im2col.derivative
def im2col(ctx, grad, kernel_size, dilation, padding, stride):
    return col2im.fn(grad, tuple(ctx.shapes[0][2:]), kernel_size, dilation, padding, stride)


def blocks(output_size, kernel_size, dilation, padding, stride) -> tuple:
    """How many blocks fit along each dim."""
    return tuple((o + 2 * p - d * (k - 1) - 1) // s + 1
                 for o, k, d, p, s in zip(output_size, kernel_size, dilation, padding, stride))


@op(method=False, function=False)
def col2im(xp, cols, output_size, kernel_size, dilation, padding, stride):
    """Sum each column back onto the block of an ``output_size`` image it came from."""
    _host_only(xp, "col2im")
    n, ck, _ = cols.shape
    c = ck // math.prod(kernel_size)
    out = blocks(output_size, kernel_size, dilation, padding, stride)
    image = np.empty((n, c) + tuple(output_size), dtype=cols.dtype)
    col2im_into(image, cols, kernel_size, stride, dilation, padding, out)
    return image


@col2im.derivative
def col2im(ctx, grad, output_size, kernel_size, dilation, padding, stride):
    return im2col.fn(grad, kernel_size, dilation, padding, stride)
