"""Ending the whole job when one rank fails, so that the others never wait forever.

A rank that raises (or exits non-zero) prints the error with its rank, leaves a note for the
launcher, and aborts MPI, which makes `mpiexec` stop every rank. A rank killed by a signal
cannot leave a note itself: its watcher process does (`watch`), before `mpiexec` learns of
the death and kills the other ranks, so the note names the rank that died first and never
one that the clean-up killed.
"""
from __future__ import annotations

import os
import signal
import sys
import time
import traceback

RUN_DIR = "EMBER_RUN_DIR"  # set by the launcher: where ranks leave notes of their failure


def rank_from_env() -> int | None:
    for name in ("RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK"):
        if name in os.environ:
            return int(os.environ[name])
    return None


def leave_note(text: str) -> None:
    """Tell the launcher (if this rank has one) how this rank failed: ``failed.<rank>``."""
    directory, rank = os.environ.get(RUN_DIR), rank_from_env()
    if directory and rank is not None and os.path.isdir(directory):
        with open(os.path.join(directory, f"failed.{rank}"), "w") as f:
            f.write(text)


def watch(child: int) -> None:
    """Wait for this rank's process `child` and end as it ended; never returns.

    `mpiexec` started this (parent) process; `child` runs the script. Signals meant for the
    rank are passed on. When the child is killed, the note is written before this process
    dies by the same signal, and only then does `mpiexec` see a death and stop the rest.
    """
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, lambda number, _frame: os.kill(child, number))
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        leave_note(f"(pid {child} on {os.uname().nodename}) died: "
                   f"{signal.strsignal(number)} (signal {number})")
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status))


def die_with_parent() -> None:
    """Have the kernel kill this process when its watcher dies (as `mpiexec`'s clean-up
    kills the watchers of the ranks that did not fail)."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


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
        leave_note(f"failed: {summary}")
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
