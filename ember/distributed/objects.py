"""Collectives on Python objects, which travel as Ember's safe checkpoints.

An object becomes the bytes `ember.save` writes (tensors as raw storages, containers as a
restricted pickle) and comes back through `ember.load`, which resolves only an allow-list of
types: a rank can never make another run code by sending it an object. The bytes then move
as uint8 tensors through the ordinary tensor collectives.
"""
from __future__ import annotations

import io

import numpy as np

from .._tensor import wrap
from . import collectives as c
from .group import resolve


def _encode(obj) -> np.ndarray:
    from ..serialization import save
    buffer = io.BytesIO()
    save(obj, buffer)
    return np.frombuffer(buffer.getbuffer(), dtype=np.uint8).copy()


def _decode(payload: np.ndarray):
    from ..serialization import load
    return load(io.BytesIO(payload.tobytes()))


def _padded(payloads: list) -> np.ndarray:
    rows = np.zeros((len(payloads), max(len(p) for p in payloads)), dtype=np.uint8)
    for row, p in zip(rows, payloads):
        row[:len(p)] = p
    return rows


def _all_sizes(pg, payload: np.ndarray) -> np.ndarray:
    sizes = np.empty(pg.size(), dtype=np.int64)
    c.all_gather_into_tensor(wrap(sizes), wrap(np.array([len(payload)], np.int64)), pg)
    return sizes


def broadcast_object_list(object_list: list, src: int | None = None, group=None, device=None,
                          group_src: int | None = None) -> None:
    """Replace ``object_list``'s items on every rank with those of rank ``src``.

    >>> objects = [{'lr': 0.1}, 'config'] if rank == 0 else [None, None]
    >>> ember.distributed.broadcast_object_list(objects, src=0)
    """
    pg = resolve(group)
    if pg is None:
        return
    root = c._root(pg, src, group_src, "src")
    if pg.rank() == root:
        payloads = [_encode(o) for o in object_list]
        sizes = np.array([len(p) for p in payloads], dtype=np.int64)
    else:
        sizes = np.empty(len(object_list), dtype=np.int64)
    c.broadcast(wrap(sizes), group=pg, group_src=root)
    data = np.concatenate(payloads) if pg.rank() == root else np.empty(sizes.sum(), np.uint8)
    c.broadcast(wrap(data), group=pg, group_src=root)
    if pg.rank() != root:
        offsets = np.cumsum(np.concatenate([[0], sizes]))
        object_list[:] = [_decode(data[a:b]) for a, b in zip(offsets, offsets[1:])]


def all_gather_object(object_list: list, obj, group=None) -> None:
    """Fill ``object_list[r]`` with ``obj`` of rank r, on every rank.

    >>> gathered = [None] * world_size
    >>> ember.distributed.all_gather_object(gathered, {'rank': rank})
    """
    pg = resolve(group)
    if pg is None:
        return
    payload = _encode(obj)
    sizes = _all_sizes(pg, payload)
    received = np.empty((pg.size(), sizes.max()), dtype=np.uint8)
    mine = np.zeros(sizes.max(), dtype=np.uint8)
    mine[:len(payload)] = payload
    c.all_gather_into_tensor(wrap(received), wrap(mine), pg)
    object_list[:pg.size()] = [_decode(row[:n]) for row, n in zip(received, sizes)]


def gather_object(obj, object_gather_list: list | None = None, dst: int | None = None,
                  group=None, group_dst: int | None = None) -> None:
    """Rank ``dst`` receives ``obj`` of every rank r in ``object_gather_list[r]``.

    >>> ember.distributed.gather_object(stats, gathered if rank == 0 else None, dst=0)
    """
    pg = resolve(group)
    if pg is None:
        return
    root = c._root(pg, dst, group_dst, "dst")
    payload = _encode(obj)
    sizes = _all_sizes(pg, payload)
    mine = np.zeros(sizes.max(), dtype=np.uint8)
    mine[:len(payload)] = payload
    rows = [wrap(np.empty(sizes.max(), np.uint8)) for _ in range(pg.size())]
    c.gather(wrap(mine), rows if pg.rank() == root else None, group=pg, group_dst=root)
    if pg.rank() == root:
        object_gather_list[:pg.size()] = [_decode(row._data[:n]) for row, n in zip(rows, sizes)]


def scatter_object_list(scatter_object_output_list: list, scatter_object_input_list=None,
                        src: int | None = None, group=None, group_src: int | None = None):
    """``scatter_object_output_list[0]`` on rank r becomes ``scatter_object_input_list[r]``
    of rank ``src``.

    >>> out = [None]
    >>> ember.distributed.scatter_object_list(out, shards if rank == 0 else None, src=0)
    """
    pg = resolve(group)
    if pg is None:
        return
    root = c._root(pg, src, group_src, "src")
    sizes = np.empty(pg.size(), dtype=np.int64)
    if pg.rank() == root:
        payloads = [_encode(o) for o in scatter_object_input_list]
        sizes[:] = [len(p) for p in payloads]
    c.broadcast(wrap(sizes), group=pg, group_src=root)
    mine = wrap(np.empty(sizes.max(), np.uint8))
    rows = [wrap(row) for row in _padded(payloads)] if pg.rank() == root else None
    c.scatter(mine, rows, group=pg, group_src=root)
    scatter_object_output_list[0] = _decode(mine._data[:sizes[pg.rank()]])
