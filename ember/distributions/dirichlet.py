"""PyTorch's path ``torch.distributions.dirichlet``; defined in `gamma`."""
from .gamma import Dirichlet

__all__ = ["Dirichlet"]
