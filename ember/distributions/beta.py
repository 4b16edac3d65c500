"""PyTorch's path ``torch.distributions.beta``; defined in `gamma`."""
from .gamma import Beta

__all__ = ["Beta"]
