"""The batch of a convolution split across threads: each sample's columns and products stay
on one core.

Measured on the 2-core machines here (32 -> 32 channels, 32x32, batch 32): the products of
a layer took 4.9 ms over OpenBLAS's two threads when their im2col columns sat still, and
16-17 ms when the columns were rewritten before each product, as a convolution must (the
other core's half of every product read 1.2 MB from this core's cache). Split by samples
instead, each thread building its own samples' columns and multiplying them with a
one-thread BLAS (as oneDNN splits a batch), the same layer took 4.8 ms.

BLAS's thread count is lowered to one while the parts run, through ``threadpoolctl`` (the
``threads`` extra); without it, or with one thread allowed (``ember.set_num_threads``,
``OMP_NUM_THREADS``), the samples run in turn on the calling thread.
"""
from __future__ import annotations

import os
import threading
from typing import Callable

# Below this many column entries (LeNet's layers have ~1.4M) a layer measured no faster split
# across threads than run in turn.
GRAIN = 1 << 21

_executor = None
_blas = None   # threadpoolctl's controller of the loaded BLAS libraries; False without it
# Held while a split runs: BLAS's thread count is one setting for the whole process, and two
# splits lowering and restoring it in turn could leave it at one thread. A convolution that
# finds it taken (another Python thread's) runs its samples in turn instead.
_SPLITTING = threading.Lock()


def _forget_threads() -> None:
    global _executor, _SPLITTING
    _executor = None   # a forked child has none of its parent's threads
    _SPLITTING = threading.Lock()


os.register_at_fork(after_in_child=_forget_threads)


def _blas_controller():
    global _blas
    if _blas is None:
        try:
            import threadpoolctl
        except ImportError:
            _blas = False
        else:
            _blas = threadpoolctl.ThreadpoolController().select(user_api="blas")
    return _blas


def split_samples(n: int, work: Callable[[slice], object], size: int) -> list:
    """``[work(part) for part in parts]`` over contiguous parts of ``range(n)``, one per
    thread, run at once with BLAS on one thread each; one part when ``size`` (the layer's
    column entries) is under `GRAIN`, one thread is allowed, or threadpoolctl is missing."""
    from ..kernels import _kernel_threads
    workers = min(_kernel_threads(), n)
    blas = _blas_controller() if workers > 1 and size >= GRAIN else False
    if not blas or not _SPLITTING.acquire(blocking=False):
        return [work(slice(0, n))]
    try:
        return _split(n, work, workers, blas)
    finally:
        _SPLITTING.release()


def _split(n, work, workers, blas):
    global _executor
    if _executor is None or _executor._max_workers < workers - 1:
        from concurrent.futures import ThreadPoolExecutor   # (~4 ms: not at import ember)
        _executor = ThreadPoolExecutor(workers - 1, thread_name_prefix="ember-conv")
    parts = [slice(n * i // workers, n * (i + 1) // workers) for i in range(workers)]
    limiter = blas.limit(limits=1)
    try:
        others = [_executor.submit(work, part) for part in parts[1:]]
        results = [work(parts[0])]
        return results + [future.result() for future in others]
    finally:
        limiter.restore_original_limits()
