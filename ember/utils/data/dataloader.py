"""`DataLoader`: batches from a dataset, in the main process or in worker processes."""
from __future__ import annotations

import itertools
import queue
import time
import warnings
from typing import Generic

from . import worker as _worker
from ._fetch import make_fetcher
from .collate import default_collate, default_convert
from .worker import get_worker_info  # noqa: F401  also at PyTorch's path
from .dataset import IterableDataset, T_co
from .sampler import (BatchSampler, RandomSampler, SequentialSampler, _InfiniteConstantSampler,
                      draw_seed)

# Attributes that define the index stream; changing them after construction would silently
# desynchronize a live iterator, so PyTorch forbids it and so do we.
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches.

    Map-style datasets are read in the order of ``sampler`` (sequential, or random with
    ``shuffle=True``), grouped by ``batch_size`` (or by a ``batch_sampler``) and merged by
    ``collate_fn``. With ``num_workers > 0`` batches are made by that many worker processes,
    ``prefetch_factor`` batches ahead per worker, and still arrive in order.

    >>> from ember.utils.data import TensorDataset
    >>> x, y = ember.randn(100, 4), ember.randint(0, 2, (100,))
    >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, num_workers=2)
    >>> [len(yb) for xb, yb in loader]
    [32, 32, 32, 4]
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        if isinstance(dataset, IterableDataset):
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.in_order = in_order
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._initialized = True

    def __setattr__(self, name: str, value) -> None:
        if name in _FROZEN and self.__dict__.get("_initialized"):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def multiprocessing_context(self):
        """The multiprocessing context the workers start from (None: Ember's default, a
        fork where available); settable before iteration.
        """
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                import multiprocessing
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            elif not isinstance(context, _base_context()):
                raise TypeError(f"multiprocessing_context option should be a valid context "
                                f"object or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self._multiprocessing_context = context

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return _MultiProcessIter(self)
        if self._iterator is None:
            self._iterator = _MultiProcessIter(self)
        else:
            self._iterator.reset(self)
        return self._iterator

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _BaseIter:
    """What both iterators share: the sampler's index stream and the count of batches."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._index_sampler = loader._index_sampler
        self._auto_collation = loader._auto_collation
        self._collate_fn = loader.collate_fn
        self._drop_last = loader.drop_last
        # Drawn before the sampler's first draw, with or without workers, so that a seeded
        # loader shuffles the same way whatever its num_workers.
        self._base_seed = draw_seed(loader.generator)
        self._sampler_iter = iter(self._index_sampler)

    def reset(self, loader: DataLoader) -> None:
        """Start a new epoch (a persistent iterator is reused across epochs)."""
        self._sampler_iter = iter(self._index_sampler)

    def __iter__(self):
        return self

    def __next__(self):
        return self._next_batch()

    def __len__(self) -> int:
        return len(self._index_sampler)


class _SingleProcessIter(_BaseIter):
    """Batches made in the calling process, one at a time."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._fetcher = make_fetcher(self._dataset, self._auto_collation, self._collate_fn,
                                     self._drop_last)

    def _next_batch(self):
        return self._fetcher.fetch(next(self._sampler_iter))


