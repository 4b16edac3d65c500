"""Layouts and memory formats: ``ember.strided``, ``ember.channels_last`` and friends.

Every Ember tensor is strided (a NumPy/CuPy array). A memory format names an order of the
dimensions in memory: ``contiguous_format`` is row-major, ``channels_last`` stores a 4-d
NCHW tensor as NHWC (5-d: NDHWC) while its shape stays NCHW, as in PyTorch.
"""
from __future__ import annotations


class _Named:
    """A singleton named like its module attribute (``ember.strided``); pickles by name."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return self.name


class layout(_Named):
    """How a tensor's elements are laid out; Ember has only ``ember.strided``."""

    __slots__ = ()


class memory_format(_Named):
    """The order of a tensor's dimensions in memory (``ember.channels_last``...)."""

    __slots__ = ()


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

_RANK = {channels_last: 4, channels_last_3d: 5}


def _channels_last_order(fmt: memory_format, ndim: int, op: str) -> tuple[int, ...]:
    """The axes in memory order for a channels-last format: (0, 2, 3, 1) for 4-d."""
    if ndim != _RANK[fmt]:
        raise RuntimeError(f"{op}: required rank {_RANK[fmt]} tensor to use {fmt.name} "
                           f"format, got a {ndim}-d tensor")
    return (0,) + tuple(range(2, ndim)) + (1,)


def is_dense_in(array, fmt, op: str = "is_contiguous") -> bool:
    """Whether ``array``'s memory is in the order ``fmt`` names, without gaps."""
    if fmt is None or fmt is contiguous_format or fmt is preserve_format:
        return array.flags.c_contiguous
    if fmt not in _RANK:
        raise TypeError(f"{op}: expected a memory_format, got {fmt!r}")
    if array.ndim != _RANK[fmt]:
        return False
    return array.transpose(_channels_last_order(fmt, array.ndim, op)).flags.c_contiguous


def copy_in_format(array, fmt, op: str = "clone"):
    """A copy of ``array`` laid out in ``fmt`` (None or ``preserve_format``: in the order of
    ``array``'s strides, as PyTorch's ``clone`` does)."""
    if fmt is contiguous_format:
        return array.copy()
    if fmt is None or fmt is preserve_format:
        return array.copy(order="K")
    if fmt not in _RANK:
        raise TypeError(f"{op}: expected a memory_format, got {fmt!r}")
    order = _channels_last_order(fmt, array.ndim, op)
    inverse = tuple(order.index(i) for i in range(array.ndim))
    return array.transpose(order).copy().transpose(inverse)
