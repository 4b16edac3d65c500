"""Point-to-point messages: `send`/`recv` and their non-blocking `isend`/`irecv`.

Each tensor travels after a small header (dtype and shape) on the group's own
point-to-point communicator, so a receiver whose tensor does not match what was sent gets a
clear error naming both, rather than MPI's truncation error or a silently reshaped buffer.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._mpi import mpi, poll, wait_all
from .collectives import _Memory, _array
from .group import ProcessGroup, _DTYPES, _dtype_code, resolve

_HEADER = 8  # dtype code, ndim, numel, then up to 5 dims


def _header(data: np.ndarray) -> np.ndarray:
    dims = list(data.shape)[:_HEADER - 3]
    return np.array([_dtype_code(data.dtype), data.ndim, data.size] + dims
                    + [0] * (_HEADER - 3 - len(dims)), dtype=np.int64)


def _shown(header) -> str:
    dtype = _DTYPES[header[0]] if 0 <= header[0] < len(_DTYPES) else "other dtype"
    return f"{dtype}{[int(d) for d in header[3:3 + min(int(header[1]), _HEADER - 3)]]}"


def _peer(pg: ProcessGroup, rank, group_rank, arg: str) -> int:
    if group_rank is not None:
        return group_rank
    if rank is None:
        raise ValueError(f"ember.distributed: {arg} must be given")
    return pg.group_rank(rank, arg)


class _SendWork:
    def __init__(self, pg: ProcessGroup, tensor: Tensor, dst: int, tag: int):
        data = np.ascontiguousarray(_array(tensor, "send"))
        self.pg, self._data = pg, data  # MPI reads ``data`` until the send completes
        self._requests = [pg._p2p.Isend(_header(data), dst, tag), pg._p2p.Isend(data, dst, tag)]

    def is_completed(self) -> bool:
        return mpi().Request.Testall(self._requests)

    def wait(self, timeout=None) -> bool:
        wait_all(self._requests, self.pg.deadline(timeout), lambda: "send")
        return True


class _RecvWork:
    def __init__(self, pg: ProcessGroup, tensor: Tensor, src: int | None, tag: int):
        MPI = mpi()
        self.pg, self._tag = pg, tag
        self._src = MPI.ANY_SOURCE if src is None else src
        self._memory = _Memory(tensor, "recv", read=False)
        self._status = MPI.Status()
        self._data_request = None
        self._done = False
        self.source = None

    def _header_arrived(self) -> bool:
        if self._data_request is not None:
            return True
        comm = self.pg._p2p
        if not comm.Iprobe(self._src, self._tag, self._status):
            return False
        self.source = self._status.Get_source()
        header = np.empty(_HEADER, np.int64)
        comm.Recv(header, self.source, self._tag)
        mine = _header(self._memory.array)
        if header[0] != mine[0] or header[2] != mine[2]:
            self._discard_data()
            raise RuntimeError(f"ember.distributed.recv: rank {self.pg.ranks[self.source]} sent "
                               f"a {_shown(header)} tensor, but this rank receives into a "
                               f"{_shown(mine)} tensor")
        self._data_request = comm.Irecv(self._memory.array, self.source, self._tag)
        return True

    def _discard_data(self) -> None:
        # Take the tensor that followed the header off the wire, so that the next message
        # between these ranks is read as a header again.
        MPI, comm = mpi(), self.pg._p2p
        poll(lambda: comm.Iprobe(self.source, self._tag, self._status), self.pg.deadline(),
             lambda: "recv")
        comm.Recv(bytearray(self._status.Get_count(MPI.BYTE)), self.source, self._tag)

    def is_completed(self) -> bool:
        if not self._done and self._header_arrived() and self._data_request.Test():
            self._finish()
        return self._done

    def wait(self, timeout=None) -> bool:
        if not self._done:
            deadline = self.pg.deadline(timeout)
            poll(self._header_arrived, deadline, lambda: "recv")
            wait_all([self._data_request], deadline, lambda: "recv")
            self._finish()
        return True

    def _finish(self) -> None:
        self._done = True
        self._memory.write_back()

    def source_rank(self) -> int:
        """The global rank the message came from (once it has arrived)."""
        return self.pg.ranks[self.source]


def isend(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0,
          group_dst: int | None = None):
    """Start sending ``tensor`` to rank ``dst``; returns a work handle to ``wait()`` on.

    >>> work = ember.distributed.isend(t, dst=1); work.wait()
    """
    pg = resolve(group)
    if pg is None:
        return None
    return _SendWork(pg, tensor, _peer(pg, dst, group_dst, "dst"), tag)


def irecv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0,
          group_src: int | None = None):
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None).

    >>> work = ember.distributed.irecv(t, src=0); work.wait()
    """
    pg = resolve(group)
    if pg is None:
        return None
    src = None if src is None and group_src is None else _peer(pg, src, group_src, "src")
    return _RecvWork(pg, tensor, src, tag)


def send(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0,
         group_dst: int | None = None) -> None:
    """Send ``tensor`` to rank ``dst``, returning once it is on its way.

    >>> ember.distributed.send(ember.ones(3), dst=1)
    """
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0,
         group_src: int | None = None) -> int:
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender.

    >>> sender = ember.distributed.recv(t, src=0)
    """
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work.source_rank()
