"""PyTorch's path for these layers (``torch.nn.modules.pixelshuffle``); they live in `vision`."""
from .vision import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
