"""Collectives on tensors, moving the tensors' memory with buffer-based MPI calls.

Each collective describes itself once: the header every rank must agree on, the MPI call
(blocking and non-blocking forms share the arguments), and what to do with the received
memory afterwards (copy into non-contiguous tensors, divide for AVG). `_run` does the rest:
header check, ordering, ``async_op`` work handles.
"""
from __future__ import annotations

import enum

import numpy as np

from .._tensor import Tensor
from ._mpi import mpi, wait_all
from .group import ProcessGroup, all_gather_small, resolve


class ReduceOp:
    """How `all_reduce`, `reduce` and `reduce_scatter` combine the ranks' tensors.

    >>> ember.distributed.all_reduce(t, op=ember.distributed.ReduceOp.MAX)
    """

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR

    def __new__(cls, op):
        return cls.RedOpType(op)


def _mpi_op(op, dtype: np.dtype, name: str):
    MPI = mpi()
    op = ReduceOp.RedOpType(op)
    if dtype == np.bool_:  # MPI reduces C booleans only logically
        table = {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR,
                 ReduceOp.MIN: MPI.LAND, ReduceOp.PRODUCT: MPI.LAND, ReduceOp.BAND: MPI.LAND,
                 ReduceOp.BXOR: MPI.LXOR}
    else:
        table = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                 ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
                 ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}
    bad = (op not in table or (dtype.kind == "c" and op in (ReduceOp.MIN, ReduceOp.MAX))
           or (dtype.kind in "fc" and op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)))
    if bad:
        raise RuntimeError(f"ember.distributed.{name}: ReduceOp.{op.name} is not supported for "
                           f"{dtype} tensors")
    return table[op]


def _average(array: np.ndarray, n: int) -> None:
    if array.dtype.kind in "fc":
        array /= n
    else:  # integer averages truncate toward zero, as integer division does in C
        array[...] = np.trunc(array / n)


def _array(tensor, name: str, arg: str = "tensor") -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"ember.distributed.{name}: {arg} must be a Tensor, got "
                        f"{type(tensor).__name__}")
    data = tensor._data
    if type(data) is not np.ndarray:
        raise RuntimeError(f"ember.distributed.{name}: the MPI backend moves CPU tensors; "
                           f"{arg} is on {tensor.device}")
    return data


class _Memory:
    """A tensor's memory as one contiguous array for MPI; a non-contiguous tensor gets a
    contiguous copy whose result `write_back` puts back into the tensor."""

    __slots__ = ("tensor", "array")

    def __init__(self, tensor, name: str, arg: str = "tensor", read: bool = True):
        data = _array(tensor, name, arg)
        self.tensor = tensor
        if data.flags.c_contiguous:
            self.array = data
        else:
            self.array = np.ascontiguousarray(data) if read else np.empty(data.shape, data.dtype)

    def write_back(self) -> None:
        data = self.tensor._data
        if data is not self.array:
            data[...] = self.array
        self.tensor._vc[0] += 1


def _stacked(tensors) -> np.ndarray:
    """One C-contiguous array of the (already checked) same-shaped ``tensors``."""
    first = tensors[0]._data
    out = np.empty((len(tensors),) + first.shape, first.dtype)
    for row, t in zip(out, tensors):
        row[...] = t._data
    return out


def _into(tensors, parts) -> None:
    """Copy the rows of ``parts`` into ``tensors`` (a list of same-shaped tensors)."""
    for t, part in zip(tensors, parts):
        t._data[...] = part.reshape(t._data.shape)
        t._vc[0] += 1


def _mpi_call(method: str, *args, **kwargs):
    """A starter for `_run`: ``comm.<method>(*args)`` when blocking, its ``I``-form else."""
    async_method = "I" + method[0].lower() + method[1:]

    def start(comm, blocking: bool):
        return getattr(comm, method if blocking else async_method)(*args, **kwargs)
    return start


