"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d."""
from __future__ import annotations

import math

from ... import _creation
from ..._package import aliases
from .. import functional as F
from .. import init
from ..functional._utils import ntuple
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What every convolution layer holds: the weight, the bias, and the geometry."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None, output_padding=0):
        super().__init__()
        n, name = self._dims, type(self).__name__
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string '{padding}', should be one of "
                                 "['valid', 'same']")
            if padding == "same" and any(s != 1 for s in ntuple(stride, n, "stride", name)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride, n, "stride", name)
        self.padding = padding if isinstance(padding, str) else ntuple(padding, n, "padding",
                                                                       name)
        self.dilation = ntuple(dilation, n, "dilation", name)
        self.transposed = self._transposed
        self.output_padding = ntuple(output_padding, n, "output_padding", name)
        self.groups = groups
        self.padding_mode = padding_mode
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(_creation.empty(shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the weight from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (Kaiming-uniform with
        ``a=sqrt(5)``) and the bias likewise, as the constructor does.
        """
        # PyTorch's default: kaiming_uniform with a=sqrt(5), i.e. U(-1/sqrt(fan_in), ...)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
            f"stride={self.stride}"
        n = self._dims
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"  # PyTorch prints 'same' without quotes
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _conv = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        if self.padding_mode == "zeros":
            return type(self)._conv(input, self.weight, self.bias, self.stride, self.padding,
                                    self.dilation, self.groups)
        # other modes pad explicitly first, then convolve without padding
        pad = [p for p in reversed(self._explicit_padding()) for p in (p[0], p[1])]
        x = F.pad(input, pad, mode=self.padding_mode)
        return type(self)._conv(x, self.weight, self.bias, self.stride, 0, self.dilation,
                                self.groups)

    def _explicit_padding(self):
        if self.padding == "valid":
            return [(0, 0)] * self._dims
        if self.padding == "same":
            pairs = []
            for k, d in zip(self.kernel_size, self.dilation):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
            return pairs
        return [(p, p) for p in self.padding]


class _ConvTranspose(_ConvNd):
    _transposed = True
    _conv_transpose = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)

    def forward(self, input, output_size=None):
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding_for(input, output_size)
        return type(self)._conv_transpose(input, self.weight, self.bias, self.stride,
                                          self.padding, output_padding, self.groups,
                                          self.dilation)

    def _output_padding_for(self, input, output_size):
        n = self._dims
        wanted = list(output_size)[-n:]
        spatial = input.shape[-n:]
        pads = []
        for i in range(n):
            smallest = ((spatial[i] - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            extra = wanted[i] - smallest
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"requested an output size of {wanted}, but valid sizes range "
                                 f"from {smallest} to {smallest + self.stride[i] - 1} (for an "
                                 f"input of {list(spatial)})")
            pads.append(extra)
        return tuple(pads)


class Conv1d(_Conv):
    """1-d convolution over (N, C, L) inputs."""
    _dims, _conv = 1, staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-d convolution over (N, C, H, W) inputs.

    >>> ember.nn.Conv2d(1, 6, 5)(ember.randn(8, 1, 28, 28)).shape
    ember.Size([8, 6, 24, 24])
    """
    _dims, _conv = 2, staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-d convolution over (N, C, D, H, W) inputs."""
    _dims, _conv = 3, staticmethod(F.conv3d)


class ConvTranspose1d(_ConvTranspose):
    """1-d transposed convolution."""
    _dims, _conv_transpose = 1, staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-d transposed convolution ("deconvolution")."""
    _dims, _conv_transpose = 2, staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-d transposed convolution."""
    _dims, _conv_transpose = 3, staticmethod(F.conv_transpose3d)


__getattr__ = aliases(__name__, {name: "ember.nn.modules.lazy" for name in (
    "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
    "LazyConvTranspose3d")})
