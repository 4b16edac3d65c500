"""Process groups: who takes part in a collective, and the check that all of them agree.

A group holds three MPI communicators over the same ranks: one for the small *headers*, one
for the tensor data, one for point-to-point messages. Before every collective each rank
publishes a header (the collective, dtype, shape, reduce op, root, a call number) with a
non-blocking all-gather; the data moves only once every rank's header matches. A mismatch
(different shapes, ops or collectives on different ranks), which in bare MPI deadlocks or
silently corrupts, becomes the same clear RuntimeError on every rank.

Asynchronous collectives start their header exchange at once and their data transfer as
soon as the headers are in (`ProcessGroup.progress`), strictly in call order: MPI requires
every rank to issue the collectives of a communicator in the same order, and the split
into two communicators keeps that true however the polling interleaves.
"""
from __future__ import annotations

import collections
import datetime
import math
import time

import numpy as np

from ._mpi import mpi, wait_all

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)

# The header: call number, collective, dtype, reduce op, root, ndim, first dims, numel.
_OPS = ["barrier", "all_reduce", "broadcast", "reduce", "all_gather",
        "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "gather",
        "scatter", "all_to_all", "all_to_all_single", "object", "destroy_process_group"]
_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
           "float64", "complex64", "complex128", "bfloat16", "uint16", "uint32", "uint64"]
_SHOWN_DIMS = 4
_HEADER = 6 + _SHOWN_DIMS + 1


class ProcessGroup:
    """A set of ranks that run collectives together (``ember.distributed.new_group``)."""

    def __init__(self, comm, ranks: list, timeout: datetime.timedelta, backend: str):
        self.comm = comm
        self.ranks = list(ranks)  # global rank of each group rank
        self.timeout = timeout
        self.backend = backend
        self._headers = comm.Dup()
        self._p2p = comm.Dup()
        self._calls = 0
        self._queue = collections.deque()  # async works whose data transfer waits to start

    def rank(self) -> int:
        """This process's rank in the group (0 to ``size() - 1``)."""
        return self.comm.Get_rank()

    def size(self) -> int:
        """The number of processes in the group."""
        return self.comm.Get_size()

    def name(self) -> str:
        """The backend's name in capitals (``'MPI'``, ``'GLOO'``), as PyTorch reports it."""
        return self.backend.upper()

    def __repr__(self) -> str:
        return f"<ember.distributed.ProcessGroup ranks={self.ranks} backend={self.backend}>"

    def deadline(self, timeout=None) -> float:
        """The monotonic-clock time at which a wait of ``timeout`` (a timedelta or seconds;
        the group's timeout by default) gives up.
        """
        seconds = (timeout or self.timeout).total_seconds() if not isinstance(
            timeout, (int, float)) else timeout
        return time.monotonic() + seconds

    def group_rank(self, global_rank: int, arg: str) -> int:
        """The rank inside this group of global rank ``global_rank`` (an argument ``arg``)."""
        try:
            return self.ranks.index(global_rank)
        except ValueError:
            raise ValueError(f"ember.distributed: {arg}={global_rank} is not a rank of this "
                             f"group (its ranks are {self.ranks})") from None

    # -- the header exchange -------------------------------------------------------------
    def announce(self, op: str, shape=(), dtype=None, reduce_op=-1, root: int = -1):
        """Start exchanging this rank's header for the next collective; returns a ticket
        for `verify`."""
        self._calls += 1
        dims = list(shape)[:_SHOWN_DIMS]
        header = np.array([self._calls, _OPS.index(op), _dtype_code(dtype), int(reduce_op),
                           root, len(shape)] + dims + [0] * (_SHOWN_DIMS - len(dims))
                          + [math.prod(shape)], dtype=np.int64)
        return self._exchange(header)

    def _exchange(self, header: np.ndarray):
        every = np.empty((self.size(), _HEADER), dtype=np.int64)
        return (all_gather_small(self._headers, header, every), header, every)

    def verify(self, ticket, deadline: float) -> None:
        """Wait for the headers of ``ticket`` and raise if the ranks disagree."""
        requests, header, every = ticket
        wait_all(requests, deadline, lambda: f"{_OPS[header[1]]} (call #{header[0]})")
        self.compare(ticket)

    def compare(self, ticket) -> None:
        """Check that every rank's header in ``ticket`` describes the same collective;
        RuntimeError naming each rank's call otherwise.
        """
        _, header, every = ticket
        if every.tobytes() != header.tobytes() * len(every):
            lines = "; ".join(f"rank {self.ranks[r]}: {_describe(h)}"
                              for r, h in enumerate(every))
            raise RuntimeError(f"ember.distributed: the ranks called mismatched collectives "
                               f"(call #{header[0]} of this group): {lines}")

    # -- async works -----------------------------------------------------------------------
    def enqueue(self, work) -> None:
        """Queue an asynchronous collective and let the queued ones progress."""
        self._queue.append(work)
        self.progress()

    def progress(self) -> None:
        """Start the data transfer of every queued work whose headers have arrived, in call
        order, and let MPI advance what is in flight."""
        queue = self._queue
        while queue and queue[0].headers_arrived():
            queue.popleft().launch()

    def flush(self, deadline: float, until=None) -> None:
        """Start the data transfers of the queued works (up to and including ``until``),
        waiting for their headers."""
        queue = self._queue
        while queue:
            work = queue.popleft()
            self.verify(work.ticket, deadline)
            work.launch()
            if work is until:
                return


