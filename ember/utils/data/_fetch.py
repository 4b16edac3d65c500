"""Fetchers: turn one index (or list of indices) from the sampler into one collated batch."""
from __future__ import annotations

from .collate import default_collate
from .dataset import IterableDataset, TensorDataset


class MapFetcher:
    """Reads ``dataset[i]`` for each index of a batch (or ``__getitems__`` when offered)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        dataset_get = dataset.__getitem__
        self._get_many = getitems or (lambda indices: [dataset_get(i) for i in indices])
        # The everyday training loop: default_collate over a TensorDataset's samples is the
        # rows gathered in one indexing per tensor; skip making and re-stacking each sample.
        exact = type(dataset) is TensorDataset and collate_fn is default_collate
        self._gather = dataset.gather if exact else None

    def fetch(self, index):
        if self.auto_collation:
            batch = self._gather(index) if self._gather is not None else None
            return batch if batch is not None else self.collate_fn(self._get_many(index))
        return self.collate_fn(self.dataset[index])


class IterableFetcher:
    """Pulls the next sample (or the next ``len(index)`` samples) from one iterator over the
    dataset; raises StopIteration once the stream is exhausted."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.stream = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.stream))
        samples = []
        for _ in index:
            try:
                samples.append(next(self.stream))
            except StopIteration:
                self.ended = True
                break
        if not samples or (self.drop_last and len(samples) < len(index)):
            raise StopIteration
        return self.collate_fn(samples)


def make_fetcher(dataset, auto_collation: bool, collate_fn, drop_last: bool):
    kind = IterableFetcher if isinstance(dataset, IterableDataset) else MapFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)
