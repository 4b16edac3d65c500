"""Reductions over dimensions: sums, means, extrema, statistics, norms, logic."""
from __future__ import annotations

from .. import _dtype as dt
from ._op import op


def dims_of(dim, ndim: int, name: str):
    """Normalize ``dim`` (None, int or sequence) into a sorted tuple of non-negative dims."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    n = max(ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {d})")
        out.append(d % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{name}(): dim {out} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else ()


def expand_reduced(grad, shape, dim, keepdim):
    """Broadcast the gradient of a reduction back to the input's shape."""
    if not keepdim and shape:
        for d in dims_of(dim, len(shape), "sum"):
            grad = grad.unsqueeze(d)
    return grad.expand(shape)


def _acc_dtype(x, dtype):
    # Integer sums accumulate in int64, as PyTorch's do.
    if dtype is not None:
        return dt.as_dtype(dtype).np
    return "int64" if x.dtype.kind in "biu" else None


@op()
def sum(xp, x, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all dims by default)."""
    axes = dims_of(dim, x.ndim, "sum")
    return xp.sum(x, axis=axes, keepdims=keepdim, dtype=_acc_dtype(x, dtype))


@sum.derivative
def sum(ctx, grad, dim=None, keepdim=False, *, dtype=None):
    return expand_reduced(grad, ctx.shapes[0], dim, keepdim)


@op()
def mean(xp, x, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` (all dims by default); integer inputs need a float ``dtype``."""
    if x.dtype.kind in "biu" and dtype is None:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {dt.from_numpy_dtype(x.dtype).name.capitalize()}")
    axes = dims_of(dim, x.ndim, "mean")
    return xp.mean(x, axis=axes, keepdims=keepdim,
                   dtype=None if dtype is None else dt.as_dtype(dtype).np)


@mean.derivative
def mean(ctx, grad, dim=None, keepdim=False, *, dtype=None):
    shape = ctx.shapes[0]
    count = 1
    for d in dims_of(dim, len(shape), "mean"):
        count *= shape[d]
    return expand_reduced(grad / count, shape, dim, keepdim)
