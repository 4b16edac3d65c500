"""Ending the whole job when one rank fails, so that the others never wait forever.

A rank that raises (or exits non-zero) prints the error with its rank, leaves a note for the
launcher, and aborts MPI, which makes `mpiexec` stop every rank. A rank killed by a signal
is noticed by `mpiexec` itself; the launcher then names it from the process ids the ranks
recorded at start (`record_pid`).
"""
from __future__ import annotations

import os
import signal
import sys
import time
import traceback

RUN_DIR = "EMBER_RUN_DIR"  # set by the launcher: where ranks leave their pid and failure


def rank_from_env() -> int | None:
    for name in ("RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK"):
        if name in os.environ:
            return int(os.environ[name])
    return None


def record_pid() -> None:
    """Leave ``<host>.<pid>`` holding this rank's number in the launcher's directory."""
    directory, rank = os.environ.get(RUN_DIR), rank_from_env()
    if directory and rank is not None and os.path.isdir(directory):
        path = os.path.join(directory, f"pid.{os.uname().nodename}.{os.getpid()}")
        with open(path, "w") as f:
            f.write(str(rank))


def abort_job(exc_type, exc, tb, exit_code: int = 1) -> None:
    """Report the failure of this rank and stop every rank of the job; never returns."""
    rank = rank_from_env()
    who = f"rank {rank}" if rank is not None else "a rank"
    try:
        if exc_type is not None and not issubclass(exc_type, SystemExit):
            traceback.print_exception(exc_type, exc, tb)
            summary = f"{exc_type.__name__}: {exc}"
        else:
            summary = f"exited with status {exit_code}"
        print(f"ember.distributed: {who} failed ({summary}); stopping every rank",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        # MPICH's mpiexec forwards a rank's output through its proxy, and Abort tears the job
        # down at once: without a moment's grace the message above was sometimes lost.
        time.sleep(0.25)
        directory = os.environ.get(RUN_DIR)
        if directory and rank is not None and os.path.isdir(directory):
            with open(os.path.join(directory, f"failed.{rank}"), "w") as f:
                f.write(summary)
    finally:
        _abort(exit_code)


def _abort(exit_code: int) -> None:
    from . import _mpi
    if _mpi._MPI is not None and _mpi._MPI.Is_initialized() and not _mpi._MPI.Is_finalized():
        _mpi._MPI.COMM_WORLD.Abort(exit_code)
    # MPI never started in this rank: dying by a signal is what makes mpiexec stop the rest.
    os.kill(os.getpid(), signal.SIGKILL)


def install_excepthook() -> None:
    """Abort the job on an uncaught exception in a script started by plain ``mpiexec``."""
    previous = sys.excepthook
    if getattr(previous, "_ember_aborts", False):
        return

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
        abort_job(exc_type, exc, tb)
    hook._ember_aborts = True
    sys.excepthook = hook
