"""``ember.utils.data.distributed``: `DistributedSampler`, each rank's share of a dataset."""
from __future__ import annotations

from typing import Iterator

import ember

from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The share of the dataset's indices that belongs to process ``rank`` of
    ``num_replicas``: every rank gets the same number of indices (padded by repeating from
    the start, or trimmed with ``drop_last``), shuffled by ``seed + epoch`` alike on all ranks.
    Call ``set_epoch`` each epoch for a new shuffle.

    >>> [list(DistributedSampler(range(5), 2, r, shuffle=False)) for r in (0, 1)]
    [[0, 2, 4], [1, 3, 0]]
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = _process_group("get_world_size")
        if rank is None:
            rank = _process_group("get_rank")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        n = len(dataset)
        self.num_samples = n // num_replicas if drop_last else -(-n // num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = ember.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = ember.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        elif indices:
            repeats = -(-self.total_size // n)
            indices = (indices * repeats)[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle differently for this epoch (the same way on every rank)."""
        self.epoch = epoch


def _process_group(query: str) -> int:
    try:
        from ember import distributed
    except ImportError:
        raise RuntimeError("Requires distributed package to be available") from None
    return getattr(distributed, query)()
