"""PyTorch's path ``torch.distributions.poisson``; defined in `gamma`."""
from .gamma import Poisson

__all__ = ["Poisson"]
