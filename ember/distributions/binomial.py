"""PyTorch's path ``torch.distributions.binomial``; defined in `bernoulli`."""
from .bernoulli import Binomial

__all__ = ["Binomial"]
