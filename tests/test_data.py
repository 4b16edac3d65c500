"""ember.utils.data in the main process: datasets, samplers, collation, DataLoader options.

PyTorch's torch.utils.data is the oracle: the same datasets, indices and options go through
both, and batches, lengths, structures and error types must match.
"""
from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata
from tests.helpers import assert_close

Point = collections.namedtuple("Point", ["x", "y"])


def assert_same_batch(actual, expected, path="batch"):
    """The ember batch has torch's structure, container types, dtypes and values."""
    if isinstance(expected, torch.Tensor):
        assert_close(actual, expected, what=path)
    elif isinstance(expected, dict):
        assert type(actual) is type(expected) and list(actual) == list(expected), path
        for k in expected:
            assert_same_batch(actual[k], expected[k], f"{path}[{k!r}]")
    elif isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected) and len(actual) == len(expected), \
            f"{path}: {type(actual).__name__} of {len(actual)} vs torch's " \
            f"{type(expected).__name__} of {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same_batch(a, e, f"{path}[{i}]")
    else:
        assert actual == expected, path


def as_ember(sample):
    """The same sample with torch tensors replaced by ember tensors (namedtuples kept)."""
    if isinstance(sample, torch.Tensor):
        return ember.from_numpy(sample.numpy().copy())
    if isinstance(sample, dict):
        return type(sample)((k, as_ember(v)) for k, v in sample.items())
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(as_ember(v) for v in sample))
    if isinstance(sample, (list, tuple)):
        return type(sample)(as_ember(v) for v in sample)
    return sample


class Records(tdata.Dataset, edata.Dataset):
    """Samples mixing every type collation knows, built from a seeded generator."""

    def __init__(self, samples, torch_tensors):
        self.samples = samples
        self.torch_tensors = torch_tensors

    @classmethod
    def pair(cls, n, rng):
        """The same samples for torch's loader and ember's."""
        samples = [cls.make(i, rng) for i in range(n)]
        return cls(samples, torch_tensors=True), cls(samples, torch_tensors=False)

    @staticmethod
    def make(i, rng):
        return {"image": rng.standard_normal((3, 4)).astype(np.float32),
                "label": int(rng.integers(10)), "weight": float(rng.random()),
                "flag": bool(i % 2), "name": f"s{i}", "raw": bytes([i]),
                "pair": (np.float64(rng.random()), np.int32(i)),
                "point": Point(rng.standard_normal(2), [i, i + 1]),
                "tensor": torch.from_numpy(rng.standard_normal(5).astype(np.float32))}

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        return self.samples[i] if self.torch_tensors else as_ember(self.samples[i])


def test_default_collate_matches_torch_on_nested_samples(rng):
    ds, _ = Records.pair(6, rng)
    batch = [ds[i] for i in range(6)]
    expected = tdata.default_collate(batch)
    actual = edata.default_collate([as_ember(s) for s in batch])
    assert_same_batch(actual, expected)
    assert isinstance(actual["point"], Point)


@pytest.mark.parametrize("values", [[1.5, 2.0], [1, 2, 3], [True, False], [np.float32(1.0)],
                                    [np.int16(3), np.int16(4)], [np.bool_(True)],
                                    [np.zeros((), np.float32), np.ones((), np.float32)],
                                    [np.arange(3, dtype=np.uint8)] * 2])
def test_default_collate_leaf_types_match_torch(values):
    expected = tdata.default_collate(values)
    assert_same_batch(edata.default_collate(values), expected)


@pytest.mark.parametrize("batch", [
    [np.zeros(3), np.zeros(4)],                 # unequal shapes
    [[1, 2], [1, 2, 3]],                        # unequal sequence lengths
    [np.array(["a"]), np.array(["b"])],         # text arrays
    [object(), object()],                       # unknown type
    [2**70, 1],                                 # int overflow
])
def test_default_collate_errors_match_torch(batch):
    with pytest.raises(Exception) as expected:
        tdata.default_collate(batch)
    with pytest.raises(expected.type):
        edata.default_collate(batch)


