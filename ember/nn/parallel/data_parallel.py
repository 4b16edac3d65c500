"""PyTorch's path ``torch.nn.parallel.data_parallel``; defined in the package."""
from . import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