_P2P_RANKS = 8


def all_gather_small(comm, row: np.ndarray, every: np.ndarray) -> list:
    """Start gathering every rank's small ``row`` into ``every``; returns MPI requests.

    Among a few ranks, point-to-point messages (MPI's fast path, a microsecond each on one
    machine) beat a non-blocking all-gather, which MPICH runs through its slower schedule
    engine; messages between two ranks on one communicator arrive in the order sent, so
    successive exchanges never mix.
    """
    n, me = comm.Get_size(), comm.Get_rank()
    if n > _P2P_RANKS:
        return [comm.Iallgather(row, every)]
    every[me] = row
    requests = [comm.Irecv(every[r], r, 0) for r in range(n) if r != me]
    return requests + [comm.Isend(row, r, 0) for r in range(n) if r != me]


_CODES: dict = {None: -1}


def _dtype_code(dtype) -> int:
    code = _CODES.get(dtype)
    if code is None:
        name = str(dtype).replace("ember.", "")
        code = _CODES[dtype] = _DTYPES.index(name) if name in _DTYPES else len(_DTYPES)
    return code


def _describe(h) -> str:
    from .collectives import ReduceOp
    op = _OPS[h[1]] if 0 <= h[1] < len(_OPS) else f"op {h[1]}"
    args = []
    if h[2] >= 0:
        dtype = _DTYPES[h[2]] if h[2] < len(_DTYPES) else "other dtype"
        ndim = int(h[5])
        dims = [int(d) for d in h[6:6 + min(ndim, _SHOWN_DIMS)]]
        shape = ", ".join(map(str, dims)) + (", ..." if ndim > _SHOWN_DIMS else "")
        args.append(f"{dtype}[{shape}] ({int(h[-1])} elements)")
    if h[3] >= 0:
        args.append(f"op={ReduceOp.RedOpType(int(h[3])).name}")
    if h[4] >= 0:
        args.append(f"root={int(h[4])}")
    return f"{op}({', '.join(args)}) call #{int(h[0])}"


# -- the default group ---------------------------------------------------------------------

class _World:
    group: ProcessGroup | None = None


WORLD = _World()


def world() -> ProcessGroup:
    if WORLD.group is None:
        raise ValueError("Default process group has not been initialized, please make sure "
                         "to call init_process_group.")
    return WORLD.group


class _NonMember:
    def __repr__(self) -> str:
        return "<ember.distributed: not a member of this group>"


NON_GROUP_MEMBER = _NonMember()


def resolve(group) -> ProcessGroup | None:
    """The group a collective runs on (the default one for None); None on a rank outside
    ``group``."""
    if group is None:
        return world()
    if group is NON_GROUP_MEMBER:
        return None
    return group


def make_world(backend: str, timeout: datetime.timedelta) -> ProcessGroup:
    MPI = mpi()
    comm = MPI.COMM_WORLD.Dup()
    return ProcessGroup(comm, range(comm.Get_size()), timeout, backend)


def split(ranks, timeout, backend) -> ProcessGroup | _NonMember:
    """A group of ``ranks`` (global ranks), made collectively by every rank of the world."""
    parent = world()
    ranks = sorted(set(range(parent.size()) if ranks is None else ranks))
    for r in ranks:
        if not 0 <= r < parent.size():
            raise ValueError(f"ember.distributed.new_group: rank {r} is not in the world of "
                             f"{parent.size()} ranks")
    mine = parent.rank() in ranks
    MPI = mpi()
    comm = parent.comm.Split(0 if mine else MPI.UNDEFINED, parent.rank())
    if not mine:
        return NON_GROUP_MEMBER
    return ProcessGroup(comm, ranks, timeout or parent.timeout, backend or parent.backend)