def test_default_collate_unequal_tensors_names_shapes():
    with pytest.raises(RuntimeError, match=r"\[3\] at entry 0 and \[4\] at entry 1"):
        edata.default_collate([ember.zeros(3), ember.zeros(4)])


def test_default_collate_stacks_without_copies_per_sample(rng):
    # One stack of the samples' arrays; the batch owns fresh memory with the samples' dtype.
    samples = [ember.from_numpy(rng.standard_normal(4).astype(np.float32)) for _ in range(8)]
    batch = edata.default_collate(samples)
    assert batch.dtype == ember.float32 and tuple(batch.shape) == (8, 4)
    np.testing.assert_array_equal(batch.numpy(), np.stack([s.numpy() for s in samples]))


def test_default_convert_matches_torch(rng):
    data = {"a": rng.standard_normal(3), "b": (np.int64(2), "s"), "c": [np.float32(1.0)],
            "d": np.array(["x"]), "e": Point(np.zeros(2), 3)}
    expected = tdata.default_convert(data)
    actual = edata.default_convert(data)
    assert_same_batch({k: v for k, v in actual.items() if k != "d"},
                      {k: v for k, v in expected.items() if k != "d"})
    assert actual["d"] is data["d"]
    # arrays convert without copying, as torch.as_tensor does
    assert np.shares_memory(actual["a"].numpy(), data["a"])


# -- datasets ------------------------------------------------------------------------------

def test_tensor_dataset_rows_and_length(rng):
    x, y = rng.standard_normal((5, 3)).astype(np.float32), np.arange(5)
    ds = edata.TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    tds = tdata.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    assert len(ds) == len(tds) == 5
    for i in (0, 3, -1):
        assert_same_batch(ds[i], tds[i])


def test_tensor_dataset_size_mismatch_raises_like_torch():
    with pytest.raises(AssertionError, match="Size mismatch"):
        edata.TensorDataset(ember.zeros(3), ember.zeros(4))
    with pytest.raises(AssertionError):
        tdata.TensorDataset(torch.zeros(3), torch.zeros(4))


def test_concat_dataset_indexing_matches_torch():
    parts = [list(range(3)), list(range(10, 15)), [], list(range(20, 22))]
    ours = edata.ConcatDataset(parts)
    theirs = tdata.ConcatDataset(parts)
    assert len(ours) == len(theirs) and ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-len(theirs), len(theirs)):
        assert ours[i] == theirs[i]
    for bad in (len(theirs), -len(theirs) - 1):
        with pytest.raises(Exception) as expected:
            theirs[bad]
        with pytest.raises(expected.type):
            ours[bad]
    with pytest.raises(AssertionError):
        edata.ConcatDataset([])


class Stream(edata.IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_dataset_addition_concatenates_and_chains():
    a, b = Stream([1, 2]), Stream([3])
    chained = a + b
    assert isinstance(chained, edata.ChainDataset) and list(chained) == [1, 2, 3]
    assert len(chained) == 3

    class Items(edata.Dataset):
        def __init__(self, items):
            self.items = items

        def __getitem__(self, i):
            return self.items[i]

        def __len__(self):
            return len(self.items)
    both = Items("ab") + Items("cde")
    assert isinstance(both, edata.ConcatDataset) and [both[i] for i in range(5)] == list("abcde")
    with pytest.raises(AssertionError):
        edata.ConcatDataset([Items("a"), Stream([1])])


def test_subset_and_stack_dataset():
    base = list(range(100, 110))
    sub = edata.Subset(base, [3, 1, 4])
    assert [sub[i] for i in range(3)] == [103, 101, 104] and len(sub) == 3
    assert sub.__getitems__([2, 0]) == [104, 103]
    stacked = edata.StackDataset(base, list("abcdefghij"))
    assert stacked[2] == (102, "c") and stacked.__getitems__([0, 1]) == [(100, "a"), (101, "b")]
    named = edata.StackDataset(n=base, s=list("abcdefghij"))
    assert named[1] == {"n": 101, "s": "b"} and len(named) == 10
    for bad in (lambda: edata.StackDataset(base, [1]), lambda: edata.StackDataset(base, s=base)):
        with pytest.raises(ValueError):
            bad()


def test_random_split_lengths_and_fractions():
    data = list(range(10))
    parts = edata.random_split(data, [3, 7], generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == data
    # fractions: leftovers go round-robin to the first splits, as in torch
    for fracs in ([0.5, 0.5], [0.33, 0.33, 0.34], [0.1, 0.2, 0.7], [0.25] * 4):
        ours = [len(p) for p in edata.random_split(data, fracs)]
        theirs = [len(p) for p in tdata.random_split(data, fracs)]
        assert ours == theirs
    again = edata.random_split(data, [3, 7], generator=ember.Generator().manual_seed(0))
    assert again[0].indices == parts[0].indices
    for bad in ([3, 3], [0.5, 0.6], [1.5, -0.5]):
        with pytest.raises(ValueError):
            tdata.random_split(data, bad)
        with pytest.raises(ValueError):
            edata.random_split(data, bad)


# -- samplers ------------------------------------------------------------------------------

def test_sequential_and_batch_samplers_match_torch():
    for n, size, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]:
        ours = edata.BatchSampler(edata.SequentialSampler(range(n)), size, drop)
        theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), size, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("kwargs", [{"batch_size": 0, "drop_last": False},
                                    {"batch_size": True, "drop_last": False},
                                    {"batch_size": 2.0, "drop_last": False},
                                    {"batch_size": 2, "drop_last": 1}])
