"""Sorting and selecting by rank (sort, topk, median, mode...), uniques, histograms, search.

Orders are stable and NaN sorts as the largest value, as in PyTorch. Ops that select
elements send their gradient back to the selected positions.
"""
from __future__ import annotations

import math

import builtins

import inspect

import numpy as np

from .. import _dtype as dt
from .. import return_types
from ._inplace import _legacy
from ._op import apply, op
from .reduce import one_dim, picking_whole, returning, value_selecting_backward, \
    whole_or_along
from .scan import along


def _argsort(xp, x, d: int, descending: bool):
    if not descending:
        return xp.argsort(x, axis=d, kind="stable")
    # Descending yet stable: sort the reversed slice ascending and reverse that order.
    order = xp.argsort(xp.flip(x, axis=d), axis=d, kind="stable")
    return (x.shape[d] - 1) - xp.flip(order, axis=d)


def _taken(xp, x, flat, indices, d: int, keepdim: bool = True):
    """``(values, indices)`` of ``flat`` at ``indices`` along ``d``, shaped like ``x``'s."""
    values = xp.take_along_axis(flat, indices, axis=d)
    if x.ndim == 0:
        return xp.reshape(values, ()), xp.reshape(indices, ())
    if not keepdim:
        return xp.squeeze(values, d), xp.squeeze(indices, d)
    return values, indices


def _selecting(forward, result_type):
    """Declare a ``(values, indices)`` op whose values are elements of its input, picked
    along its ``dim`` argument."""
    entry = op(n_outputs=2, differentiable_outputs=(True, False), save_output=True)(forward)
    signature = inspect.signature(forward)

    @entry.derivative
    def _(ctx, grad, grad_indices, *args, **kwargs):
        shape = ctx.shapes[0]
        bound = signature.bind(None, None, *args, **kwargs)
        bound.apply_defaults()
        dim = one_dim(bound.arguments["dim"], len(shape))
        keepdim = bound.arguments.get("keepdim", True)  # sort and topk keep every dim
        return value_selecting_backward(grad, ctx.saved_tensors[1], dim, shape, keepdim)
    return returning(entry, result_type) if result_type is not None else entry


# ----------------------------------------------------------------------------- sorting

def sort(xp, x, dim=-1, descending=False, *, stable=False):
    """``(values, indices)`` of ``input`` sorted along ``dim`` (stably).

    >>> ember.tensor([3., 1., 2.]).sort(descending=True)
    ember.return_types.sort(
    values=tensor([3., 2., 1.]),
    indices=tensor([0, 2, 1]))
    """
    flat, d = along(xp, x, dim)
    return _taken(xp, x, flat, _argsort(xp, flat, d, descending), d)


sort = _selecting(sort, return_types.sort)


