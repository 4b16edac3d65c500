"""Convolutions: `conv1d/2d/3d` and `conv_transpose1d/2d/3d` over the `conv` ops."""
from __future__ import annotations

from ...amp._hook import autocast_function
from ...ops import TABLE
from ._utils import batched, ntuple

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

_conv = TABLE["conv"].fn
_conv_transpose = TABLE["conv_transpose"].fn


def _padding_pairs(padding, kernel, stride, dilation, n, fn):
    if padding == "valid":
        return ((0, 0),) * n
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(f"{fn}(): padding='same' is not supported for strided "
                             "convolutions")
        pairs = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pairs.append((total // 2, total - total // 2))
        return tuple(pairs)
    if isinstance(padding, str):
        raise ValueError(f"{fn}(): Invalid padding string '{padding}', should be one of "
                         "'valid' or 'same'")
    return tuple((p, p) for p in ntuple(padding, n, "padding", fn))


def _add_bias(y, bias, n):
    return y if bias is None else y + bias.reshape((1, -1) + (1,) * n)


def _convnd(n, fn):
    def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        x, unbatched = batched(input, n, fn)
        stride = ntuple(stride, n, "stride", fn)
        dilation = ntuple(dilation, n, "dilation", fn)
        pads = _padding_pairs(padding, tuple(weight.shape[2:]), stride, dilation, n, fn)
        y = _add_bias(_conv(x, weight, stride, pads, dilation, groups), bias, n)
        return y.squeeze(0) if unbatched else y
    conv.__name__ = conv.__qualname__ = fn
    conv.__doc__ = (f"{n}-d convolution of ``input`` (N, C, ...) with ``weight`` "
                    f"(out_channels, C/groups, *kernel), plus ``bias``.")
    return autocast_function(conv)


def _conv_transposend(n, fn):
    def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                       groups=1, dilation=1):
        x, unbatched = batched(input, n, fn)
        stride = ntuple(stride, n, "stride", fn)
        dilation = ntuple(dilation, n, "dilation", fn)
        output_padding = ntuple(output_padding, n, "output_padding", fn)
        for op_, s, d in zip(output_padding, stride, dilation):
            if op_ >= s and op_ >= d:
                raise RuntimeError(f"{fn}(): output padding must be smaller than either stride "
                                   f"or dilation, but got output_padding={list(output_padding)}"
                                   f", stride={list(stride)}, dilation={list(dilation)}")
        pads = tuple((p, p) for p in ntuple(padding, n, "padding", fn))
        y = _conv_transpose(x, weight, stride, pads, dilation, groups, output_padding)
        y = _add_bias(y, bias, n)
        return y.squeeze(0) if unbatched else y
    conv_transpose.__name__ = conv_transpose.__qualname__ = fn
    conv_transpose.__doc__ = (f"{n}-d transposed convolution of ``input`` with ``weight`` "
                              f"(C, out_channels/groups, *kernel), plus ``bias``.")
    return autocast_function(conv_transpose)


conv1d = _convnd(1, "conv1d")
conv2d = _convnd(2, "conv2d")
conv3d = _convnd(3, "conv3d")
conv_transpose1d = _conv_transposend(1, "conv_transpose1d")
conv_transpose2d = _conv_transposend(2, "conv_transpose2d")
conv_transpose3d = _conv_transposend(3, "conv_transpose3d")
