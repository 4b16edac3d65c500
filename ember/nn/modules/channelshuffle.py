"""PyTorch's path for these layers (``torch.nn.modules.channelshuffle``); they live in `vision`."""
from .vision import ChannelShuffle

__all__ = ["ChannelShuffle"]
