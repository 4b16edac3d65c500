"""Rearranging and repeating entries (copies, never views): flip, roll, rot90, repeat, tile,
repeat_interleave, triangles and diagonal matrices, kron."""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._creation import tensor
from .._tensor import Tensor, wrap
from ._op import op, composite
from .shape import wrap_dim, size_arg, reshape, flatten
from .slicing import diagonal, diagonal_view


def _dims(dims, ndim: int) -> tuple:
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    dims = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != len(dims):
        repeated = next(d for d in dims if dims.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    return dims


# ----------------------------------------------------------------------------- flip / roll


@op()
def flip(xp, x, *dims):
    """Reverse the order of entries along ``dims`` (a copy)."""
    dims = _dims(size_arg(dims), x.ndim)
    return xp.flip(x, dims).copy() if dims and x.ndim else x.copy()


@flip.derivative
def flip(ctx, grad, *dims):
    return flip(grad, *dims)


@composite()
def fliplr(input: Tensor) -> Tensor:
    """Reverse the columns (dimension 1)."""
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@composite()
def flipud(input: Tensor) -> Tensor:
    """Reverse the rows (dimension 0)."""
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


@op()
def roll(xp, x, shifts, dims=None):
    """Shift entries along ``dims`` cyclically (the flattened tensor when ``dims`` is None)."""
    if not isinstance(shifts, int) and not len(shifts):
        raise RuntimeError("roll(): `shifts` required")
    if dims is None or dims == ():
        if not isinstance(shifts, int) and len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return xp.roll(x, shifts)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    if not x.size:  # PyTorch returns an empty input before reading the dims
        return x.copy()
    if not x.ndim:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    return xp.roll(x, shifts, tuple(wrap_dim(d, x.ndim) for d in dims))


@roll.derivative
def roll(ctx, grad, shifts, dims=None):
    back = -shifts if isinstance(shifts, int) else tuple(-s for s in shifts)
    return roll(grad, back, dims)


@composite()
def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times, from the first of ``dims`` towards the second."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    d0, d1 = wrap_dim(dims[0], input.dim()), wrap_dim(dims[1], input.dim())
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    return input.clone()


# ----------------------------------------------------------------------------- repeat


@op()
def repeat(xp, x, *sizes):
    """Tile ``x`` ``sizes[i]`` times along each dimension: ``x.repeat(2, 1)``."""
    if not sizes:
        raise TypeError("repeat() missing 1 required positional arguments: \"repeats\"")
    sizes = tuple(size_arg(sizes))
    if len(sizes) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    target = [n * s for n, s in zip(shape, sizes)]  # PyTorch's: -1 copies of nothing is empty
    negative = [n for n in target if n < 0]
    if negative:
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: "
                           f"{target}")
    if 0 in target:
        return xp.zeros(target, dtype=x.dtype)
    return xp.tile(x, sizes) if sizes else x.copy()


@repeat.derivative
def repeat(ctx, grad, *sizes):
    sizes = tuple(size_arg(sizes))
    if not grad.numel():
        return grad.new_zeros(ctx.shapes[0])
    shape = (1,) * (len(sizes) - len(ctx.shapes[0])) + ctx.shapes[0]
    # Entry k * n + j of a repeated dimension of size n is copy k of entry j.
    split = tuple(v for r, n in zip(sizes, shape) for v in (r, n))
    summed = reshape(grad, split).sum(tuple(range(0, 2 * len(shape), 2)))
    return reshape(summed, ctx.shapes[0])