class _MultiProcessIter(_BaseIter):
    """Batches made by worker processes, delivered in the sampler's order.

    Tasks go round-robin to the workers' index queues, at most ``prefetch_factor`` per worker
    ahead; results arrive on one queue in any order and wait in ``_pending`` until their
    turn. Every wait polls, so a dead worker or a timeout is an error, never a hang.
    """

    def __init__(self, loader: DataLoader) -> None:
        self._shutdown = True  # until the workers exist, there is nothing to shut down
        self._death = None     # what killed a worker, once one died
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        ctx = loader.multiprocessing_context or _default_context()
        super().__init__(loader)
        self._result_queue = _worker.ResultQueue(ctx)
        self._done = ctx.RawValue("b", 0)  # lock-free: a killed worker can't hold it
        self._index_queues, self._workers = [], []
        self._shutdown = False
        try:
            for worker_id in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()  # a dead worker must not block our exit
                process = ctx.Process(
                    target=_worker.worker_loop, daemon=True,
                    args=(loader.dataset, index_queue, self._result_queue, self._done,
                          loader._auto_collation, loader.collate_fn, loader.drop_last,
                          self._base_seed, loader.worker_init_fn, worker_id, self._num_workers))
                self._index_queues.append(index_queue)
                process.start()
                self._workers.append(process)
        except BaseException:  # e.g. a dataset that spawn can't pickle: stop those started
            self._shutdown_workers()
            raise
        self._start_epoch(resume=False)

    def reset(self, loader: DataLoader) -> None:
        super().reset(loader)
        self._start_epoch(resume=True)

    def _start_epoch(self, resume: bool) -> None:
        self._next_task = 0         # id of the next task to hand out
        self._next_result = 0       # id of the next batch to return
        self._pending = {}          # task id -> (worker id,) or (worker id, batch)
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if resume:
            # A persistent worker answers its old tasks before the resume message: drop them.
            for q in self._index_queues:
                q.put(_worker.ResumeIteration())
            acks = 0
            while acks < self._num_workers:
                task_id, _ = self._get_result()
                acks += isinstance(task_id, _worker.ResumeIteration)
        for _ in range(self._prefetch):
            self._put_task()

    def _put_task(self) -> None:
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._active[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._next_task, index))
        self._pending[self._next_task] = (worker_id,)
        self._next_task += 1

    def _next_batch(self):
        if self._shutdown:  # the epoch ended, or a worker died: nothing more will come
            if self._death is not None:
                raise RuntimeError(self._death)
            raise StopIteration
        while True:
            # Skip tasks given to workers whose stream has ended: they will never answer.
            while self._next_result < self._next_task:
                info = self._pending.get(self._next_result)
                if info is not None and (len(info) == 2 or self._active[info[0]]):
                    break
                self._pending.pop(self._next_result, None)
                self._next_result += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            info = self._pending[self._next_result]
            if len(info) == 2:
                del self._pending[self._next_result]
                self._next_result += 1
                return self._deliver(info[1])
            task_id, batch = self._get_result()
            if isinstance(batch, _worker.StreamEnd):
                self._active[batch.worker_id] = False
                if not self._persistent:
                    self._index_queues[batch.worker_id].put(None)
                self._put_task()
            elif task_id == self._next_result:
                del self._pending[task_id]
                self._next_result += 1
                return self._deliver(batch)
            else:
                self._pending[task_id] += (batch,)

    def _deliver(self, batch):
        self._put_task()
        if isinstance(batch, _worker.ExceptionWrapper):
            batch.reraise()
        return batch

    def _get_result(self):
        """The next message from the workers, polling so that death or timeout is noticed."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _worker.POLL_INTERVAL
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
            try:
                return self._result_queue.get(timeout=max(wait, 0))
            except queue.Empty:
                pass
            dead = [w for w, active in zip(self._workers, self._active)
                    if active and not w.is_alive()]
            if dead:
                self._death = "DataLoader worker " + ", ".join(
                    f"(pid {w.pid}) exited unexpectedly{_exit_reason(w.exitcode)}" for w in dead)
                self._shutdown_workers()
                raise RuntimeError(self._death)
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done.value = 1
            for q, w in zip(self._index_queues, self._workers):
                if w.is_alive():
                    q.put(None)
            for w in self._workers:
                w.join(timeout=1.0)
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join()
            for q in self._index_queues:
                q.close()
            self._result_queue.cancel_join_thread()
            self._result_queue.close()

    def __del__(self) -> None:
        self._shutdown_workers()


def _default_context():
    # fork, as PyTorch on Linux: workers inherit the dataset without pickling it.
    import multiprocessing
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _exit_reason(code: int | None) -> str:
    if code is None or code >= 0:
        return f" with exit code {code}"
    import signal
    try:
        return f" (killed by signal {signal.Signals(-code).name})"
    except ValueError:
        return f" (killed by signal {-code})"


def _base_context():
    import multiprocessing.context  # (loaded only when a loader uses worker processes)
    return multiprocessing.context.BaseContext
