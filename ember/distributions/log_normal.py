"""PyTorch's path ``torch.distributions.log_normal``; defined in `normal`."""
from .normal import LogNormal

__all__ = ["LogNormal"]