def test_batch_sampler_validation_matches_torch(kwargs):
    with pytest.raises(Exception) as expected:
        tdata.BatchSampler(range(3), **kwargs)
    with pytest.raises(expected.type):
        edata.BatchSampler(range(3), **kwargs)


def test_random_sampler_permutes_and_reproduces():
    data = range(50)
    g = ember.Generator().manual_seed(7)
    first, second = list(edata.RandomSampler(data, generator=g)), list(
        edata.RandomSampler(data, generator=g))
    assert sorted(first) == list(data) and first != second  # a new permutation each pass
    replay = list(edata.RandomSampler(data, generator=ember.Generator().manual_seed(7)))
    assert replay == first
    longer = list(edata.RandomSampler(data, num_samples=120))
    assert len(longer) == 120 and sorted(longer[:50]) == list(data)
    with_replacement = list(edata.RandomSampler(data, replacement=True, num_samples=500))
    assert len(with_replacement) == 500 and set(with_replacement) <= set(data)
    assert len(set(with_replacement)) < 50 or len(with_replacement) > 50


@pytest.mark.parametrize("kwargs", [{"replacement": 1}, {"num_samples": 0},
                                    {"num_samples": -3}, {"num_samples": 2.5}])
def test_random_sampler_validation_matches_torch(kwargs):
    with pytest.raises(Exception) as expected:
        tdata.RandomSampler(range(4), **kwargs)
    with pytest.raises(expected.type):
        edata.RandomSampler(range(4), **kwargs)


def test_subset_random_and_weighted_samplers():
    indices = [5, 9, 11, 2]
    drawn = list(edata.SubsetRandomSampler(indices))
    assert sorted(drawn) == sorted(indices) and len(edata.SubsetRandomSampler(indices)) == 4
    weights = [0.0, 1.0, 3.0]
    counts = np.bincount(list(edata.WeightedRandomSampler(weights, 4000)), minlength=3)
    assert counts[0] == 0 and abs(counts[2] / counts[1] - 3.0) < 0.5
    unique = list(edata.WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(unique) == [0, 1, 2, 3]
    for bad in ({"weights": [[1.0, 2.0]], "num_samples": 2}, {"weights": [1.0], "num_samples": 0}):
        with pytest.raises(Exception) as expected:
            tdata.WeightedRandomSampler(**bad)
        with pytest.raises(expected.type):
            edata.WeightedRandomSampler(**bad)


# -- DataLoader, main process --------------------------------------------------------------

@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (4, False), (4, True), (None, False),
                                                  (32, False)])
