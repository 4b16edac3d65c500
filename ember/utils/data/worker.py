"""What runs inside a DataLoader worker process, and the messages it exchanges with the main
process.

Protocol: the main process puts ``(task_id, index)`` on a worker's own index queue; the
worker answers ``(task_id, batch)`` on the shared result queue, where ``batch`` may be an
`ExceptionWrapper` (the fetch raised) or a `StreamEnd` (its IterableDataset copy ran dry).
``None`` on the index queue stops the worker; `ResumeIteration` starts a new epoch for a
persistent worker, which acknowledges it on the result queue.
"""
from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

import ember
from ._fetch import make_fetcher
from .dataset import IterableDataset

# How often a blocked worker or main process wakes up to check that its peer is still alive.
POLL_INTERVAL = 0.2


class WorkerInfo:
    """What a worker knows about itself: ``id``, ``num_workers``, ``seed`` and its own copy
    of the ``dataset``. Read-only."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id: int, num_workers: int, seed: int, dataset) -> None:
        for name, value in zip(self.__slots__, (id, num_workers, seed, dataset)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value) -> None:
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self) -> str:
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker, its `WorkerInfo`; in the main process, None.

    The usual way to shard an IterableDataset across workers:

    >>> def __iter__(self):
    ...     info = get_worker_info()
    ...     start, step = (0, 1) if info is None else (info.id, info.num_workers)
    ...     return iter(self.items[start::step])
    """
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        exc_type, exc, tb = exc_info or sys.exc_info()
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where
        try:  # the type travels by reference; a class defined in a function cannot
            pickle.loads(pickle.dumps(exc_type))
            self.exc_type = exc_type
        except Exception:
            self.exc_type = RuntimeError

    def reraise(self):
        """Raise the worker's exception type (RuntimeError if that type can't be built from
        a message) with the worker's traceback in the message."""
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            message = _PlainRepr(message)  # KeyError shows repr(arg): keep newlines readable
        try:
            exc = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise exc


class _PlainRepr(str):
    def __repr__(self) -> str:
        return self


@dataclass(frozen=True)
class ResumeIteration:
    """Tells a persistent worker that a new epoch starts."""


@dataclass(frozen=True)
class StreamEnd:
    """A worker's answer when its copy of an IterableDataset is exhausted."""
    worker_id: int


def __getattr__(name: str):
    # `ResultQueue` is defined at first use: its base class would load ``multiprocessing``
    # (and with it subprocess, socket, tempfile) at ``import ember``.
    if name != "ResultQueue":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import multiprocessing.queues

    class ResultQueue(multiprocessing.queues.Queue):
        """The workers' result queue. Batches are pickled by a background thread; a batch
        that can't be pickled comes back as an error for its task instead of never arriving."""

        def __init__(self, ctx) -> None:
            super().__init__(ctx=ctx)

        def _on_queue_feeder_error(self, e, obj) -> None:
            where = ("while sending a batch from a DataLoader worker process (it could not be "
                     "pickled)")
            self.put((obj[0], ExceptionWrapper((type(e), e, e.__traceback__), where)))

    ResultQueue.__qualname__ = "ResultQueue"  # pickled by reference, as a module attribute
    globals()["ResultQueue"] = ResultQueue
    return ResultQueue


def seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed ember's, Python's and NumPy's global RNGs for one worker; return its seed."""
    seed = base_seed + worker_id
    random.seed(seed)
    ember.manual_seed(seed)
    # NumPy's legacy seeder takes 32-bit words: spread (worker, base seed) over four of them.
    np.random.seed(np.random.SeedSequence([worker_id, base_seed & (2**64 - 1)]).generate_state(4))
    return seed


def worker_loop(dataset, index_queue, result_queue, done, auto_collation: bool,
                collate_fn, drop_last: bool, base_seed: int, init_fn, worker_id: int,
                num_workers: int) -> None:
    """The body of worker process ``worker_id``: fetch batches until told to stop."""
    global _worker_info
    parent = os.getppid()  # the main process, or the fork server that started us
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=where)
        streaming = isinstance(dataset, IterableDataset)
        stream_ended = False
        # `done` is polled too: an iterator collected with its queues may never send None.
        while not done.value:
            try:
                task = index_queue.get(timeout=POLL_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent:  # orphaned: our parent is gone
                    break
                continue
            if task is None:
                break
            if isinstance(task, ResumeIteration):
                result_queue.put((task, None))
                stream_ended = False
                if init_error is None:
                    fetcher = make_fetcher(dataset, auto_collation, collate_fn, drop_last)
                continue
            if stream_ended:
                continue
            task_id, index = task
            if init_error is not None:
                batch = init_error
            else:
                try:
                    batch = fetcher.fetch(index)
                except Exception as e:
                    stream_ended = isinstance(e, StopIteration) and streaming
                    batch = StreamEnd(worker_id) if stream_ended else ExceptionWrapper(where=where)
            result_queue.put((task_id, batch))
            del batch, task, index
    except KeyboardInterrupt:
        pass  # the main process sees the interrupt too and shuts the workers down
    if done.value:
        # The main process stopped reading: don't block exit on flushing unread batches.
        result_queue.cancel_join_thread()
        result_queue.close()
