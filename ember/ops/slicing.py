"""Views into part of a tensor (narrow, select, unbind, split, diagonal) and their scatters.

Each ``*_scatter`` op writes ``src`` into a copy of ``input`` where the matching view would
look; they are PyTorch ops in their own right and the derivatives of the views.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._creation import zeros
from .._tensor import Tensor
from ._op import op, composite
from .join import cat, stack
from .shape import wrap_dim


def _along(dim: int, index) -> tuple:
    """The basic index that applies ``index`` to dimension ``dim`` (a view, even for ints)."""
    return (slice(None),) * dim + (index, Ellipsis)


def _fill_missing(grads, shapes, like: Tensor) -> list:
    """Output gradients that never arrived are zeros."""
    return [g if g is not None else zeros(s, dtype=like.dtype, device=like.device)
            for g, s in zip(grads, shapes)]


def _check_src_shape(src, expected) -> None:
    if src.shape != expected.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src.shape)}, slice size = {list(expected.shape)}")


# ----------------------------------------------------------------------------- narrow / select


def _narrow_start(size: int, start: int) -> int:
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    return start % size if start < 0 else start


@op(view="always")
def narrow(xp, x, dim, start, length):
    """``length`` entries of dimension ``dim`` from ``start`` on (a view)."""
    if isinstance(start, Tensor) and (start.ndim or start._data.dtype.kind not in "iu"):
        raise RuntimeError("narrow(): start must be an 0-dim integral Tensor.")
    dim = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    size = x.shape[dim]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    start = _narrow_start(size, start)
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return x[_along(dim, slice(start, start + length))]


@narrow.derivative
def narrow(ctx, grad, dim, start, length):
    shape = ctx.shapes[0]
    start = _narrow_start(shape[wrap_dim(dim, len(shape))], start)
    base = zeros(shape, dtype=grad.dtype, device=grad.device)
    return slice_scatter(base, grad, dim, start, start + length)


@narrow.onnx
def narrow(g, x, dim, start, length):
    start = start % g.shape(x)[dim] if start < 0 else start
    return g.op("Slice", x, g.ints([start]), g.ints([start + length]), g.ints([dim]))


@op(nin=2)
def slice_scatter(xp, x, src, dim=0, start=None, end=None, step=1):
    """A copy of ``x`` with ``x[..., start:end:step, ...]`` (along ``dim``) replaced by ``src``."""
    if not x.ndim:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, x.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    out = x.copy()
    index = _along(dim, slice(start, end, step))
    _check_src_shape(src, out[index])
    out[index] = src
    return out


@slice_scatter.derivative
def slice_scatter(ctx, grad, dim=0, start=None, end=None, step=1):
    shape = ctx.shapes[1]
    grad_x = slice_scatter(grad, zeros(shape, dtype=grad.dtype, device=grad.device), dim,
                           start, end, step) if ctx.needs_input_grad[0] else None
    grad_src = _slice(grad, dim, start, end, step) if ctx.needs_input_grad[1] else None
    return grad_x, grad_src


@op(view="always", method=False, function=False)
def _slice(xp, x, dim=0, start=None, end=None, step=1):
    """``x[..., start:end:step, ...]`` along ``dim`` (a view): `slice_scatter`'s derivative."""
    return x[_along(wrap_dim(dim, x.ndim), slice(start, end, step))]


@_slice.derivative
def _slice(ctx, grad, dim=0, start=None, end=None, step=1):
    base = zeros(ctx.shapes[0], dtype=grad.dtype, device=grad.device)
    return slice_scatter(base, grad, dim, start, end, step)


@op(view="always")
def select(xp, x, dim, index):
    """Entry ``index`` of dimension ``dim``, which goes away (a view): ``x.select(1, 0)``."""
    if x.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, x.ndim)
    size = x.shape[dim]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(x.shape)} at dimension {dim}")
    return x[_along(dim, index)]


@select.derivative
def select(ctx, grad, dim, index):
    base = zeros(ctx.shapes[0], dtype=grad.dtype, device=grad.device)
    return select_scatter(base, grad, dim, index)


