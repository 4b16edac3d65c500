"""Compiled CPU loops: the one kernel technology of Ember, shared by eager ops and graph mode.

NumPy runs each ufunc on one core and streams every temporary through memory; a chain such as
softmax or an Adam update is many such passes. A kernel here is one loop over the data,
compiled by Numba (LLVM) on first use, parallel over the cores without the GIL, and cached on
disk so later processes skip the compile.

Two ways in, both through `_numba()` so the options and the lazy import live in one place:

* `kernel` decorates a hand-written loop used by an op of the table (``ember/ops``)::

      @kernel(parallel=True)
      def scale_(x, alpha):
          for i in prange(x.size):
              x.flat[i] *= alpha

* `compile_source` compiles a loop that graph mode generated from its IR (fused elementwise
  chains); the source is written to the cache folder so Numba's disk cache serves it too.

Numba is imported on the first call of a kernel, never by ``import ember`` (it costs ~0.2 s).

Threads: every loop declared parallel (``kernel(parallel=True)`` or `threaded`) is compiled
twice, serially and over the cores, and `_Threaded` picks one per call: the parallel twin when
the first argument has at least ``grain`` elements, the program allows more than one thread
(``ember.set_num_threads``, by default every core, as PyTorch) and no other Python thread is
inside a parallel loop; the serial twin otherwise. That is the whole policy; the threads are
Numba's ``workqueue`` layer (see `_choose_threading_layer` for why).
"""
from __future__ import annotations

import importlib.util
import os
import sys
import threading
import types
from typing import Callable

from .._threads import _counts as _thread_counts, _default_threads

# Options every kernel shares. fastmath lets LLVM reassociate sums (vectorized reductions)
# and assume no NaN/inf only where a kernel asks for it: NaN must flow through like PyTorch's.
_DEFAULTS = {"cache": True, "nogil": True, "error_model": "numpy"}

_numba_module = None


def _numba():
    """The ``numba`` module, imported on first use."""
    global _numba_module
    if _numba_module is None:
        try:
            import numba
        except ImportError as e:  # a core dependency; only a broken install gets here
            raise ImportError("Ember's compiled kernels need Numba: pip install numba") from e
        _choose_threading_layer(numba)
        _numba_module = numba
        _apply_thread_count(numba)
    return _numba_module


def _choose_threading_layer(numba) -> None:
    # Numba's "workqueue" threads sleep on a condition variable as soon as a loop ends, and the
    # main thread sleeps while they work. The default layer on Linux, GNU OpenMP, spins its
    # idle threads for a while instead, and so do NumPy's OpenBLAS threads after every matrix
    # product (up to ~0.1 s, yielding the core): the two pools spinning on 2 cores made
    # training steps 5-20x slower (bench/threads.py measures the collision). workqueue is also
    # safe in a forked DataLoader worker, where GNU OpenMP hangs or aborts. It costs a wake-up
    # per loop (hence GRAIN) and runs one loop at a time (hence `_POOL`). A layer the user
    # chose (NUMBA_THREADING_LAYER) is kept.
    if str(numba.config.THREADING_LAYER).lower() == "default":
        numba.config.THREADING_LAYER = "workqueue"


def _apply_thread_count(numba) -> None:
    # ``ember.set_num_threads`` may have run before Numba was loaded; it updates Numba itself
    # afterwards (ember/_threads.py).
    numba.set_num_threads(min(_kernel_threads(), numba.config.NUMBA_NUM_THREADS))


def _kernel_threads() -> int:
    """The threads a parallel loop may use: ``ember.set_num_threads``'s count, by default
    every core (``OMP_NUM_THREADS`` and friends lower it), as PyTorch's intra-op default."""
    return _thread_counts.get("intra") or _DEFAULT_THREADS


_DEFAULT_THREADS = _default_threads()


def prange(*args):
    """``numba.prange`` inside a kernel; plain ``range`` if called from Python."""
    return range(*args)


class _LazyKernel:
    """A Python function compiled by Numba at its first call, with Ember's options."""

    def __init__(self, py_func: Callable, options: dict):
        self.py_func = py_func
        self.options = options
        self.compiled = None
        self.__name__ = py_func.__name__
        self.__doc__ = py_func.__doc__

    def _compile(self):
        numba = _numba()
        # The kernel's module imported our `prange` stand-in (so that importing it costs no
        # Numba); Numba must see its own when it compiles.
        namespace = self.py_func.__globals__
        if namespace.get("prange") is prange:
            namespace["prange"] = numba.prange
        # Helpers the loop calls (``@kernel(inline="always")`` functions, `_math`'s) must be
        # compiled before it: Numba calls only compiled functions.
        for name in self.py_func.__code__.co_names:
            helper = namespace.get(name)
            if isinstance(helper, _LazyKernel) and helper is not self:  # (``math.exp`` in exp)
                namespace[name] = helper.compiled or helper._compile()
        self.compiled = numba.njit(**{**_DEFAULTS, **self.options})(self.py_func)
        return self.compiled

    def __call__(self, *args):
        compiled = self.compiled or self._compile()
        return compiled(*args)


