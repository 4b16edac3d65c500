"""``ember.nn.parallel``: `DataParallel` as PyTorch programs write it (defined in
`data_parallel`, PyTorch's file for it)."""
from .data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
