"""Re-laying out convolution weights in a memory format (``ember.channels_last``...)."""
from __future__ import annotations

from ..modules.module import Module

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module: Module, memory_format, layers: tuple[type, ...]) -> Module:
    if isinstance(module, layers):
        module.weight.data = module.weight.detach().clone(memory_format=memory_format)
    for child in module.children():
        _convert(child, memory_format, layers)
    return module


def convert_conv2d_weight_memory_format(module: Module, memory_format) -> Module:
    """Store the weight of every ``Conv2d``/``ConvTranspose2d`` in ``module`` (recursively)
    in ``memory_format``; returns ``module``.

    >>> model = nn.Sequential(nn.Conv2d(3, 8, 3))
    >>> model = nn.utils.convert_conv2d_weight_memory_format(model, ember.channels_last)
    >>> model[0].weight.is_contiguous(memory_format=ember.channels_last)
    True
    """
    from ..modules.conv import Conv2d, ConvTranspose2d
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module: Module, memory_format) -> Module:
    """Like `convert_conv2d_weight_memory_format`, for ``Conv3d``/``ConvTranspose3d``
    (``ember.channels_last_3d``)."""
    from ..modules.conv import Conv3d, ConvTranspose3d
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
