"""The one place that imports mpi4py, on first use (never at ``import ember``).

Also the waiting primitive every blocking call goes through: MPI's own waits cannot time
out, so requests are tested in a loop against the group's deadline, spinning (MPI
progresses only while it is called) and then backing off so a long-idle rank frees its core.
"""
from __future__ import annotations

import os
import time

_MPI = None


def mpi():
    """The ``mpi4py.MPI`` module, importing and initializing MPI on the first call."""
    global _MPI
    if _MPI is None:
        try:
            import mpi4py
        except ImportError:
            raise ImportError("ember.distributed needs mpi4py and an MPI library: "
                              "pip install ember[distributed]") from None
        # Every MPI call comes from the thread that runs backward and the collectives;
        # asking for less than MPI_THREAD_MULTIPLE keeps MPICH's locks out of the hot path.
        mpi4py.rc.thread_level = "serialized"
        from mpi4py import MPI
        _MPI = MPI
    return _MPI


def available() -> bool:
    """Whether mpi4py can be imported (without importing it when it was not yet)."""
    if _MPI is not None:
        return True
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


class DistTimeout(RuntimeError):
    """A request that did not complete within the process group's timeout."""


def wait_all(requests, deadline: float, what) -> None:
    """Complete every MPI request in ``requests`` or raise `DistTimeout` at ``deadline``
    (a ``time.monotonic`` value); ``what()`` names the operation for the message."""
    testall = mpi().Request.Testall
    poll(lambda: testall(requests), deadline, what)


def poll(ready, deadline: float, what) -> None:
    """Call ``ready()`` until it returns True, or raise `DistTimeout` at ``deadline``."""
    if ready():
        return
    spin_until = time.monotonic() + 0.1
    pause = 0.0
    while not ready():
        now = time.monotonic()
        if now > deadline:
            raise DistTimeout(f"ember.distributed: {what()} did not complete within the "
                              f"process group's timeout; a rank is missing, stuck, or called "
                              f"a different sequence of collectives")
        if now < spin_until:
            os.sched_yield()  # a peer sharing this core gets to run and answer
        else:
            pause = min(1e-3, pause * 2 or 2e-5)
            time.sleep(pause)