@select.onnx
def select(g, x, dim, index):
    return g.op("Gather", x, g.const(index, dtype="int64"), axis=dim)


@op(nin=2)
def select_scatter(xp, x, src, dim, index):
    """A copy of ``x`` with entry ``index`` of dimension ``dim`` replaced by ``src``."""
    out = x.copy()
    where = _along(wrap_dim(dim, x.ndim), int(index))
    _check_src_shape(src, out[where])
    out[where] = src
    return out


@select_scatter.derivative
def select_scatter(ctx, grad, dim, index):
    grad_x = select_scatter(grad, zeros(ctx.shapes[1], dtype=grad.dtype, device=grad.device),
                            dim, index) if ctx.needs_input_grad[0] else None
    grad_src = select(grad, dim, index) if ctx.needs_input_grad[1] else None
    return grad_x, grad_src


# ----------------------------------------------------------------------------- unbind / split


@op(view="always", n_outputs=None)
def unbind(xp, x, dim=0):
    """All the slices along ``dim``, each without that dimension (views)."""
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = wrap_dim(dim, x.ndim)
    return tuple(x[_along(dim, i)] for i in range(x.shape[dim]))


@unbind.derivative
def unbind(ctx, grads, dim=0):
    shape = ctx.shapes[0]
    piece = shape[:wrap_dim(dim, len(shape))] + shape[wrap_dim(dim, len(shape)) + 1:]
    like = next(g for g in grads if g is not None)
    return stack(_fill_missing(grads, [piece] * len(grads), like), dim)


@unbind.onnx
def unbind(g, x, dim=0):
    n = g.shape(x)[dim]
    pieces = g.op("Split", x, g.ints([1] * n), axis=dim, outputs=n)
    pieces = (pieces,) if n == 1 else pieces
    return tuple(g.op("Squeeze", p, g.ints([dim % g.rank(x)])) for p in pieces)


@op(view="always", n_outputs=None)
def split_with_sizes(xp, x, split_sizes, dim=0):
    """Consecutive pieces of dimension ``dim`` with the given sizes (views)."""
    if not x.ndim:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, x.ndim)
    size = x.shape[dim] if x.ndim else 1
    sizes = [int(s) for s in split_sizes]
    if sum(sizes) != size or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                           f"(input tensor's size at dimension {dim}), but got "
                           f"split_sizes={sizes}")
    pieces, start = [], 0
    for s in sizes:
        pieces.append(x[_along(dim, slice(start, start + s))])
        start += s
    return tuple(pieces)


@split_with_sizes.derivative
def split_with_sizes(ctx, grads, split_sizes, dim=0):
    shape = ctx.shapes[0]
    d = wrap_dim(dim, len(shape))
    shapes = [shape[:d] + (s,) + shape[d + 1:] for s in split_sizes]
    like = next(g for g in grads if g is not None)
    return cat(_fill_missing(grads, shapes, like), d)


@split_with_sizes.onnx
def split_with_sizes(g, x, split_sizes, dim=0):
    n = len(split_sizes)
    pieces = g.op("Split", x, g.ints(split_sizes), axis=dim, outputs=n)
    return (pieces,) if n == 1 else pieces


def _at_least_1d(x: Tensor, name: str) -> None:
    if not x.dim():
        raise RuntimeError(f"{name} expects at least a 1-dimensional tensor")