@composite()
def tile(input: Tensor, dims) -> Tensor:
    """`repeat`, where fewer ``dims`` than dimensions repeat the trailing ones."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return repeat(input, (1,) * (input.dim() - len(dims)) + dims)


def _repeat_counts(repeats, n: int, dim: int = 0) -> list:
    """``repeats`` (an int or a 0-d or 1-d integer tensor) as a list of ``n`` counts (for
    dimension ``dim``), checked in PyTorch's order; a list (a derivative's) is the counts."""
    if isinstance(repeats, list):
        return repeats
    if isinstance(repeats, Tensor):
        if repeats.dim() > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if repeats.numel() != 1 and repeats.numel() != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {repeats.numel()} and input.size({dim}) = "
                               f"{n}")
        _check_count_dtype(repeats)
        counts = repeats.reshape(-1).tolist()
        counts = counts * n if len(counts) == 1 else counts
        if any(c < 0 for c in counts):
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        return counts
    if repeats < 0:
        raise RuntimeError("repeat_interleave: Repeats must be non-negative")
    return [repeats] * n


def _check_count_dtype(counts: Tensor) -> None:
    if counts.dtype not in (dt.int64, dt.int32):
        raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                  f"'{dt.scalar_type_name(counts._data.dtype)}'")


def _check_output_size(counts: list, output_size, tensor: bool) -> None:
    if output_size is None or tensor and not counts:  # no counts: PyTorch checks nothing
        return
    if output_size < 0:
        raise RuntimeError(f"repeat_interleave: Trying to create tensor with negative "
                           f"dimension {output_size}: [{output_size}]")
    if output_size != sum(counts):
        raise RuntimeError("repeat_interleave: allocated size does not match required size"
                           if tensor else f"repeat_interleave: Invalid output_size, expected "
                           f"{sum(counts)} but got {output_size}")


@op()
def repeat_interleave(xp, x, repeats=None, dim=None, *, output_size=None):
    """Repeat each entry along ``dim`` (of the flattened tensor when ``dim`` is None)
    ``repeats`` times: ``ember.tensor([1, 2]).repeat_interleave(2)`` is ``[1, 1, 2, 2]``.
    Given only an int tensor of counts, ``repeat_interleave(counts)`` repeats its indices."""
    if repeats is None:
        _check_count_dtype(wrap(x))
        if x.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if x.size and int(x.min()) < 0:
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        _check_output_size(x.tolist(), output_size, True)
        return xp.repeat(xp.arange(x.size, dtype=x.dtype), x)
    if dim is None:
        x, dim = x.reshape(-1), 0
    elif not x.ndim:  # PyTorch flattens, then reads the dim of a 1-d tensor one further
        if isinstance(repeats, Tensor):
            if repeats.dim() > 1:
                raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got "
                         f"{dim + 1 if dim >= 0 else dim})")
    dim = wrap_dim(dim, x.ndim)
    counts = _repeat_counts(repeats, x.shape[dim], dim)
    _check_output_size(counts, output_size, isinstance(repeats, Tensor))
    return xp.repeat(x, counts, axis=dim)


@repeat_interleave.derivative
def repeat_interleave(ctx, grad, repeats=None, dim=None, *, output_size=None):
    shape = ctx.shapes[0]
    axis = 0 if dim is None else wrap_dim(dim, len(shape))
    n = (int(np.prod(shape)) if dim is None else shape[axis]) if shape else 1
    counts = _repeat_counts(repeats, n)
    summed = _segment_sum(grad, counts, axis)
    return reshape(summed, shape)


@op(method=False, function=False)
def _segment_sum(xp, x, counts, dim):
    """Sum consecutive runs of ``counts[i]`` entries along ``dim``: undoes repeat_interleave."""
    moved = xp.moveaxis(x, dim, 0)
    out = xp.zeros((len(counts),) + moved.shape[1:], x.dtype)
    starts = np.cumsum([0] + counts[:-1])
    nonempty = np.array(counts) > 0
    if nonempty.any():
        out[nonempty] = xp.add.reduceat(moved, starts[nonempty], axis=0)
    return xp.moveaxis(out, 0, dim)


@_segment_sum.derivative
def _segment_sum(ctx, grad, counts, dim):
    return repeat_interleave(grad, counts, dim)


# ----------------------------------------------------------------------------- triangles


def _triangle(name: str, pick):
    def forward(xp, x, diagonal=0):
        if x.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return pick(xp)(x, diagonal)
    forward.__name__ = name
    forward.__doc__ = f"Zero the entries {'above' if name == 'tril' else 'below'} the " \
                      f"``diagonal``-th diagonal of the last two dimensions."
    entry = op(inplace=True)(forward)

    @entry.derivative
    def _(ctx, grad, diagonal=0):
        return entry(grad, diagonal)
    return entry


tril = _triangle("tril", lambda xp: xp.tril)


@tril.onnx
def tril(g, x, diagonal=0):
    return g.op("Trilu", x, g.const(diagonal, dtype="int64"), upper=0)
triu = _triangle("triu", lambda xp: xp.triu)


@triu.onnx
def triu(g, x, diagonal=0):
    return g.op("Trilu", x, g.const(diagonal, dtype="int64"), upper=1)


def _triangle_indices(name: str, keep):
    def indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                layout=None) -> Tensor:
        for what, n in (("row", row), ("col", col)):
            if n < 0:
                raise RuntimeError(f"{name}(): {what} must be non-negative, got{n}")
        dtype = dt.int64 if dtype is None else dt.as_dtype(dtype)
        if dtype not in (dt.int64, dt.int32):
            raise NotImplementedError(f'"{name}" not implemented for '
                                      f"'{dt.scalar_type_name(dtype.np)}'")
        rows, cols = np.nonzero(keep(np.ones((row, col), dtype=bool), offset))
        return tensor(np.stack([rows, cols]), dtype=dtype, device=device)
    indices.__name__ = name
    indices.__doc__ = (f"The (row, column) indices of the {name[:4]} of a ``row`` x ``col`` "
                       f"matrix, as a 2 x N tensor in row-major order.")
    return composite(name, method=False)(indices)


tril_indices = _triangle_indices("tril_indices", np.tril)
triu_indices = _triangle_indices("triu_indices", np.triu)


# ----------------------------------------------------------------------------- diagonals


@op()
def diag_embed(xp, x, offset=0, dim1=-2, dim2=-1):
    """Matrices (in dimensions ``dim1``, ``dim2`` of the result) whose ``offset`` diagonal
    holds the last dimension of ``x``; zeros elsewhere."""
    ndim = x.ndim + 1
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = x.shape[-1] + abs(offset)
    rest = iter(x.shape[:-1])
    shape = tuple(n if d in (d1, d2) else next(rest) for d in range(ndim))
    out = xp.zeros(shape, x.dtype)
    diagonal_view(xp, out, offset, d1, d2)[...] = x
    return out


@diag_embed.derivative
def diag_embed(ctx, grad, offset=0, dim1=-2, dim2=-1):
    return diagonal(grad, offset, dim1, dim2)


@composite()
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-d tensor as the ``diagonal``-th diagonal of a square matrix, or the
    ``diagonal``-th diagonal of a matrix as a 1-d tensor (a copy)."""
    if input.dim() == 1:
        return diag_embed(input, diagonal)
    if input.dim() == 2:
        return _diagonal_copy(input, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")


def _diagonal_copy(input: Tensor, offset: int) -> Tensor:
    return diagonal(input, offset).clone()


@composite()
def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The flattened ``input`` as the ``offset`` diagonal of a square matrix."""
    return diag_embed(flatten(input), offset)


@composite()
def trace(input: Tensor) -> Tensor:
    """The sum of a matrix's main diagonal."""
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return diagonal(input).sum()


@composite()
def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: every entry of ``input`` times the whole of ``other``."""
    ndim = max(input.dim(), other.dim())
    shape_a = (1,) * (ndim - input.dim()) + tuple(input.shape)
    shape_b = (1,) * (ndim - other.dim()) + tuple(other.shape)
    # Interleave the dimensions: (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...).
    a = reshape(input, tuple(v for n in shape_a for v in (n, 1)))
    b = reshape(other, tuple(v for n in shape_b for v in (1, n)))
    return reshape(a * b, tuple(m * n for m, n in zip(shape_a, shape_b)))
