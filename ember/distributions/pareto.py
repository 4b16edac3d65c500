"""PyTorch's path ``torch.distributions.pareto``; defined in `weibull`."""
from .weibull import Pareto

__all__ = ["Pareto"]
