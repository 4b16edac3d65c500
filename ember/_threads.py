"""How many threads Ember's CPU math may use (``ember.set_num_threads`` and friends).

Ember's intra-op parallelism is the BLAS library behind NumPy and the threads of its compiled
kernels (Numba's: ``ember.kernels`` decides when its loops use them). When ``threadpoolctl`` is
installed its thread pool is resized; without it the count is only recorded, since the BLAS
pool was fixed at start-up by ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``. Inter-op
threads are bookkeeping only: Ember runs one op at a time.
"""
from __future__ import annotations

import os
import sys
import warnings

_counts: dict[str, int] = {}
_warned = [False]


def _default_threads() -> int:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _blas_limiter():
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl.ThreadpoolController()


def _check_positive(n: int, name: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for intra-op parallelism (the BLAS behind matmul, conv...).

    >>> before = ember.get_num_threads()
    >>> ember.set_num_threads(1); ember.get_num_threads()
    1
    >>> ember.set_num_threads(before)
    """
    _check_positive(n, "set_num_threads")
    _counts["intra"] = n
    kernels = sys.modules.get("ember.kernels")
    if kernels is not None and kernels._numba_module is not None:
        # Ember's kernels run on Numba's threads (applied when they load Numba otherwise:
        # touching Numba before would start its threads before Ember picks their kind)
        kernels._apply_thread_count(kernels._numba_module)
    controller = _blas_limiter()
    if controller is not None:
        controller.limit(limits=n, user_api="blas")
    elif not _warned[0]:
        _warned[0] = True
        warnings.warn("ember.set_num_threads: the BLAS thread count is fixed by "
                      "OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS) unless `threadpoolctl` is "
                      "installed; the count is recorded but BLAS is unchanged.", UserWarning,
                      stacklevel=2)


def get_num_threads() -> int:
    """The number of threads used for intra-op parallelism."""
    if "intra" not in _counts:
        controller = _blas_limiter()
        blas = [info["num_threads"] for info in controller.info()
                if info.get("user_api") == "blas"] if controller is not None else []
        return max(blas) if blas else _default_threads()
    return _counts["intra"]


def set_num_interop_threads(n: int) -> None:
    """Set the number of inter-op threads (recorded; Ember runs one op at a time)."""
    _check_positive(n, "set_num_interop_threads")
    _counts["inter"] = n


def get_num_interop_threads() -> int:
    """The number of inter-op threads."""
    return _counts.get("inter", _default_threads())
