"""DataLoader with worker processes: order, seeding, sharding, errors, deaths and shutdown."""
from __future__ import annotations

import functools
import os
import pickle
import random
import signal
import time

import numpy as np
import pytest

import ember
import ember.utils.data as edata


class Echo(edata.Dataset):
    """Sample i is i, plus facts about the process that produced it."""

    def __init__(self, n=23, sleep=0.0):
        self.n, self.sleep = n, sleep

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(self.sleep)
        info = edata.get_worker_info()
        return {"i": i, "pid": os.getpid(), "worker": -1 if info is None else info.id,
                "seed": -1 if info is None else info.seed,
                "np": np.random.randint(2**31), "py": random.getrandbits(31),
                "init": getattr(info.dataset, "init_mark", -1) if info else -1}


def flat(loader, key="i"):
    return [int(v) for batch in loader for v in batch[key].tolist()]


def alive(pid: int) -> bool:
    """True while ``pid`` exists at all (a zombie counts: it has not been reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("num_workers,batch_size,prefetch", [(1, 4, 2), (2, 3, 1), (3, 1, 4)])
def test_batches_arrive_in_sampler_order(num_workers, batch_size, prefetch):
    ds = Echo(sleep=0.001)
    loader = edata.DataLoader(ds, batch_size=batch_size, num_workers=num_workers,
                              prefetch_factor=prefetch)
    batches = list(loader)
    assert flat(batches) == list(range(ds.n)) and len(batches) == len(loader)
    workers_used = {int(w) for b in batches for w in b["worker"].tolist()}
    assert workers_used == set(range(num_workers))
    assert os.getpid() not in {int(p) for b in batches for p in b["pid"].tolist()}


def test_shuffled_order_matches_single_process_with_same_generator():
    def order(num_workers):
        g = ember.Generator().manual_seed(11)
        return flat(edata.DataLoader(Echo(), batch_size=5, shuffle=True, generator=g,
                                     num_workers=num_workers))
    single = order(0)
    assert sorted(single) == list(range(23))
    assert order(2) == single


def test_tensor_dataset_through_workers(rng):
    x = ember.from_numpy(rng.standard_normal((17, 3)).astype(np.float32))
    y = ember.from_numpy(rng.integers(0, 9, 17))
    ds = edata.TensorDataset(x, y)
    for (xa, ya), (xb, yb) in zip(edata.DataLoader(ds, batch_size=4, num_workers=2),
                                  edata.DataLoader(ds, batch_size=4), strict=True):
        assert xa.dtype == ember.float32 and ya.dtype == ember.int64
        np.testing.assert_array_equal(xa.numpy(), xb.numpy())
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())


def test_worker_seeds_follow_the_loader_generator():
    def run(seed):
        loader = edata.DataLoader(Echo(n=4), batch_size=2, num_workers=2,
                                  generator=ember.Generator().manual_seed(seed))
        return [{k: b[k].tolist() for k in ("worker", "seed", "np", "py")} for b in loader]
    first, again, other = run(1), run(1), run(2)
    assert first == again and first != other
    (w0, w1) = first
    assert w0["worker"] == [0, 0] and w1["worker"] == [1, 1]
    assert w1["seed"][0] == w0["seed"][0] + 1            # seed = base_seed + worker_id
    assert w0["np"] != w1["np"] and w0["py"] != w1["py"]  # NumPy and random differ per worker


def test_worker_seed_seeds_embers_global_rng():
    class Draws(edata.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            seed = edata.get_worker_info().seed
            first = ember.randperm(50).tolist()
            ember.manual_seed(seed)
            return first == ember.randperm(50).tolist()
    assert all(b.item() for b in edata.DataLoader(Draws(), num_workers=2))


def test_worker_init_fn_runs_in_each_worker():
    def init(worker_id):
        edata.get_worker_info().dataset.init_mark = 100 + worker_id
    loader = edata.DataLoader(Echo(n=6), batch_size=1, num_workers=2, worker_init_fn=init)
    marks = {(int(b["worker"]), int(b["init"])) for b in loader}
    assert marks == {(0, 100), (1, 101)}


def test_persistent_workers_survive_epochs():
    loader = edata.DataLoader(Echo(n=8), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [list(loader) for _ in range(3)]
    pids = [{int(p) for b in e for p in b["pid"].tolist()} for e in epochs]
    assert pids[0] == pids[1] == pids[2] and len(pids[0]) == 2
    assert all(flat(e) == list(range(8)) for e in epochs)
    # An epoch abandoned half-way does not leak its prefetched batches into the next one.
    it = iter(loader)
    next(it)
    assert flat(loader) == list(range(8))
    workers = loader._iterator._workers
    del loader, it
    import gc
    gc.collect()
    assert not any(alive(w.pid) for w in workers)


def test_non_persistent_workers_are_new_each_epoch_and_reaped():
    loader = edata.DataLoader(Echo(n=4), batch_size=2, num_workers=2)
    it = iter(loader)
    first = list(it)
    assert all(w.exitcode is not None and not alive(w.pid) for w in it._workers)
    second = list(loader)
    pids = [{int(p) for b in e for p in b["pid"].tolist()} for e in (first, second)]
    assert pids[0].isdisjoint(pids[1])


def test_abandoned_iterator_stops_its_workers():
    it = iter(edata.DataLoader(Echo(n=100), batch_size=2, num_workers=2))
    next(it)
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)
    del it
    assert not any(alive(w.pid) for w in workers)


def test_timeout_raises():
    loader = edata.DataLoader(Echo(n=2, sleep=3.0), num_workers=1, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.3 seconds"):
        next(iter(loader))
    assert time.monotonic() - start < 2.5


class FailsAt(edata.Dataset):
    """Samples 0..7; fetching sample ``index`` runs ``action`` (raises, exits, dies)."""

    def __init__(self, index, action):
        self.index, self.action = index, action

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == self.index:
            self.action()
        return i


def raise_in_dataset(error):
    raise error


def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)


class TwoArgError(Exception):
    def __init__(self, code, detail):
        super().__init__(code, detail)


@pytest.mark.parametrize("error,expected", [(ValueError("bad sample 3"), ValueError),
                                            (KeyError("missing"), KeyError),
                                            (TwoArgError(1, "x"), RuntimeError)])
def test_worker_exception_reraised_with_traceback(error, expected):
    it = iter(edata.DataLoader(FailsAt(3, functools.partial(raise_in_dataset, error)),
                               batch_size=2, num_workers=2))
    assert next(it).tolist() == [0, 1]
    with pytest.raises(expected) as caught:
        next(it)
    text = str(caught.value)
    assert "in DataLoader worker process 1" in text
    assert "raise_in_dataset" in text and type(error).__name__ in text  # the worker's traceback
    assert next(it).tolist() == [4, 5]  # like torch, the iterator can go on


def test_unpicklable_batch_is_an_error_not_a_hang():
    loader = edata.DataLoader(Echo(n=2), num_workers=1, collate_fn=lambda b: (lambda: b))
    with pytest.raises(Exception, match="could not be pickled"):
        next(iter(loader))


@pytest.mark.parametrize("action,reason", [(functools.partial(os._exit, 3), "exit code 3"),
                                           (kill_self, "SIGKILL")])
def test_dead_worker_is_reported_not_hung(action, reason):
    it = iter(edata.DataLoader(FailsAt(5, action), batch_size=2, num_workers=2))
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+\) exited "
                                           rf"unexpectedly.*{reason}"):
        list(it)
    assert time.monotonic() - start < 10
    with pytest.raises(RuntimeError, match="exited unexpectedly"):  # not a silent end
        next(it)
    assert not any(alive(w.pid) for w in it._workers)


class Shards(edata.IterableDataset):
    """The usual sharding pattern: each worker takes every num_workers-th item."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = edata.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


