"""PyTorch's path ``torch.distributions.mixture_same_family``; defined in `mixture`."""
from .mixture import MixtureSameFamily

__all__ = ["MixtureSameFamily"]
