"""PyTorch's path for these layers (``torch.nn.modules.upsampling``); they live in `vision`."""
from .vision import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
