"""PyTorch's path ``torch.distributions.chi2``; defined in `gamma`."""
from .gamma import Chi2

__all__ = ["Chi2"]
