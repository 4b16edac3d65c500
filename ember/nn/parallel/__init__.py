"""``ember.nn.parallel``: `DataParallel` as PyTorch programs write it (defined in
`data_parallel`, PyTorch's file for it), and `DistributedDataParallel` on
`ember.distributed` for multi-process data parallelism."""
from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