def kernel(**options) -> Callable[[Callable], Callable]:
    """Declare a compiled loop (``numba.njit`` options: ``parallel``, ``fastmath``...).

    A loop with ``parallel=True`` runs under the threading policy (`threaded` with the
    default grain): over the cores for large inputs, serially for small ones."""
    if options.get("parallel"):
        return threaded(**{k: v for k, v in options.items() if k != "parallel"})
    return lambda py_func: _LazyKernel(py_func, options)


class _Threaded:
    """One loop compiled twice: serially for small inputs, where waking the threads costs
    more than the work, and over the cores (``prange``) for large ones. Each twin compiles on
    its first use, so tests on small tensors never pay for the parallel one."""

    def __init__(self, py_func: Callable, grain: int, options: dict):
        self.grain = grain
        self.__name__ = py_func.__name__
        self.__doc__ = py_func.__doc__
        self.serial = _LazyKernel(py_func, {**options, "parallel": False})
        # A distinct function object and name: Numba's disk cache keys on the qualified name,
        # and a serial and a parallel build under one name would overwrite each other's.
        twin = types.FunctionType(py_func.__code__, py_func.__globals__,
                                  py_func.__name__ + "_parallel", py_func.__defaults__,
                                  py_func.__closure__)
        twin.__qualname__ = py_func.__qualname__ + "_parallel"
        self.parallel = _LazyKernel(twin, {**options, "parallel": True})

    def __call__(self, *args):
        """Run on ``args``; the first argument's size decides serial or threaded."""
        if args[0].size >= self.grain and _kernel_threads() > 1 \
                and _POOL.acquire(blocking=False):
            try:
                return self.parallel(*args)
            finally:
                _POOL.release()
        return self.serial(*args)


# Held while a parallel loop runs: workqueue aborts the process if two threads start loops at
# once, so a loop that finds it taken runs serially instead (PyTorch's threads would share).
_POOL = threading.Lock()

# Elements below which a loop runs on one thread. Waking workqueue's threads and waiting for
# them costs ~50 us (bench/threads.py, 2 cores), about what a 2-way split of 100k elements of
# softmax or Adam saves.
GRAIN = 1 << 17

# The grains of the dense layers' loops (softmax, norms, activations, optimizer steps),
# measured inside models: a product's OpenBLAS worker still spins on the second core when the
# loop starts, and the wake-up then cost 75 us (2 cores, load ~3). At GPT's sizes the threaded
# twin was no faster than the serial one (GELU over 524k elements: 210 vs 206 us after a
# product), at MLP's slower (SGD over 401k: 110 vs 50 us); softmax over 262k lost even alone.
# Loops that only stream memory (relu, optimizer steps) gain least from a second core.
COMPUTE_GRAIN = 1 << 20
STREAM_GRAIN = 1 << 22


def threaded(grain: int = GRAIN, **options) -> Callable[[Callable], _Threaded]:
    """Declare a loop written with ``prange`` that runs on all cores when its first
    argument has at least ``grain`` elements, and serially below that.

    >>> @threaded(fastmath={"contract"})
    ... def axpy(y, a, x):
    ...     for i in prange(y.size):
    ...         y[i] += a * x[i]
    """
    return lambda py_func: _Threaded(py_func, grain, options)


def cache_dir() -> str:
    """Where generated kernels and Numba's cache live (``EMBER_CACHE_DIR`` overrides)."""
    root = os.environ.get("EMBER_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ember")
    path = os.path.join(root, "kernels")
    os.makedirs(path, exist_ok=True)
    return path


def compile_source(source: str, name: str, **options) -> Callable:
    """Compile the function ``name`` defined by generated ``source`` into a Numba kernel.

    The source goes to a file named by its hash, imported as a module: Numba's disk cache
    keys on the file, so the same generated kernel compiles once per machine, not per process.
    """
    import hashlib
    numba = _numba()
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    module_name = f"ember_kernel_{digest}"
    module = sys.modules.get(module_name)
    if module is None:
        path = os.path.join(cache_dir(), module_name + ".py")
        if not os.path.exists(path):
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                f.write(source)
            os.replace(tmp, path)  # atomic: a concurrent process sees all of it or none
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        module.__dict__["prange"] = numba.prange
        spec.loader.exec_module(module)
        sys.modules[module_name] = module
    return numba.njit(**{**_DEFAULTS, **options})(getattr(module, name))