def test_dataloader_batches_match_torch(rng, batch_size, drop_last):
    torch_ds, ember_ds = Records.pair(10, rng)
    ours = edata.DataLoader(ember_ds, batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(torch_ds, batch_size=batch_size, drop_last=drop_last)
    expected = list(theirs)
    actual = list(ours)
    assert len(ours) == len(theirs) == len(expected) == len(actual)
    for a, e in zip(actual, expected):
        assert_same_batch(a, e)


def test_dataloader_over_tensor_dataset(rng):
    x = rng.standard_normal((10, 3)).astype(np.float32)
    y = rng.integers(0, 5, 10)
    ours = edata.DataLoader(edata.TensorDataset(ember.from_numpy(x), ember.from_numpy(y)),
                            batch_size=4)
    theirs = tdata.DataLoader(tdata.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                              batch_size=4)
    for a, e in zip(ours, theirs, strict=True):
        assert_same_batch(a, e)


def test_dataloader_shuffle_visits_every_sample_once_per_epoch():
    loader = edata.DataLoader(list(range(20)), batch_size=6, shuffle=True,
                              generator=ember.Generator().manual_seed(3))
    epochs = [[int(v) for b in loader for v in b.tolist()] for _ in range(2)]
    assert all(sorted(e) == list(range(20)) for e in epochs) and epochs[0] != epochs[1]
    replay = edata.DataLoader(list(range(20)), batch_size=6, shuffle=True,
                              generator=ember.Generator().manual_seed(3))
    assert [int(v) for b in replay for v in b.tolist()] == epochs[0]


def test_dataloader_iterable_dataset_batches_and_len():
    ours = edata.DataLoader(Stream(list(range(7))), batch_size=3)
    assert [b.tolist() for b in ours] == [[0, 1, 2], [3, 4, 5], [6]] and len(ours) == 3
    dropped = edata.DataLoader(Stream(list(range(7))), batch_size=3, drop_last=True)
    assert [b.tolist() for b in dropped] == [[0, 1, 2], [3, 4, 5]] and len(dropped) == 2
    unbatched = edata.DataLoader(Stream([np.float32(1), np.float32(2)]), batch_size=None)
    assert [b.item() for b in unbatched] == [1.0, 2.0]


def test_dataloader_custom_samplers_and_collate():
    loader = edata.DataLoader(list("abcdef"), batch_sampler=[[0, 5], [2]],
                              collate_fn="".join)
    assert list(loader) == ["af", "c"] and len(loader) == 2
    sampled = edata.DataLoader(list("abcdef"), sampler=[4, 1, 3], batch_size=2, collate_fn=list)
    assert list(sampled) == [["e", "b"], ["d"]]


class TorchStream(tdata.IterableDataset):
    def __iter__(self):
        return iter(range(3))


class EmberStream(edata.IterableDataset):
    def __iter__(self):
        return iter(range(3))


@pytest.mark.parametrize("kwargs", [
    {"num_workers": -1}, {"timeout": -1}, {"prefetch_factor": 2},
    {"num_workers": 1, "prefetch_factor": -1}, {"persistent_workers": True},
    {"shuffle": True, "sampler": [0, 1]}, {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True}, {"batch_sampler": [[0]], "drop_last": True},
    {"batch_sampler": [[0]], "sampler": [0]}, {"batch_size": None, "drop_last": True},
    {"multiprocessing_context": "fork"}, {"num_workers": 1, "multiprocessing_context": "nope"},
    {"num_workers": 1, "multiprocessing_context": 3}, {"batch_size": 0},
])
def test_dataloader_argument_errors_match_torch(kwargs):
    with pytest.raises(Exception) as expected:
        tdata.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(expected.type):
        edata.DataLoader(list(range(4)), **kwargs)


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [0]},
                                    {"batch_sampler": [[0]]}])
def test_dataloader_iterable_dataset_refuses_samplers_like_torch(kwargs):
    with pytest.raises(Exception) as expected:
        tdata.DataLoader(TorchStream(), **kwargs)
    with pytest.raises(expected.type):
        edata.DataLoader(EmberStream(), **kwargs)


def test_dataloader_attributes_frozen_after_init():
    loader = edata.DataLoader(list(range(4)), batch_size=2)
    for name in ("batch_size", "sampler", "dataset", "drop_last"):
        with pytest.raises(ValueError, match=f"{name} attribute should not be set"):
            setattr(loader, name, None)
    loader.num_workers = 0  # other attributes stay settable


