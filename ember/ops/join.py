"""Joining tensors: cat, stack and their directional forms, grids, block diagonals."""
from __future__ import annotations

import itertools
import warnings

from .._creation import tensor, zeros
from .. import _dtype as dt
from .._tensor import Tensor
from ._op import op, composite
from .shape import wrap_dim, reshape, expand, atleast_1d, atleast_2d, atleast_3d


def _tensor_list(tensors) -> list:
    """``f(a, b)`` and ``f([a, b])`` both mean the tensors a, b."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0])
    return list(tensors)


def _is_legacy_empty(shape) -> bool:
    # PyTorch skips 1-d empty tensors in cat, whatever the other tensors' shapes.
    return shape == (0,)


@op(nin=-1, promote="common")
def cat(xp, tensors, dim=0):
    """Join ``tensors`` along an existing dimension ``dim``, promoting their dtypes.

    >>> ember.cat([ember.zeros(2, 3), ember.ones(1, 3)]).shape
    ember.Size([3, 3])
    """
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, a in enumerate(tensors):
        if a.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               f"concatenated")
    kept = [(i, a) for i, a in enumerate(tensors) if not _is_legacy_empty(a.shape)]
    if not kept:
        return xp.concatenate(tensors)
    first = kept[0][1]
    dim = wrap_dim(dim, first.ndim)
    for i, a in kept[1:]:
        if a.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got "
                               f"{first.ndim} and {a.ndim}")
        for d, (n, m) in enumerate(zip(first.shape, a.shape)):
            if d != dim and n != m:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. "
                                   f"Expected size {n} but got size {m} for tensor number {i} "
                                   f"in the list.")
    return xp.concatenate([a for _, a in kept], axis=dim)


@cat.derivative
def cat(ctx, grad, dim=0):
    kept = [s for s in ctx.shapes if not _is_legacy_empty(s)]
    dim = wrap_dim(dim, len(kept[0])) if kept else 0
    grads, start = [], 0
    for shape, needed in zip(ctx.shapes, ctx.needs_input_grad):
        if _is_legacy_empty(shape) and kept:
            grads.append(zeros(0, dtype=grad.dtype, device=grad.device) if needed else None)
            continue
        grads.append(grad.narrow(dim, start, shape[dim]) if needed else None)
        start += shape[dim]
    return tuple(grads)


@cat.onnx
def cat(g, tensors, dim=0):
    return g.op("Concat", *tensors, axis=dim)


composite("concat")(cat.fn)


@composite()
def concatenate(tensors, axis: int = 0) -> Tensor:
    """`cat` with NumPy's argument name."""
    return cat(tensors, axis)


@op(nin=-1, promote="common")
def stack(xp, tensors, dim=0):
    """Join equal-shaped ``tensors`` along a new dimension ``dim``.

    >>> ember.stack([ember.zeros(2, 3), ember.ones(2, 3)], dim=1).shape
    ember.Size([2, 2, 3])
    """
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tensors[0]
    wrap_dim(dim, first.ndim + 1)  # PyTorch checks the dim against the first tensor first
    for i, a in enumerate(tensors[1:], 1):
        if a.shape != first.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(first.shape)} at entry 0 and {list(a.shape)} at entry "
                               f"{i}")
    n = first.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return xp.stack(tensors, axis=dim % n)


@stack.derivative
def stack(ctx, grad, dim=0):
    return grad.unbind(dim % (len(ctx.shapes[0]) + 1))


@stack.onnx
def stack(g, tensors, dim=0):
    axis = g.ints([dim % (g.rank(tensors[0]) + 1)])
    return g.op("Concat", *(g.op("Unsqueeze", t, axis) for t in tensors), axis=dim)


def _non_empty(name: str, tensors) -> list:
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return list(tensors)


@composite(method=False)
def hstack(tensors) -> Tensor:
    """Join along dimension 1 (dimension 0 for 1-d tensors)."""
    tensors = [atleast_1d(t) for t in _non_empty("hstack", tensors)]
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


@composite(method=False)
def vstack(tensors) -> Tensor:
    """Join along dimension 0, after making every tensor at least 2-d."""
    return cat([atleast_2d(t) for t in _non_empty("vstack", tensors)], 0)


composite("row_stack", method=False)(vstack)


@composite(method=False)
def dstack(tensors) -> Tensor:
    """Join along dimension 2, after making every tensor at least 3-d."""
    return cat([atleast_3d(t) for t in _non_empty("dstack", tensors)], 2)


@composite(method=False)
def column_stack(tensors) -> Tensor:
    """Join as columns: 0-d and 1-d tensors become columns, the rest join along dim 1."""
    columns = [reshape(t, (t.numel(), 1)) if t.dim() <= 1 else t
               for t in _non_empty("column_stack", tensors)]
    return cat(columns, 1)


# ----------------------------------------------------------------------------- grids


@composite(method=False)
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-d tensors, as expanded views. ``indexing='ij'`` gives the
    grids the shape ``(len(t0), len(t1), ...)``; ``'xy'`` swaps the first two."""
    tensors = _tensor_list(tensors)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                         f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if any(t.dtype != tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t.dim()}D")
    swap = indexing == "xy" and len(tensors) > 1
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    shape = tuple(t.numel() for t in tensors)
    n = len(tensors)
    grids = [expand(reshape(t, (1,) * i + (-1,) + (1,) * (n - i - 1)), shape)
             for i, t in enumerate(tensors)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


@composite(method=False)
def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-d tensor, as rows."""
    tensors = _tensor_list(tensors)
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


@composite(method=False)
def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """Every ``r``-element combination of the entries of a 1-d tensor, as rows (in the
    order of ``itertools.combinations``)."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r)) if r else []
    index = tensor(rows, dtype=dt.int64, device=input.device).reshape(-1)
    return reshape(input.index_select(0, index), (len(rows), r) if r else (0,))


# ----------------------------------------------------------------------------- block_diag


def _as_matrix_shape(shape) -> tuple:
    return {0: (1, 1), 1: (1,) + tuple(shape)}.get(len(shape), tuple(shape))


@op(nin=-1, promote="common", name="block_diag", method=False, function=False)
def _block_diag(xp, tensors):
    shapes = []
    for i, a in enumerate(tensors):
        if a.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {a.ndim} dimensions")
        shapes.append(_as_matrix_shape(a.shape))
    if not tensors:
        return xp.zeros((1, 0), "float32")
    out = xp.zeros((sum(s[0] for s in shapes), sum(s[1] for s in shapes)), tensors[0].dtype)
    row = col = 0
    for a, (rows, cols) in zip(tensors, shapes):
        out[row:row + rows, col:col + cols] = a.reshape(rows, cols)
        row, col = row + rows, col + cols
    return out


@_block_diag.derivative
def _block_diag(ctx, grad):
    grads, row, col = [], 0, 0
    for shape, needed in zip(ctx.shapes, ctx.needs_input_grad):
        rows, cols = _as_matrix_shape(shape)
        if needed:
            grads.append(grad.narrow(0, row, rows).narrow(1, col, cols).reshape(shape))
        else:
            grads.append(None)
        row, col = row + rows, col + cols
    return tuple(grads)


@composite(method=False)
def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix with ``tensors`` (0-d, 1-d or 2-d) as its blocks."""
    return _block_diag(list(tensors))
