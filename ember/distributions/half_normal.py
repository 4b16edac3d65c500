"""PyTorch's path ``torch.distributions.half_normal``; defined in `normal`."""
from .normal import HalfNormal

__all__ = ["HalfNormal"]