@pytest.mark.parametrize("num_workers,batch_size", [(1, 4), (3, 4), (3, None), (4, 1)])
def test_iterable_dataset_sharded_across_workers(num_workers, batch_size):
    loader = edata.DataLoader(Shards(22), batch_size=batch_size, num_workers=num_workers)
    items = [v for b in loader for v in (b.tolist() if isinstance(b, ember.Tensor) else [b])]
    assert sorted(items) == list(range(22))


def test_iterable_dataset_without_sharding_is_copied_per_worker():
    class Plain(edata.IterableDataset):
        def __iter__(self):
            return iter(range(5))
    items = [int(v) for b in edata.DataLoader(Plain(), batch_size=2, num_workers=2)
             for v in b.tolist()]
    assert sorted(items) == sorted(list(range(5)) * 2)


def test_iterable_dataset_with_persistent_workers_restarts_each_epoch():
    loader = edata.DataLoader(Shards(10), batch_size=3, num_workers=2, persistent_workers=True)
    for _ in range(3):
        assert sorted(v for b in loader for v in b.tolist()) == list(range(10))


ORPHANING_SCRIPT = """
import os, signal, sys, time
import ember, ember.utils.data as edata
class Slow(edata.Dataset):
    def __len__(self): return 1000
    def __getitem__(self, i): time.sleep(0.05); return i
it = iter(edata.DataLoader(Slow(), num_workers=2))
next(it)
print(*[w.pid for w in it._workers], flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no shutdown, no atexit: the workers are orphaned
"""


def test_workers_exit_when_the_main_process_is_killed():
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", ORPHANING_SCRIPT], cwd=root,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": root})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    pids = [int(p) for p in proc.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids)


def test_worker_init_fn_error_is_reported():
    def broken_init(worker_id):
        raise ValueError(f"cannot open shard {worker_id}")
    loader = edata.DataLoader(Echo(n=4), num_workers=1, worker_init_fn=broken_init)
    with pytest.raises(ValueError, match="cannot open shard 0") as caught:
        next(iter(loader))
    assert "broken_init" in str(caught.value)


def test_unpicklable_dataset_under_spawn_fails_cleanly():
    class Local(edata.Dataset):  # defined in a function: spawn can't pickle it
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return i
    loader = edata.DataLoader(Local(), num_workers=2, multiprocessing_context="spawn")
    with pytest.raises((AttributeError, pickle.PicklingError, TypeError)):
        iter(loader)
