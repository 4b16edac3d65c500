"""``ember.distributed``: PyTorch's ``torch.distributed`` API on MPI.

Ranks are processes started by MPI (``python -m ember.distributed.run --nproc-per-node 2
train.py``, or ``mpiexec -n 2 python train.py``); tensors move between them with mpi4py's
buffer-based calls, straight from the tensors' memory. mpi4py is imported only when
`init_process_group` (or `is_available`) runs, never by ``import ember``.

>>> import ember.distributed as dist
>>> dist.init_process_group("gloo")
>>> t = ember.ones(2) * dist.get_rank(); dist.all_reduce(t)
"""
from .collectives import (ReduceOp, Work, all_gather, all_gather_into_tensor, all_reduce,
                          all_to_all, all_to_all_single, barrier, broadcast, gather,
                          monitored_barrier, reduce, reduce_scatter, reduce_scatter_tensor,
                          scatter)
from .distributed_c10d import (Backend, GroupMember, destroy_process_group, get_backend,
                               get_global_rank, get_group_rank, get_process_group_ranks,
                               get_rank, get_world_size, group, init_process_group,
                               is_available, is_gloo_available, is_initialized,
                               is_mpi_available, is_nccl_available, is_torchelastic_launched,
                               new_group)
from .group import ProcessGroup
from .objects import (all_gather_object, broadcast_object_list, gather_object,
                      scatter_object_list)
from .p2p import irecv, isend, recv, send

__all__ = ["Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
           "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all",
           "all_to_all_single", "barrier", "broadcast", "broadcast_object_list",
           "destroy_process_group", "gather", "gather_object", "get_backend", "get_global_rank",
           "get_group_rank", "get_process_group_ranks", "get_rank", "get_world_size", "group",
           "init_process_group", "irecv", "is_available", "is_gloo_available",
           "is_initialized", "is_mpi_available", "is_nccl_available",
           "is_torchelastic_launched", "isend", "monitored_barrier", "new_group", "recv",
           "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter",
           "scatter_object_list", "send"]