def test_pin_memory_warns_without_accelerator():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loader = edata.DataLoader([np.zeros(2)], pin_memory=True)
    assert any("pin_memory" in str(w.message) for w in caught)
    assert_close(next(iter(loader)), torch.zeros(1, 2, dtype=torch.float64))


def test_get_worker_info_is_none_in_main_process():
    assert edata.get_worker_info() is None


def test_tensor_dataset_batch_fetch_matches_per_sample(rng):
    x = ember.from_numpy(rng.standard_normal((6, 2, 3)).astype(np.float32))
    y = ember.from_numpy(rng.integers(0, 4, 6))
    ds = edata.TensorDataset(x, y)
    indices = [4, 0, 5, 0]
    for got, want in zip(ds.__getitems__(indices), [ds[i] for i in indices], strict=True):
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g.numpy(), w.numpy())
    with pytest.raises(IndexError, match="index 6 is out of bounds for dimension 0 with size 6"):
        ds.__getitems__([6])
    grads = edata.TensorDataset(ember.zeros(3, 2, requires_grad=True))
    assert grads.__getitems__([1])[0][0].requires_grad  # rows keep their autograd history


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                                  (2, 5, False), (2, 5, True), (7, 1, False)])
def test_distributed_sampler_matches_torch_unshuffled(n, replicas, drop_last):
    for rank in range(replicas):
        ours = edata.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                        drop_last=drop_last)
        theirs = tdata.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                          drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_distributed_sampler_shuffles_alike_on_every_rank():
    def shares(epoch):
        samplers = [edata.DistributedSampler(range(12), 3, r, seed=5) for r in range(3)]
        for s in samplers:
            s.set_epoch(epoch)
        return [list(s) for s in samplers]
    first = shares(0)
    assert sorted(sum(first, [])) == list(range(12)) and first == shares(0)
    assert first != shares(1)
    for bad_rank in (3, -1):
        with pytest.raises(ValueError):
            tdata.DistributedSampler(range(4), 3, bad_rank)
        with pytest.raises(ValueError):
            edata.DistributedSampler(range(4), 3, bad_rank)


@pytest.mark.parametrize("dtypes", [("int64", "float32"), ("float32", "float64"), ("bool", "uint8"),
                                    ("int32", "int64", "float16")])
def test_default_collate_promotes_like_torch(dtypes):
    samples = [np.arange(3).astype(d) for d in dtypes]
    assert_same_batch(edata.default_collate(samples), tdata.default_collate(samples))
    scalars = [np.zeros((), d) for d in dtypes]
    assert_same_batch(edata.default_collate(scalars), tdata.default_collate(scalars))


def test_default_collate_keeps_autograd_history():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0], requires_grad=True)
    batch = edata.default_collate([a, b])
    assert batch.requires_grad and tuple(batch.shape) == (2, 2)
    (batch * ember.tensor([[1.0, 1.0], [2.0, 2.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad.tolist() == [2.0, 2.0]


def test_tensor_dataset_fast_batches_equal_collated_samples(rng):
    x = ember.from_numpy(rng.standard_normal((9, 2, 3)).astype(np.float32))
    y = ember.from_numpy(rng.integers(0, 4, 9))
    ds = edata.TensorDataset(x, y)
    fast = list(edata.DataLoader(ds, batch_size=4, shuffle=True,
                                 generator=ember.Generator().manual_seed(1)))
    slow = list(edata.DataLoader(ds, batch_size=4, shuffle=True, collate_fn=lambda b:
                                 edata.default_collate(b),
                                 generator=ember.Generator().manual_seed(1)))
    for f, s in zip(fast, slow, strict=True):
        assert type(f) is list and len(f) == 2
        for a, b in zip(f, s, strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_classes_are_generic_like_torch():
    class Squares(edata.Dataset[int]):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return i * i
    loader: edata.DataLoader[int] = edata.DataLoader(Squares(), batch_size=3)
    assert next(iter(loader)).tolist() == [0, 1, 4]
    assert edata.Sampler[int] is not None and edata.IterableDataset[str] is not None