@op(differentiable=False)
def argsort(xp, x, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim`` (stably)."""
    flat, d = along(xp, x, dim)
    return xp.reshape(_argsort(xp, flat, d, descending), x.shape)


def topk(xp, x, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``.

    >>> ember.tensor([1., 4., 2., 3.]).topk(2).values
    tensor([4., 3.])
    """
    flat, d = along(xp, x, dim)
    n = flat.shape[d]
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range (k={k}, size {n} along dim {d})")
    order = xp.argsort(flat, axis=d, kind="stable")
    ranks = xp.arange(n - 1, n - 1 - k, -1) if largest else xp.arange(k)
    return _taken(xp, x, flat, xp.take(order, ranks, axis=d), d)


topk = _selecting(topk, return_types.topk)


def kthvalue(xp, x, k, dim=-1, keepdim=False):
    """``(values, indices)`` of the ``k``-th smallest element (from 1) along ``dim``."""
    flat, d = along(xp, x, dim)
    if not flat.shape[d] and x.ndim:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= flat.shape[d]:
        raise RuntimeError(f"selected number k out of range for dimension {d}")
    order = xp.argsort(flat, axis=d, kind="stable")
    return _taken(xp, x, flat, xp.take(order, [k - 1], axis=d), d, keepdim)


kthvalue = _selecting(kthvalue, return_types.kthvalue)


# ----------------------------------------------------------------------------- medians

def _median_indices(xp, flat, d: int, ignore_nan: bool):
    n = flat.shape[d]
    if n == 0:
        raise IndexError(f"Expected reduction dim {d} to have non-zero size.")
    order = xp.argsort(flat, axis=d, kind="stable")  # NaN last
    nans = xp.sum(flat != flat, axis=d, keepdims=True)  # only NaN differs from itself
    if ignore_nan:  # an all-NaN slice picks its middle NaN
        rank = xp.where(nans == n, (n - 1) // 2, (n - nans - 1) // 2)
    else:  # any NaN makes the median NaN: pick the first one
        rank = xp.where(nans > 0, n - nans, (n - 1) // 2)
    return xp.take_along_axis(order, rank, axis=d)


def _median_family(name: str, ignore_nan: bool):
    def median_along(xp, x, dim=-1, keepdim=False):
        flat, d = along(xp, x, dim)
        return _taken(xp, x, flat, _median_indices(xp, flat, d, ignore_nan), d, keepdim)
    median_along.__name__ = name
    median_along.__doc__ = f"""The lower median of all elements{' that are not NaN' * ignore_nan}
    (no ``dim``), or its ``(values, indices)`` along ``dim``.

    >>> ember.tensor([4., 1., 3., 2.]).{name}()
    tensor(2.)
    """

    def median_whole(xp, x):
        if x.size == 0:
            return xp.full((), xp.nan, x.dtype)
        flat = xp.reshape(x, -1)
        return flat[_median_indices(xp, flat, 0, ignore_nan)[0]]
    whole = picking_whole(f"_{name}_all", median_whole)
    along_entry = _selecting(median_along, None)
    return whole, whole_or_along(along_entry, whole, getattr(return_types, name))


_median_all, median = _median_family("median", ignore_nan=False)
_nanmedian_all, nanmedian = _median_family("nanmedian", ignore_nan=True)


def mode(xp, x, dim=-1, keepdim=False):
    """``(values, indices)`` of the most frequent value along ``dim`` (the smallest such
    value on ties, at its last position)."""
    flat, d = along(xp, x, dim)
    n = flat.shape[d]
    if n == 0:
        raise IndexError(f"Expected reduction dim {d} to have non-zero size.")
    order = xp.argsort(flat, axis=d, kind="stable")
    ordered = xp.take_along_axis(flat, order, axis=d)
    head = (slice(None),) * d + (slice(None, -1),)
    tail = (slice(None),) * d + (slice(1, None),)
    starts_run = xp.ones(ordered.shape, bool)
    starts_run[tail] = ordered[tail] != ordered[head]
    shape = [1] * flat.ndim
    shape[d] = n
    position = xp.reshape(xp.arange(n), shape)
    run_length = position - xp.maximum.accumulate(xp.where(starts_run, position, 0), axis=d)
    # The first place a run reaches the longest length ends the smallest most-common value.
    best = xp.argmax(run_length, axis=d, keepdims=True)
    return _taken(xp, x, flat, xp.take_along_axis(order, best, axis=d), d, keepdim)


mode = _selecting(mode, return_types.mode)


# ----------------------------------------------------------------------------- uniques

def _chosen(first, *optional):
    """``first`` alone, or a tuple with the optional results that were asked for."""
    extra = tuple(o for o in optional if o is not None)
    return (first,) + extra if extra else first


@op(n_outputs=3, differentiable=False)
def unique(xp, x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements of ``input`` (or distinct slices along ``dim``), sorted; with
    ``return_inverse`` where each element went, with ``return_counts`` how often each occurs.

    >>> ember.unique(ember.tensor([3, 1, 3]), return_counts=True)
    (tensor([1, 3]), tensor([1, 2]))
    """
    axis = None if dim is None else one_dim(dim, x.ndim)
    values, inverse, counts = xp.unique(x, return_inverse=True, return_counts=True, axis=axis,
                                        equal_nan=False)
    inverse = xp.reshape(inverse, x.shape if axis is None else (x.shape[axis],))
    return values, inverse.astype(xp.int64), counts.astype(xp.int64)


def _int_dim(name: str, dim) -> None:
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")


def _unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    _int_dim("unique", dim)
    values, inverse, counts = apply(unique, (input, sorted, return_inverse, return_counts, dim),
                                    {})
    return _chosen(values, inverse if return_inverse else None, counts if return_counts else None)


@op(n_outputs=3, differentiable=False)
def unique_consecutive(xp, x, return_inverse=False, return_counts=False, dim=None):
    """``input`` with each run of equal consecutive elements (or slices along ``dim``)
    collapsed to one; ``return_inverse`` and ``return_counts`` as for `unique`.

    >>> ember.tensor([1, 1, 2, 2, 1]).unique_consecutive()
    tensor([1, 2, 1])
    """
    shape = x.shape
    if dim is None:
        d, x = 0, xp.reshape(x, -1)
    elif x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    else:
        d = one_dim(dim, x.ndim)
        if x.size == 0 and any(not s for i, s in enumerate(shape) if i != d):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
    n = x.shape[d]
    rows = xp.reshape(xp.moveaxis(x, d, 0), (n, x.size // max(n, 1)))
    starts_run = xp.concatenate([xp.ones(min(n, 1), bool),
                                 xp.any(rows[1:] != rows[:-1], axis=1)])
    starts = xp.flatnonzero(starts_run)
    inverse = xp.cumsum(starts_run) - 1
    counts = xp.diff(xp.concatenate([starts, xp.asarray([n])]))
    return (xp.take(x, starts, axis=d), xp.reshape(inverse, shape if dim is None else (n,)),
            counts.astype(xp.int64))


def _unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    _int_dim("unique_consecutive", dim)
    values, inverse, counts = apply(unique_consecutive, (input, return_inverse, return_counts,
                                                         dim), {})
    return _chosen(values, inverse if return_inverse else None, counts if return_counts else None)


unique.fn, unique_consecutive.fn = _unique, _unique_consecutive
_unique.__doc__, _unique_consecutive.__doc__ = unique.forward.__doc__, \
    unique_consecutive.forward.__doc__


# ----------------------------------------------------------------------------- counting

@op(differentiable=False)
def bincount(xp, x, weights=None, minlength=0):
    """How often each non-negative integer occurs in the 1-d ``input`` (summing ``weights``
    instead of ones when given), with at least ``minlength`` bins.

    >>> ember.tensor([0, 2, 2]).bincount()
    tensor([1, 0, 2])
    """
    if x.dtype.kind not in "iu":
        _not_implemented("bincount_cpu", x)
    if x.ndim != 1 or x.size and x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if not x.size:  # PyTorch's early answer, whatever the weights
        return xp.zeros(minlength, dtype=xp.int64)
    if weights is None:
        return xp.bincount(x, minlength=minlength).astype(xp.int64)
    weights = weights._data
    if weights.shape != x.shape:
        raise RuntimeError(f"weights should be 1-d and have the same length as input, got "
                           f"weights of shape {list(weights.shape)} for input of shape "
                           f"{list(x.shape)}")
    out_dtype = weights.dtype if weights.dtype.kind == "f" else xp.float64
    return xp.bincount(x, weights, minlength).astype(out_dtype)


def _not_implemented(kernel: str, x) -> None:
    raise NotImplementedError(f"\"{kernel}\" not implemented for "
                              f"'{_legacy(dt.from_numpy_dtype(x.dtype))}'")


@op(differentiable=False)
def histc(xp, x, bins=100, min=0, max=0):
    """Counts of ``input``'s elements in ``bins`` equal bins over [min, max] (the data's own
    range when min == max); elements outside are ignored."""
    if x.dtype.kind != "f":
        _not_implemented("histogram_cpu", x)
    _check_histogram(x, bins, None)
    low, high = float(min), float(max)
    if low == high and x.size:
        low, high = float(x.min()), float(x.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError("max must be larger than min")
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{low}, {high}] is not finite")
    return _counts(xp, x, _edges(xp, low, high, bins, x.dtype), None, "linear")


def _outer_edges(x, range) -> tuple:
    """The first and last bin edges of `histogram`: ``range``, or the data's; widened by a
    half on both sides when they are equal."""
    if range is not None:
        low, high = (float(v) for v in range)
    elif x.size:
        low, high = float(x.min()), float(x.max())
    else:
        low, high = 0.0, 1.0
    if low > high:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {low} "
                           f"max {high} for dimension 0")
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histogramdd: dimension 0's range [{low}, {high}] is not "
                           f"finite")
    return (low - 0.5, high + 0.5) if low == high else (low, high)


def _rounder(dtype):
    """The type PyTorch computes a histogram's positions of ``dtype`` in, and a function that
    rounds a step to ``dtype`` as its half-precision arithmetic does."""
    compute = np.float64 if dtype == np.float64 else np.float32
    if dtype.itemsize == 2:
        return compute, lambda v: v.astype(dtype).astype(compute)
    return compute, lambda v: v


def _edges(xp, low: float, high: float, bins: int, dtype):
    """``bins + 1`` edges from ``low`` to ``high`` as PyTorch's linspace makes them in
    ``dtype``: the first half up from ``low``, the second half down from ``high``."""
    compute, rounded = _rounder(dtype)
    start, end = (xp.asarray(v).astype(dtype).astype(compute) for v in (low, high))
    step = rounded((end - start) / compute(bins))
    index = xp.arange(bins + 1, dtype=compute)
    return xp.where(index < (bins + 1) // 2, rounded(start + rounded(step * index)),
                    rounded(end - rounded(step * (bins - index)))).astype(dtype)


def _counts(xp, x, edges, weight, algorithm: str):
    """PyTorch's histogram counts of ``x`` (weighted) over the bin ``edges``, placed its way:
    "linear" (histc) interpolates the bin from the outer edges, "local" then looks at the
    neighbouring edges, "search" does a binary search (which PyTorch doesn't check the edges
    are sorted for). The interpolation rounds each step to ``x``'s dtype as PyTorch's does:
    NumPy's formula puts values on a bin edge into another bin."""
    n = edges.shape[0] - 1
    compute, rounded = _rounder(x.dtype)
    values = x.reshape(-1).astype(compute)
    wide = edges.astype(compute)
    low, high = wide[0], wide[-1]
    inside = (values >= low) & (values <= high)
    if algorithm == "search":
        position = _upper_bound(xp, wide, values) - 1
    else:
        offset = rounded(rounded(values - low) * compute(n))
        position = xp.trunc(rounded(offset / rounded(high - low)))
        position = xp.clip(xp.nan_to_num(position), 0, n).astype(np.int64)
        if algorithm == "local":
            start = xp.maximum(position - 1, 0)
            stop = xp.minimum(position + 2, n + 1)
            below = sum(((start + j < stop) & (wide[xp.minimum(start + j, n)] <= values))
                        for j in range(3))
            position = start + below - 1
    position = xp.clip(xp.where(position == n, n - 1, position), 0, n - 1)
    weights = None if weight is None else weight.reshape(-1).astype(np.float64)[inside]
    counts = xp.bincount(position[inside], weights=weights, minlength=n)
    return counts.astype(x.dtype)


def _upper_bound(xp, edges, values):
    """``std::upper_bound`` of each value over ``edges`` as they are, sorted or not."""
    first = xp.zeros(values.shape, np.int64)
    count = xp.full(values.shape, edges.shape[0], np.int64)
    while bool(count.any()):
        step = count // 2
        probe = first + step
        right = (count > 0) & ~(values < edges[xp.minimum(probe, edges.shape[0] - 1)])
        first = xp.where(right, probe + 1, first)
        count = xp.where(right, count - step - 1, step)
    return first


def _check_histogram(x, bins, weight) -> None:
    """PyTorch's checks of a histogram's bins and weights, in its order."""
    if isinstance(bins, int) and bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           f"dimension 0")
    if hasattr(bins, "ndim"):
        if bins.ndim != 1:
            raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, "
                               f"but got {bins.ndim} dimensions in the bins tensor")
        if bins.dtype != x.dtype:
            raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have "
                               f"the same dtype, but got {x.dtype} and {bins.dtype}")
        if bins.size < 2:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins.size - 1} "
                               f"for dimension 0")
    if weight is not None:
        if weight.dtype != x.dtype:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor "
                               f"and weight tensor should have the same dtype, but got "
                               f"{x.dtype} and {weight.dtype}")
        if weight.size != x.size:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor "
                               f"and weight tensor should have the same shape, but got "
                               f"{x.shape} and {weight.shape}")


