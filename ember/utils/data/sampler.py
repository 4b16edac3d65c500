"""Samplers: the order in which a DataLoader visits a map-style dataset's indices."""
from __future__ import annotations

import itertools
from typing import Generic, Iterator, Sequence, TypeVar

import ember


def draw_seed(generator=None) -> int:
    """One 63-bit seed drawn from ``generator`` (the global generator when None)."""
    return int(ember.empty((), dtype=ember.int64).random_(generator=generator).item())


def _own_generator(generator):
    # Without a generator, a fresh one seeded by a single draw from the global stream: each
    # epoch then advances the global stream by one number, whatever the dataset's size.
    if generator is not None:
        return generator
    g = ember.Generator()
    g.manual_seed(draw_seed())
    return g

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: subclasses yield indices (or lists of indices) from ``__iter__``."""

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a fresh permutation per pass, or ``num_samples`` draws with
    replacement.

    >>> sorted(RandomSampler(range(4), generator=ember.Generator().manual_seed(0)))
    [0, 1, 2, 3]
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        """How many indices one pass yields (the dataset's length unless ``num_samples`` was given).
        """
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = _own_generator(self.generator)
        if self.replacement:
            return iter(ember.randint(0, n, (self.num_samples,), dtype=ember.int64,
                                      generator=generator).tolist())
        whole, rest = divmod(self.num_samples, n)
        passes = [ember.randperm(n, generator=generator).tolist() for _ in range(whole)]
        passes.append(ember.randperm(n, generator=generator).tolist()[:rest])
        return itertools.chain.from_iterable(passes)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each pass."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        order = ember.randperm(len(self.indices), generator=self.generator).tolist()
        return (self.indices[i] for i in order)

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    >>> list(WeightedRandomSampler([0.0, 1.0], 5))   # index 0 has weight 0
    [1, 1, 1, 1, 1]
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        _check_positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        weights = ember.as_tensor(weights, dtype=ember.float64)
        if weights.dim() != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights.shape)}")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        drawn = ember.multinomial(self.weights, self.num_samples, self.replacement,
                                  generator=self.generator)
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size``.

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        _check_positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list]:
        indices = iter(self.sampler)
        size = self.batch_size
        while batch := list(itertools.islice(indices, size)):
            if len(batch) < size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)


class _InfiniteConstantSampler(Sampler):
    """None forever: the index stream of an IterableDataset, which ignores indices."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


def _check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


