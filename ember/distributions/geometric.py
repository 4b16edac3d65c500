"""PyTorch's path ``torch.distributions.geometric``; defined in `bernoulli`."""
from .bernoulli import Geometric

__all__ = ["Geometric"]
