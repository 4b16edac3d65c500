"""Starting and stopping the process group, and asking who this rank is.

Ember's backend is MPI (``"mpi"``; ``"gloo"`` is accepted and served by MPI, since CPU code
written for PyTorch asks for gloo). The processes are started by MPI — through
``python -m ember.distributed.run`` or plain ``mpiexec`` — so MPI already knows every rank and
``init_method`` needs no address: ``env://`` (the default) and the others are accepted.
"""
from __future__ import annotations

import atexit
import datetime
import os

from ._failure import install_excepthook
from .group import (DEFAULT_TIMEOUT, NON_GROUP_MEMBER, WORLD, ProcessGroup, make_world, resolve,
                    split, world)

_BACKENDS = ("mpi", "gloo")


class Backend(str):
    """Backend names, as in PyTorch (``Backend.GLOO == "gloo"``)."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"

    def __new__(cls, name: str):
        return str.__new__(cls, name.lower())


class GroupMember:
    """``GroupMember.NON_GROUP_MEMBER`` is what `new_group` returns on a rank outside the new
    group (``group.WORLD`` is the default group)."""

    NON_GROUP_MEMBER = NON_GROUP_MEMBER


class _GroupNamespace:
    @property
    def WORLD(self) -> ProcessGroup | None:  # noqa: N802  (PyTorch's name)
        return WORLD.group


group = _GroupNamespace()


def is_available() -> bool:
    """Whether distributed training can run here (mpi4py is installed).

    >>> ember.distributed.is_available()
    True
    """
    from ._mpi import available
    return available()


def is_initialized() -> bool:
    """Whether `init_process_group` has run (and `destroy_process_group` not since)."""
    return WORLD.group is not None


def is_mpi_available() -> bool:
    """Whether the MPI backend can run here (mpi4py is installed): the same as
    `is_available`, since MPI is Ember's only transport.

    >>> ember.distributed.is_mpi_available() == ember.distributed.is_available()
    True
    """
    return is_available()


def is_gloo_available() -> bool:
    """gloo is served by MPI."""
    return is_available()


def is_nccl_available() -> bool:
    """Always False: Ember has no NCCL backend (``"nccl"`` is refused by
    `init_process_group`; GPU tensors are not sent between ranks yet).

    >>> ember.distributed.is_nccl_available()
    False
    """
    return False


def is_torchelastic_launched() -> bool:
    """Always False: Ember's ranks are started by MPI (``python -m ember.distributed.run``
    or ``mpiexec``), never by torchelastic.

    >>> ember.distributed.is_torchelastic_launched()
    False
    """
    return False


def _check_backend(backend) -> str:
    name = "mpi" if backend is None else str(backend).lower()
    # "cpu:gloo,cuda:nccl" style: the CPU entry decides
    for part in name.split(","):
        if ":" in part and part.split(":")[0] == "cpu":
            name = part.split(":")[1]
    if name not in _BACKENDS:
        raise RuntimeError(f"ember.distributed.init_process_group: backend {backend!r} is not "
                           f"available; Ember runs CPU tensors on MPI: use 'mpi' or 'gloo'")
    return name


def init_process_group(backend=None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Join the job's default process group (every rank calls it once, at the start).

    >>> ember.distributed.init_process_group(backend="gloo")   # under the launcher
    >>> ember.distributed.get_rank(), ember.distributed.get_world_size()
    (0, 2)
    """
    if WORLD.group is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = _check_backend(backend)
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"ember.distributed.init_process_group: timeout must be a "
                        f"datetime.timedelta, got {type(timeout).__name__}")
    launched = int(os.environ.get("PMI_SIZE", os.environ.get("WORLD_SIZE", "1")))
    if "PMI_SIZE" not in os.environ and launched > 1:
        raise RuntimeError(
            f"ember.distributed.init_process_group: WORLD_SIZE={launched} but this process was "
            f"not started by MPI; start the ranks with `python -m ember.distributed.run "
            f"--nproc-per-node {launched} script.py` (or `mpiexec -n {launched} python "
            f"script.py`)")
    pg = make_world(name, timeout or DEFAULT_TIMEOUT)
    for arg, asked, actual in (("world_size", world_size, pg.size()), ("rank", rank, pg.rank())):
        if asked not in (-1, None) and int(asked) != actual:
            raise ValueError(f"ember.distributed.init_process_group: {arg}={asked}, but MPI "
                             f"started this process as {arg} {actual}")
    WORLD.group = pg
    install_excepthook()
    atexit.register(_leave)


def _leave() -> None:
    # A rank leaving while others still run collectives would make them wait for the
    # timeout; announcing the exit as a collective turns that into a mismatch error at once.
    if WORLD.group is not None:
        destroy_process_group()


def destroy_process_group(group=None) -> None:
    """Leave the default process group (every rank calls it, at the end).

    >>> ember.distributed.destroy_process_group()
    """
    pg = WORLD.group if group is None else group
    if pg is None or pg is NON_GROUP_MEMBER:
        return
    deadline = pg.deadline()
    pg.flush(deadline)
    pg.verify(pg.announce("destroy_process_group"), deadline)
    if pg is WORLD.group:
        WORLD.group = None


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (the default group when None); -1 outside it."""
    pg = resolve(group)
    return -1 if pg is None else (pg.ranks[pg.rank()] if group is None else pg.rank())


def get_world_size(group=None) -> int:
    """The number of ranks in ``group`` (the default group when None); -1 outside it."""
    pg = resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None) -> str:
    """The backend name of ``group``: what `init_process_group` was given."""
    pg = resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return Backend(pg.backend)


def get_process_group_ranks(group) -> list:
    """The global ranks of ``group``, in group-rank order."""
    pg = resolve(group)
    return list(pg.ranks)


def get_global_rank(group, group_rank: int) -> int:
    """The rank in the default (world) group of the process that is ``group_rank`` in
    ``group``; the inverse of `get_group_rank`. On two ranks, after
    ``solo = new_group([1])``, ``get_global_rank(solo, 0)`` is 1.
    """
    return resolve(group).ranks[group_rank]


def get_group_rank(group, global_rank: int) -> int:
    """The rank inside ``group`` of the process whose world rank is ``global_rank`` (a rank
    outside ``group`` raises ValueError). On two ranks, after ``solo = new_group([1])``,
    ``get_group_rank(solo, 1)`` is 0.
    """
    return resolve(group).group_rank(global_rank, "global_rank")


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization: bool = False, group_desc=None, device_id=None):
    """A group of the global ``ranks`` (all when None); every rank of the world must call
    it, in the same order. Ranks outside it get ``GroupMember.NON_GROUP_MEMBER``.

    >>> evens = ember.distributed.new_group([0, 2])
    """
    parent = world()
    parent.flush(parent.deadline())
    return split(ranks, timeout, None if backend is None else _check_backend(backend))
