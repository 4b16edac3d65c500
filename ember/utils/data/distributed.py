"""PyTorch's path ``torch.utils.data.distributed``; defined in `sampler`."""
from .sampler import DistributedSampler

__all__ = ["DistributedSampler"]