@composite()
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the
    listed sizes: ``x.split(2)``, ``x.split([1, 3])``. The pieces are views."""
    _at_least_1d(tensor, "split")
    if not isinstance(split_size_or_sections, int):
        return split_with_sizes(tensor, list(split_size_or_sections), dim)
    size = tensor.shape[wrap_dim(dim, tensor.dim())] if tensor.dim() else 1
    step = split_size_or_sections
    if step < 0 or step == 0 and size:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                           f"dimension size of {size}")
    sizes = [step] * (size // step) + ([size % step] if size % step else []) if step else [0]
    return split_with_sizes(tensor, sizes or [0], dim)


@composite()
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` equal pieces along ``dim`` (the last may be smaller; views)."""
    _at_least_1d(input, "chunk")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = input.shape[wrap_dim(dim, input.dim())] if input.dim() else 1
    if not size:
        return split_with_sizes(input, [0] * chunks, dim)
    return split(input, -(-size // chunks), dim)


@composite()
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """``sections`` nearly equal pieces along ``dim``, or the pieces between ``indices``
    (views): ``x.tensor_split(3)``, ``x.tensor_split([1, 4])``."""
    if not input.dim():
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections.dtype is not dt.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {indices_or_sections.dtype}")
        if indices_or_sections.dim() > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {indices_or_sections.dim()} dims")
        indices_or_sections = (indices_or_sections.item() if indices_or_sections.dim() == 0
                               else indices_or_sections.tolist())
    d = wrap_dim(dim, input.dim())
    size = input.shape[d]
    if isinstance(indices_or_sections, int):
        sections = indices_or_sections
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        small, extra = divmod(size, sections)
        return split_with_sizes(input, [small + (i < extra) for i in range(sections)], d)
    bounds = [0] + [min(max(i if i >= 0 else i + size, 0), size) for i in indices_or_sections]
    bounds.append(size)
    return tuple(narrow(input, d, start, max(end - start, 0))
                 for start, end in zip(bounds, bounds[1:]))


def _directional_split(name: str, dim: int, min_dims: int):
    def directional_split(input: Tensor, indices_or_sections) -> tuple:
        if input.dim() < min_dims:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} "
                               f"dimension, but got a tensor with {input.dim()} dimensions!")
        d = dim if input.dim() > 1 else 0
        if isinstance(indices_or_sections, int) and indices_or_sections and \
                input.shape[d] % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the "
                               f"size of the dimension {input.shape[d]} is not divisible by "
                               f"the split_size {indices_or_sections}!")
        return tensor_split(input, indices_or_sections, d)
    directional_split.__name__ = name
    directional_split.__doc__ = f"`tensor_split` along dimension {dim} (equal pieces only)."
    return composite(name)(directional_split)


hsplit = _directional_split("hsplit", 1, 1)
vsplit = _directional_split("vsplit", 0, 2)
dsplit = _directional_split("dsplit", 2, 3)


# ----------------------------------------------------------------------------- diagonals


def diagonal_view(xp, x, offset: int, dim1: int, dim2: int):
    """The diagonal of dimensions ``dim1``, ``dim2`` of the array ``x``, as a writable view."""
    d1, d2 = wrap_dim(dim1, x.ndim), wrap_dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    out = xp.diagonal(x, offset, d1, d2)
    if xp is np and x.flags.writeable:
        out.flags.writeable = True  # NumPy hands diagonals out read-only; PyTorch's write through
    return out


@op(view="always")
def diagonal(xp, x, offset=0, dim1=0, dim2=1):
    """The diagonal of dimensions ``dim1``, ``dim2`` (shifted by ``offset``) as the last
    dimension of a view."""
    return diagonal_view(xp, x, offset, dim1, dim2)


@diagonal.derivative
def diagonal(ctx, grad, offset=0, dim1=0, dim2=1):
    base = zeros(ctx.shapes[0], dtype=grad.dtype, device=grad.device)
    return diagonal_scatter(base, grad, offset, dim1, dim2)


@op(nin=2)
def diagonal_scatter(xp, x, src, offset=0, dim1=0, dim2=1):
    """A copy of ``x`` with its diagonal (as `diagonal` picks it) replaced by ``src``."""
    out = x.copy()
    where = diagonal_view(xp, out, offset, dim1, dim2)
    _check_src_shape(src, where)
    where[...] = src
    return out


@diagonal_scatter.derivative
def diagonal_scatter(ctx, grad, offset=0, dim1=0, dim2=1):
    grad_x = diagonal_scatter(grad, zeros(ctx.shapes[1], dtype=grad.dtype, device=grad.device),
                              offset, dim1, dim2) if ctx.needs_input_grad[0] else None
    grad_src = diagonal(grad, offset, dim1, dim2) if ctx.needs_input_grad[1] else None
    return grad_x, grad_src
