"""PyTorch's path ``torch.distributions.one_hot_categorical``; defined in `categorical`."""
from .categorical import OneHotCategorical

__all__ = ["OneHotCategorical"]