class Work:
    """The handle an ``async_op=True`` collective returns: ``wait()`` blocks until the
    result is in the tensors, ``is_completed()`` asks without blocking.

    >>> work = ember.distributed.all_reduce(t, async_op=True); ...; work.wait()
    """

    def __init__(self, group: ProcessGroup, ticket, start, finish, name: str, result=()):
        self.group = group
        self.ticket = ticket
        self._start = start
        self._finish = finish
        self._name = name
        self._result = list(result)
        self._requests = None
        self._done = False

    def headers_arrived(self) -> bool:
        """Whether every rank's header for this collective has arrived, and they match (a
        mismatch raises RuntimeError naming each rank's call). Used by the group's progress loop.
        """
        if not mpi().Request.Testall(self.ticket[0]):
            return False
        self.group.compare(self.ticket)
        return True

    def launch(self) -> None:
        """Start the MPI data transfer, once the headers matched (the group's progress loop)."""
        request = self._start(self.group.comm, False)
        self._requests = [] if request is None else [request]

    def is_completed(self) -> bool:
        """Whether the collective has finished, without blocking (it keeps MPI progressing)."""
        if not self._done:
            if self._requests is None:
                self.group.progress()
            if self._requests is not None and mpi().Request.Testall(self._requests):
                self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        """Block until the collective has finished (or ``timeout``, a timedelta or seconds,
        else the group's timeout, has passed: RuntimeError) and its result is in place; True.
        """
        if not self._done:
            deadline = self.group.deadline(timeout)
            if self._requests is None:
                self.group.flush(deadline, until=self)
            # Every rank's header matched, so every rank is in this transfer: MPI's own wait,
            # which keeps driving it, cannot hang on a missing rank (a dead one ends the job).
            mpi().Request.Waitall(self._requests)
            self._complete()
        return True

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()

    def is_success(self) -> bool:
        """Whether the collective finished; Ember's either succeed or raise, so this is
        `is_completed`'s answer after a wait.
        """
        return self._done

    def exception(self):
        """None: a failed collective raises (and ends the job) rather than storing an exception."""
        return None

    def result(self) -> list:
        """The output tensors of the finished collective, as a list."""
        return self._result

    def synchronize(self) -> None:
        """`wait` for the collective (PyTorch syncs its GPU stream here; Ember's are on the CPU)."""
        self.wait()


def _run(group: ProcessGroup, name: str, start, finish=None, *, shape=(), dtype=None,
         reduce_op=-1, root: int = -1, async_op: bool = False, result=()):
    ticket = group.announce(name, shape, dtype, reduce_op, root)
    if async_op:
        work = Work(group, ticket, start, finish, name, result)
        group.enqueue(work)
        return work
    deadline = group.deadline()
    group.flush(deadline)
    group.verify(ticket, deadline)
    start(group.comm, True)
    if finish is not None:
        finish()
    return None


# -- the collectives -----------------------------------------------------------------------

