"""PyTorch's path ``torch.distributions.studentT``; defined in `gamma`."""
from .gamma import StudentT

__all__ = ["StudentT"]