@op(differentiable=False, n_outputs=2)
def histogram(xp, x, bins=100, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)``: ``bins`` equal bins over ``range`` (default: the data's), or
    the given 1-d tensor of edges; ``weight`` and ``density`` as in NumPy."""
    if x.dtype.kind != "f":
        _not_implemented("histogram_cpu", x)
    edges = bins._data if hasattr(bins, "_data") else bins
    weight = None if weight is None else weight._data
    _check_histogram(x, edges, weight)
    if weight is not None:  # PyTorch pairs the weights with the inputs by position
        weight = weight.reshape(x.shape)
    if isinstance(edges, int):
        edges = _edges(xp, *_outer_edges(x, range), edges, x.dtype)
        hist = _counts(xp, x, edges, weight, "local")
    else:
        hist = _counts(xp, x, edges, weight, "search")
    if density:
        widths = xp.diff(edges.astype(np.float64))
        hist = (hist.astype(np.float64) / hist.astype(np.float64).sum() / widths).astype(x.dtype)
    return hist, edges.astype(x.dtype)


returning(histogram, return_types.histogram)


@op(differentiable=False, n_outputs=None, method=False)
def histogramdd(xp, x, bins, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)`` of the points in the rows of ``input`` (its last dimension holds
    the coordinates): ``bins`` per dimension, as counts or tensors of edges; ``range`` as
    ``[min0, max0, min1, max1, ...]``."""
    if x.dtype.kind != "f":
        _not_implemented("histogramdd", x)
    if x.ndim < 2:
        raise RuntimeError(f"torch.histogramdd: input tensor should have at least 2 dimensions, "
                           f"but got {x.ndim}")
    points = x.reshape(-1, x.shape[-1])
    d = points.shape[1]
    if not isinstance(bins, int):
        bins = [b._data if hasattr(b, "_data") else b for b in bins]
        if len(bins) != d:
            raise RuntimeError(f"torch.histogramdd: expected {d} sequences of bin edges for "
                               f"each dimension of a {d}-dimensional histogram, but got "
                               f"{len(bins)}")
    pairs = None if range is None else [tuple(range[2 * i:2 * i + 2]) for i in builtins.range(d)]
    weights = None if weight is None else weight._data.reshape(-1)
    hist, edges = xp.histogramdd(points, bins=bins, range=pairs, weights=weights,
                                 density=density)
    return (hist.astype(x.dtype),) + tuple(e.astype(x.dtype) for e in edges)


def _histogramdd_result(call):
    def fn(*args, **kwargs):
        hist, *edges = call(*args, **kwargs)
        return return_types.histogramdd(hist, tuple(edges))
    fn.__name__ = fn.__qualname__ = "histogramdd"
    fn.__doc__ = call.__doc__
    return fn


histogramdd.fn = _histogramdd_result(histogramdd.fn)


# ----------------------------------------------------------------------------- search

def _search(xp, sorted_sequence, values, side: str, out_int32: bool, sorter=None):
    """The insertion points of ``values`` in the rows of ``sorted_sequence`` (read through
    ``sorter``), found by PyTorch's own bisection so that unsorted rows and NaNs give its
    answers too."""
    n = sorted_sequence.shape[-1]
    out_dtype = xp.int32 if out_int32 else xp.int64
    if not n or not values.size:
        return xp.zeros(values.shape, dtype=out_dtype)
    rows = sorted_sequence.reshape(-1, n)
    wanted = values.reshape(rows.shape[0], -1) if sorted_sequence.ndim > 1 else \
        values.reshape(1, -1)
    order = None if sorter is None else sorter.reshape(rows.shape)
    low = xp.zeros(wanted.shape, dtype=xp.int64)
    high = xp.full(wanted.shape, n, dtype=xp.int64)
    for _ in range(n.bit_length()):  # each step halves every interval
        mid = (low + high) >> 1
        at = xp.minimum(mid, n - 1)
        if order is not None:
            at = xp.take_along_axis(order, at, axis=1)
        bound = xp.take_along_axis(rows, at, axis=1)
        after = ~(wanted < bound) if side == "right" else ~(wanted <= bound)
        open_ = low < high
        low = xp.where(open_ & after, mid + 1, low)
        high = xp.where(open_ & ~after, mid, high)
    return low.reshape(values.shape).astype(out_dtype)


def _search_types(operands, arrays):
    """Both operands as arrays of their result type, a Python number cast (wrapping) too: the
    search compares values of one type."""
    common = dt.result_dtype(operands).np
    return [np.asarray(a).astype(common) if not hasattr(a, "astype") else
            a.astype(common, copy=False) for a in arrays]


@op(nin=2, promote=_search_types, differentiable=False)
def searchsorted(xp, sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where ``values`` would go in the innermost dim of ``sorted_sequence`` to keep it
    sorted (after equal elements with ``right=True`` or ``side='right'``).

    >>> ember.searchsorted(ember.tensor([1, 3, 5]), ember.tensor([3, 4]))
    tensor([1, 2])
    """
    _check_sorter(sorted_sequence, sorter)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side != "right":
            raise RuntimeError(f"torch.searchsorted(): side and right can't be set to "
                               f"opposites, got side of {side} while right was True")
    if not values.ndim and sorted_sequence.ndim != 1:
        raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when "
                           f"boundaries tensor dimension is 1, but we got boundaries tensor dim("
                           f"{sorted_sequence.ndim}) and input value's dim(0) numel(1)")
    if sorted_sequence.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but we got 0 dimension")
    if sorted_sequence.ndim > 1 and sorted_sequence.shape[:-1] != values.shape[:-1]:
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           f"the first N-1 dimensions of boundaries tensor and input value "
                           f"tensor must match, but we got boundaries tensor "
                           f"{list(sorted_sequence.shape)} and input value tensor "
                           f"{list(values.shape)}")
    if values.size:
        _check_search_dtype(sorted_sequence.dtype)
    return _search(xp, sorted_sequence, values, side or ("right" if right else "left"),
                   out_int32, None if sorter is None else sorter._data)


def _check_sorter(sorted_sequence, sorter) -> None:
    if sorter is None:
        return
    s = sorter._data
    if s.shape != sorted_sequence.shape:
        raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, "
                           f"but got boundary tensor {list(sorted_sequence.shape)} and got "
                           f"sorter tensor {list(s.shape)}")
    if s.dtype != dt.int64.np:
        raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but "
                           f"got dtype {dt.scalar_type_name(s.dtype)}")
    if s.size and (int(s.min()) < 0 or int(s.max()) >= sorted_sequence.shape[-1]):
        raise RuntimeError("torch.searchsorted(): sorter index out of range")


def _check_search_dtype(dtype) -> None:
    """PyTorch's search kernel has no bool or complex loop (of the operands' common type)."""
    if dtype.kind in "bc":
        raise NotImplementedError(f'"searchsorted_out_cpu" not implemented for '
                                  f"'{dt.scalar_type_name(dtype)}'")


@op(nin=2, promote=_search_types, differentiable=False)
def bucketize(xp, x, boundaries, *, out_int32=False, right=False):
    """The index of the bucket of 1-d ``boundaries`` each element of ``input`` falls in.

    >>> ember.bucketize(ember.tensor([1, 4, 9]), ember.tensor([2, 4, 8]))
    tensor([0, 1, 3])
    """
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    if x.size:
        _check_search_dtype(boundaries.dtype)
    return _search(xp, boundaries, x, "right" if right else "left", out_int32)