def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` across the ranks with ``op``; every rank receives the result in
    place.

    >>> t = ember.ones(3) * (ember.distributed.get_rank() + 1)
    >>> ember.distributed.all_reduce(t)   # 2 ranks: t == [3., 3., 3.]
    """
    pg = resolve(group)
    if pg is None:
        return None
    memory = _Memory(tensor, "all_reduce")
    mpi_op = _mpi_op(op, memory.array.dtype, "all_reduce")

    def finish():
        if op == ReduceOp.AVG:
            _average(memory.array, pg.size())
        memory.write_back()
    return _run(pg, "all_reduce", _mpi_call("Allreduce", mpi().IN_PLACE, memory.array, mpi_op),
                finish, shape=tensor.shape, dtype=tensor.dtype, reduce_op=op,
                async_op=async_op, result=[tensor])


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False,
              group_src: int | None = None):
    """Copy ``tensor`` of rank ``src`` into ``tensor`` on every other rank.

    >>> ember.distributed.broadcast(weights, src=0)
    """
    pg = resolve(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    memory = _Memory(tensor, "broadcast", read=pg.rank() == root)
    return _run(pg, "broadcast", _mpi_call("Bcast", memory.array, root=root),
                memory.write_back, shape=tensor.shape, dtype=tensor.dtype, root=root,
                async_op=async_op, result=[tensor])


def reduce(tensor: Tensor, dst: int | None = None, op=ReduceOp.SUM, group=None,
           async_op: bool = False, group_dst: int | None = None):
    """Combine ``tensor`` across the ranks with ``op`` into ``tensor`` of rank ``dst``.

    >>> ember.distributed.reduce(t, dst=0)
    """
    pg = resolve(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst")
    memory = _Memory(tensor, "reduce")
    mpi_op = _mpi_op(op, memory.array.dtype, "reduce")
    is_root = pg.rank() == root
    send = mpi().IN_PLACE if is_root else memory.array

    def finish():
        if is_root:
            if op == ReduceOp.AVG:
                _average(memory.array, pg.size())
            memory.write_back()
    return _run(pg, "reduce", _mpi_call("Reduce", send, memory.array if is_root else None,
                                        mpi_op, root=root),
                finish, shape=tensor.shape, dtype=tensor.dtype, reduce_op=op, root=root,
                async_op=async_op, result=[tensor])


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[r]`` with ``tensor`` of rank r, on every rank.

    >>> parts = [ember.empty(3) for _ in range(world_size)]
    >>> ember.distributed.all_gather(parts, t)
    """
    pg = resolve(group)
    if pg is None:
        return None
    send = np.ascontiguousarray(_array(tensor, "all_gather"))
    _check_list(tensor_list, pg.size(), send, "all_gather", "tensor_list")
    received = np.empty((pg.size(),) + send.shape, send.dtype)
    return _run(pg, "all_gather", _mpi_call("Allgather", send, received),
                lambda: _into(tensor_list, received), shape=tensor.shape, dtype=tensor.dtype,
                async_op=async_op, result=tensor_list)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False):
    """Concatenate (or stack) ``input_tensor`` of every rank, in rank order, into
    ``output_tensor``.

    >>> out = ember.empty(world_size * 3)
    >>> ember.distributed.all_gather_into_tensor(out, ember.ones(3))
    """
    pg = resolve(group)
    if pg is None:
        return None
    send = np.ascontiguousarray(_array(input_tensor, "all_gather_into_tensor", "input_tensor"))
    out = _Memory(output_tensor, "all_gather_into_tensor", "output_tensor", read=False)
    _check_sizes(out.array, send, pg.size(), "all_gather_into_tensor")
    return _run(pg, "all_gather_into_tensor", _mpi_call("Allgather", send, out.array),
                out.write_back, shape=input_tensor.shape, dtype=input_tensor.dtype,
                async_op=async_op, result=[output_tensor])


def reduce_scatter(output: Tensor, input_list: list, op=ReduceOp.SUM, group=None,
                   async_op: bool = False):
    """``output`` on rank r becomes ``input_list[r]`` combined across the ranks with ``op``.

    >>> ember.distributed.reduce_scatter(out, [ember.ones(2) for _ in range(world_size)])
    """
    pg = resolve(group)
    if pg is None:
        return None
    out = _Memory(output, "reduce_scatter", "output", read=False)
    _check_list(input_list, pg.size(), out.array, "reduce_scatter", "input_list")
    send = _stacked(input_list)
    return _reduce_scatter(pg, "reduce_scatter", out, send, op, output, async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op=ReduceOp.SUM, group=None,
                          async_op: bool = False):
    """``output`` on rank r becomes the r-th block of ``input`` combined across the ranks.

    >>> ember.distributed.reduce_scatter_tensor(out, ember.ones(world_size * 2))
    """
    pg = resolve(group)
    if pg is None:
        return None
    out = _Memory(output, "reduce_scatter_tensor", "output", read=False)
    send = np.ascontiguousarray(_array(input, "reduce_scatter_tensor", "input"))
    _check_sizes(send, out.array, pg.size(), "reduce_scatter_tensor")
    return _reduce_scatter(pg, "reduce_scatter_tensor", out, send, op, output, async_op)


def _reduce_scatter(pg, name, out, send, op, output, async_op):
    mpi_op = _mpi_op(op, send.dtype, name)

    def finish():
        if op == ReduceOp.AVG:
            _average(out.array, pg.size())
        out.write_back()
    return _run(pg, name, _mpi_call("Reduce_scatter_block", send, out.array, mpi_op), finish,
                shape=output.shape, dtype=output.dtype, reduce_op=op, async_op=async_op,
                result=[output])


def gather(tensor: Tensor, gather_list: list | None = None, dst: int | None = None,
           group=None, async_op: bool = False, group_dst: int | None = None):
    """Rank ``dst`` receives ``tensor`` of every rank r in ``gather_list[r]``.

    >>> parts = [ember.empty(3) for _ in range(world_size)] if rank == 0 else None
    >>> ember.distributed.gather(t, parts, dst=0)
    """
    pg = resolve(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst")
    send = np.ascontiguousarray(_array(tensor, "gather"))
    received = None
    finish = None
    if pg.rank() == root:
        _check_list(gather_list, pg.size(), send, "gather", "gather_list")
        received = np.empty((pg.size(),) + send.shape, send.dtype)
        finish = lambda: _into(gather_list, received)  # noqa: E731
    elif gather_list:
        raise ValueError("ember.distributed.gather: gather_list must be given on the "
                         "destination rank only")
    return _run(pg, "gather", _mpi_call("Gather", send, received, root=root), finish,
                shape=tensor.shape, dtype=tensor.dtype, root=root, async_op=async_op)


def scatter(tensor: Tensor, scatter_list: list | None = None, src: int | None = None,
            group=None, async_op: bool = False, group_src: int | None = None):
    """``tensor`` on rank r receives ``scatter_list[r]`` of rank ``src``.

    >>> ember.distributed.scatter(t, parts if rank == 0 else None, src=0)
    """
    pg = resolve(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    out = _Memory(tensor, "scatter", read=False)
    send = None
    if pg.rank() == root:
        _check_list(scatter_list, pg.size(), out.array, "scatter", "scatter_list")
        send = _stacked(scatter_list)
    elif scatter_list:
        raise ValueError("ember.distributed.scatter: scatter_list must be given on the source "
                         "rank only")
    return _run(pg, "scatter", _mpi_call("Scatter", send, out.array, root=root),
                out.write_back, shape=tensor.shape, dtype=tensor.dtype, root=root,
                async_op=async_op)


def all_to_all(output_tensor_list: list, input_tensor_list: list, group=None,
               async_op: bool = False):
    """Rank r sends ``input_tensor_list[q]`` to rank q, which receives it in
    ``output_tensor_list[r]`` (the tensors may differ in size).

    >>> ember.distributed.all_to_all(outputs, inputs)
    """
    pg = resolve(group)
    if pg is None:
        return None
    name = "all_to_all"
    for arg, tensors in (("output_tensor_list", output_tensor_list),
                         ("input_tensor_list", input_tensor_list)):
        if len(tensors) != pg.size():
            raise ValueError(f"ember.distributed.{name}: {arg} has {len(tensors)} tensors for "
                             f"a group of {pg.size()} ranks")
    send = np.concatenate([_array(t, name, "input_tensor_list").reshape(-1)
                           for t in input_tensor_list])
    received = np.empty(sum(t.numel() for t in output_tensor_list), send.dtype)
    send_counts = [t.numel() for t in input_tensor_list]
    recv_counts = [t.numel() for t in output_tensor_list]

    def finish():
        offsets = np.cumsum([0] + recv_counts)
        _into(output_tensor_list, [received[a:b] for a, b in zip(offsets, offsets[1:])])
    return _all_to_all(pg, name, send, send_counts, received, recv_counts, finish,
                       input_tensor_list[0].dtype, async_op)


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes=None,
                      input_split_sizes=None, group=None, async_op: bool = False):
    """Split ``input`` along dim 0 (evenly, or by ``input_split_sizes``), send part q to rank
    q, and concatenate what arrives, in rank order, into ``output``.

    >>> ember.distributed.all_to_all_single(out, ember.arange(4.))
    """
    pg = resolve(group)
    if pg is None:
        return None
    name = "all_to_all_single"
    send = np.ascontiguousarray(_array(input, name, "input"))
    out = _Memory(output, name, "output", read=False)
    row_in = int(np.prod(send.shape[1:], dtype=np.int64))
    row_out = int(np.prod(out.array.shape[1:], dtype=np.int64))
    send_counts = [n * row_in for n in _splits(input_split_sizes, send.shape, pg.size(), name)]
    recv_counts = [n * row_out
                   for n in _splits(output_split_sizes, out.array.shape, pg.size(), name)]
    return _all_to_all(pg, name, send.reshape(-1), send_counts, out.array.reshape(-1),
                       recv_counts, out.write_back, input.dtype, async_op)


def _splits(sizes, shape, n: int, name: str) -> list:
    if sizes is None:
        if not shape or shape[0] % n:
            raise ValueError(f"ember.distributed.{name}: dim 0 of size "
                             f"{shape[0] if shape else 0} does not split evenly over {n} ranks")
        return [shape[0] // n] * n
    sizes = [int(s) for s in sizes]
    if len(sizes) != n or sum(sizes) != shape[0]:
        raise ValueError(f"ember.distributed.{name}: split sizes {sizes} do not split dim 0 of "
                         f"size {shape[0]} over {n} ranks")
    return sizes


def _all_to_all(pg, name, send, send_counts, received, recv_counts, finish, dtype, async_op):
    # The ranks may send different amounts; every rank checks the whole count matrix
    # (what r sends to q is what q expects from r) before any data moves.
    counts = np.array(send_counts + recv_counts, dtype=np.int64)
    every = np.empty((pg.size(), counts.size), dtype=np.int64)
    wait_all(all_gather_small(pg._headers, counts, every), pg.deadline(), lambda: name)
    n = pg.size()
    sent, expected = every[:, :n], every[:, n:]
    if (sent != expected.T).any():
        raise RuntimeError(f"ember.distributed.{name}: the ranks disagree on the sizes "
                           f"exchanged: element counts sent (row: sender, column: receiver) "
                           f"{sent.tolist()}, expected {expected.T.tolist()}")
    from mpi4py.util.dtlib import from_numpy_dtype
    mpi_type = from_numpy_dtype(send.dtype)
    send_spec = [send, (send_counts, np.cumsum([0] + send_counts[:-1]).tolist()), mpi_type]
    recv_spec = [received, (recv_counts, np.cumsum([0] + recv_counts[:-1]).tolist()), mpi_type]
    return _run(pg, name, _mpi_call("Alltoallv", send_spec, recv_spec), finish, dtype=dtype,
                async_op=async_op)


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank of the group has reached this call.

    >>> ember.distributed.barrier()
    """
    pg = resolve(group)
    if pg is None:
        return None
    return _run(pg, "barrier", lambda comm, blocking: None, async_op=async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False) -> None:
    """A barrier that names the ranks which did not arrive within ``timeout``.

    >>> ember.distributed.monitored_barrier(timeout=datetime.timedelta(seconds=30))
    """
    pg = resolve(group)
    if pg is None:
        return None
    deadline = pg.deadline(timeout)
    pg.flush(deadline)
    comm, tag, token = pg._p2p, 0x7E1, np.zeros(1, np.int64)
    if pg.rank() != 0:
        wait_all([comm.Isend(token, 0, tag)], deadline, lambda: "monitored_barrier")
        wait_all([comm.Irecv(token, 0, tag)], deadline, lambda: "monitored_barrier")
        return None
    requests = {r: comm.Irecv(np.zeros(1, np.int64), r, tag) for r in range(1, pg.size())}
    missing = []
    for r, request in requests.items():
        try:
            wait_all([request], deadline, lambda: "monitored_barrier")
        except RuntimeError:
            missing.append(pg.ranks[r])
            if not wait_all_ranks:
                break
    if missing:
        raise RuntimeError(f"ember.distributed.monitored_barrier: rank{'s' * (len(missing) > 1)}"
                           f" {', '.join(map(str, missing))} failed to pass the barrier within "
                           f"the timeout")
    wait_all([comm.Isend(token, r, tag) for r in range(1, pg.size())], deadline,
             lambda: "monitored_barrier")
    return None


def _root(pg: ProcessGroup, rank, group_rank, arg: str) -> int:
    if group_rank is not None:
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"ember.distributed: group_{arg}={group_rank} is not a rank of a "
                             f"group of {pg.size()}")
        return group_rank
    return pg.group_rank(0 if rank is None else rank, arg)


def _check_list(tensors, n: int, like: np.ndarray, name: str, arg: str) -> None:
    if tensors is None or len(tensors) != n:
        got = "None" if tensors is None else f"{len(tensors)} tensors"
        raise ValueError(f"ember.distributed.{name}: {arg} must hold one tensor per rank "
                         f"({n}), got {got}")
    for i, t in enumerate(tensors):
        data = _array(t, name, f"{arg}[{i}]")
        if data.shape != like.shape or data.dtype != like.dtype:
            raise ValueError(f"ember.distributed.{name}: {arg}[{i}] is {data.dtype}"
                             f"{list(data.shape)}, expected {like.dtype}{list(like.shape)}")


def _check_sizes(whole: np.ndarray, part: np.ndarray, n: int, name: str) -> None:
    if whole.size != n * part.size or whole.dtype != part.dtype:
        raise ValueError(f"ember.distributed.{name}: a {whole.dtype}{list(whole.shape)} tensor "
                         f"cannot hold {n} ranks' {part.dtype}{list(part.shape)} tensors")
