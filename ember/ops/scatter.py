"""Gather and scatter along a dimension, and the ``index_*`` placements of whole slices.

``gather`` reads ``out[i][j] = x[index[i][j]][j]`` (for ``dim=0``); ``scatter`` writes the
other way. Their derivatives are each other: the gradient of a gather is a scatter-add of
the gradient into zeros, and a scatter's source receives the gather of the gradient.
"""
from __future__ import annotations

import numpy as np

from .._creation import full, zeros
from .._tensor import Tensor, wrap
from .. import _dtype as dt
from ._op import apply, op
from .index import INT_OR_LONG, LONG, check_bounds, index_of, index_put, wrap_dim


def _coords(xp, index, dim: int) -> tuple:
    """The full NumPy index of ``index`` along ``dim``: position i in every other dim."""
    nd = index.ndim
    coords = [xp.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
              for d, n in enumerate(index.shape)]
    coords[dim] = index
    return tuple(coords)


def check_along(name: str, x, dim: int, index, src=None) -> int:
    """PyTorch's checks of a gather or scatter call, in its order: the dim, the index's dtype,
    the source's dtype, then (for a non-empty index) the ranks (a 0-d tensor counting as 1-D)
    and the index no larger than ``x`` (but along ``dim``) and ``src``. Returns ``dim``
    wrapped; the bounds are checked when the index is used (`scatter_into`)."""
    dim = wrap_dim(dim, x.ndim)
    idx = index._data if isinstance(index, Tensor) else index_of(index, name)
    if idx.size and idx.dtype not in INT_OR_LONG:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype != x.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    if not idx.size:
        return dim
    ndim = max(idx.ndim, 1)
    if max(x.ndim, 1) != ndim:
        raise RuntimeError(f"{name}(): Index tensor must have the same number of dimensions as "
                           f"{'input' if name == 'gather' else 'self'} tensor")
    if name == "gather":
        src = None
    sizes, x_sizes = _as_1d(idx).shape, _as_1d(x).shape
    wrong = any(d != dim and n > x_sizes[d] for d, n in enumerate(sizes))
    if not wrong and src is not None:
        # PyTorch reads src's size in each of the index's dims (a 0-d src has size 1 in all)
        src_sizes = src.shape or (1,) * ndim
        for d, n in enumerate(sizes):
            if d >= len(src_sizes):
                k = len(src_sizes)
                raise IndexError(f"Dimension out of range (expected to be in range of [{-k}, "
                                 f"{k - 1}], but got {d})")
            if n > src_sizes[d]:
                wrong = True
                break
        if max(src.ndim, 1) != ndim:
            raise RuntimeError(f"{name}(): Index tensor must have the same number of dimensions "
                               f"as src tensor")
    if wrong:
        larger = (f"{name}(): Expected index {list(idx.shape)} to be no larger than self "
                  f"{list(x.shape)} apart from dimension {dim}")
        if src is not None:
            larger += f" and to be no larger size than src {list(src.shape)}"
        raise RuntimeError(larger)
    return dim


def _as_1d(a):
    return a.reshape(1) if a.ndim == 0 else a


@op()
def gather(xp, x, dim, index, *, sparse_grad=False):
    """``out[i][j] = x[index[i][j]][j]`` for ``dim=0`` (and likewise along any ``dim``).

    >>> ember.tensor([[1, 2], [3, 4]]).gather(1, ember.tensor([[0, 0], [1, 0]]))
    tensor([[1, 1],
            [4, 3]])
    """
    dim = check_along("gather", x, dim, index)
    idx = index._data
    if not idx.size:
        return xp.empty(idx.shape, dtype=x.dtype)
    check_bounds(idx, x.shape[dim] if x.ndim else 1, dim)
    return _as_1d(x)[_coords(xp, _as_1d(idx), dim)].reshape(idx.shape)


@gather.derivative
def gather(ctx, grad, dim, index, *, sparse_grad=False):
    return zeros(ctx.shapes[0], dtype=grad.dtype, device=grad.device).scatter_add(
        dim, index, grad)


@gather.onnx
def gather(g, x, dim, index, *, sparse_grad=False):
    return g.op("GatherElements", x, index, axis=dim)


def scatter_into(xp, x, src, dim, index, name: str, ufunc=None):
    """A copy of ``x`` with ``src`` placed (or combined with ``ufunc``) at ``index``, a call
    that `check_along` passed."""
    dim = wrap_dim(dim, x.ndim)
    idx = index._data if isinstance(index, Tensor) else index
    out = _as_1d(x.copy())
    if not idx.size:
        return out.reshape(x.shape), None, None
    check_bounds(idx, x.shape[dim] if x.ndim else 1, dim)
    coords = _coords(xp, _as_1d(idx), dim)
    values = _as_1d(src)[tuple(slice(0, n) for n in _as_1d(idx).shape)]
    if ufunc is None:
        out[coords] = values
    else:
        ufunc.at(out, coords, values)
    return out.reshape(x.shape), coords, values


def _src_grad(grad: Tensor, dim: int, index: Tensor, src_shape) -> Tensor:
    """The gradient of a scatter's source: the gather of ``grad``, zero where unused."""
    g = grad.gather(dim, index)
    if tuple(g.shape) == tuple(src_shape):
        return g
    region = tuple(slice(0, n) for n in g.shape) + (Ellipsis,)
    return apply(index_put, (zeros(src_shape, dtype=grad.dtype, device=grad.device), g,
                             region), {})


def _scatter_signature(input, dim, index, src=None, value=None, *, reduce=None):
    src = value if src is None else src
    check_along("scatter", input._data, dim, index,
                src._data if isinstance(src, Tensor) else None)
    if reduce is not None and reduce not in _REDUCE:
        raise RuntimeError("reduce argument must be either add or multiply.")
    if not isinstance(src, Tensor):  # scatter(dim, index, value): a source of that value
        # cast as PyTorch casts a number to the tensor's type (wrapping, truncating)
        src = wrap(input._xp.asarray(np.full(tuple(index.shape), src).astype(input._data.dtype)))
    return (input, src, dim, index), ({} if reduce is None else {"reduce": reduce})


_REDUCE = ("add", "multiply")


@op(nin=2, inplace=True, signature=_scatter_signature)
def scatter(xp, x, src, dim, index, *, reduce=None):
    """A copy of ``x`` with ``src`` (or a value) written at ``index`` along ``dim``;
    ``reduce='add'`` or ``'multiply'`` combines instead of overwriting."""
    ufunc = None if reduce is None else getattr(xp, reduce)
    return scatter_into(xp, x, src, dim, index, "scatter", ufunc)[0]


@scatter.derivative
def scatter(ctx, grad, dim, index, *, reduce=None):
    if reduce == "multiply":
        raise RuntimeError("derivative for aten::scatter with reduce='multiply' is not "
                           "implemented")
    grad_x = grad_src = None
    if ctx.needs_input_grad[0]:
        grad_x = grad if reduce == "add" else grad.scatter(dim, index, 0)
    if ctx.needs_input_grad[1]:
        grad_src = _src_grad(grad, dim, index, ctx.shapes[1])
    return grad_x, grad_src


def _along_signature(input, dim, index, src):
    check_along("scatter_add", input._data, dim, index, _data_of(src, "src"))
    return (input, src, dim, index), {}


def _data_of(a, name: str):
    if not isinstance(a, Tensor):
        raise TypeError(f"argument '{name}' must be Tensor, not {type(a).__name__}")
    return a._data


@op(nin=2, inplace=True, signature=_along_signature)
def scatter_add(xp, x, src, dim, index):
    """A copy of ``x`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    return scatter_into(xp, x, src, dim, index, "scatter_add", xp.add)[0]


@scatter_add.derivative
def scatter_add(ctx, grad, dim, index):
    return grad, (_src_grad(grad, dim, index, ctx.shapes[1])
                  if ctx.needs_input_grad[1] else None)


# ----------------------------------------------------------------------------- scatter_reduce

_REDUCTIONS = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
               "amin": "minimum"}
_ALIASES = {"max": "amax", "min": "amin"}  # PyTorch takes these too


def _identity(reduce: str, dtype):
    """The value that leaves ``reduce`` unchanged, for a position that ignores ``x``."""
    if reduce in ("sum", "mean", "prod"):
        return int(reduce == "prod")
    if dtype.kind == "b":
        return reduce == "amin"
    if dtype.kind not in "iu":  # floats, bfloat16 among them
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _scatter_reduce_signature(input, dim, index, src, reduce, *, include_self=True):
    check_along("scatter_reduce", input._data, dim, index, _data_of(src, "src"))
    reduce = _ALIASES.get(reduce, reduce)
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    kind = input._data.dtype.kind
    if reduce == "mean" and kind == "b" or \
            index._data.size and reduce in ("amax", "amin") and kind == "c":
        raise NotImplementedError(f'"scatter_reduce_{reduce}" not implemented for '
                                  f"'{_typename(input._data)}'")
    return (input, src, dim, index, reduce), {"include_self": include_self}


@op(nin=2, inplace=True, stash=True, signature=_scatter_reduce_signature)
def scatter_reduce(xp, x, src, dim, index, reduce, *, include_self=True):
    """A copy of ``x`` where each position hit by ``index`` (along ``dim``) becomes the
    ``reduce`` ('sum', 'prod', 'mean', 'amax', 'amin') of the ``src`` values sent there,
    together with its own value when ``include_self``."""
    if not index._data.size:
        return x.copy(), _untouched(xp, reduce, x, index._data.shape)
    ufunc = getattr(xp, _REDUCTIONS[reduce])
    start = x
    if not include_self:
        start = scatter_into(xp, x, xp.full(index.shape, _identity(reduce, x.dtype),
                                            dtype=x.dtype), dim, index, "scatter_reduce")[0]
    out, coords, values = scatter_into(xp, start, src, dim, index, "scatter_reduce", ufunc)
    out = _as_1d(out)
    kept = xp.ones(out.shape, dtype=x.dtype)  # 1 where x's own value takes part
    if not include_self:
        kept[coords] = 0
    if reduce == "mean":
        count = kept.copy()
        xp.add.at(count, coords, 1)
        count[count == 0] = 1
        out = out // count if x.dtype.kind in "iub" else out / count
        consts = (kept, count)
    elif reduce in ("amax", "amin"):
        consts = _extremum_weights(xp, _as_1d(x), out, kept, coords, values)
    elif reduce == "prod":
        consts = _prod_others(xp, _as_1d(x), kept, coords, values)
    else:
        consts = (kept,)
    # The derivative's constants, each shaped like x or like the index.
    consts = tuple(c.reshape(x.shape if c.shape == out.shape else index.shape)
                   for c in consts)
    return out.reshape(x.shape), consts


def _untouched(xp, reduce: str, x, index_shape) -> tuple:
    """The derivative's constants of a call that sends nothing: x passes, src gets none."""
    ones, none = xp.ones(x.shape, dtype=x.dtype), xp.zeros(index_shape, dtype=x.dtype)
    return {"sum": (ones,), "mean": (ones, ones), "prod": (ones, none)}.get(
        reduce, (ones, ones, none))


def _extremum_weights(xp, x, out, kept, coords, values):
    # The gradient is shared evenly among all the values equal to the extremum.
    # Like PyTorch, x's ties count in the share even where include_self=False drops x.
    x_hits = (x == out).astype(x.dtype)
    src_hits = (values == out[coords]).astype(x.dtype)
    count = x_hits.copy()
    xp.add.at(count, coords, src_hits)
    share = 1 / xp.maximum(count, 1)
    return x_hits * kept * share, share, src_hits


def _prod_others(xp, x, kept, coords, values):
    """For every factor of every product: the product of the other factors (zeros too)."""
    own = xp.where(kept > 0, x, 1)
    nonzero_prod = xp.where(own == 0, 1, own)
    zero_count = (own == 0).astype(x.dtype)
    xp.multiply.at(nonzero_prod, coords, xp.where(values == 0, 1, values))
    xp.add.at(zero_count, coords, (values == 0).astype(x.dtype))
    src_prod = xp.ones_like(x)
    xp.multiply.at(src_prod, coords, values)
    # x's own factor: the product of what was sent to it (1 where nothing was).
    x_others = xp.where(kept > 0, src_prod, 0)
    zeros_at, prod_at = zero_count[coords], nonzero_prod[coords]
    safe = xp.where(values == 0, 1, values)
    src_others = xp.where(zeros_at == 0, prod_at / safe,
                          xp.where((zeros_at == 1) & (values == 0), prod_at, 0))
    return x_others, src_others


@scatter_reduce.derivative
def scatter_reduce(ctx, grad, dim, index, reduce, *, include_self=True):
    consts = [wrap(c) for c in ctx.stash]
    src_shape = ctx.shapes[1]
    if reduce in ("sum", "mean"):
        x_weight = consts[0] if reduce == "sum" else consts[0] / consts[1]
        share = 1 if reduce == "sum" else 1 / consts[1]
        return grad * x_weight, _src_grad(grad * share, dim, index, src_shape)
    if reduce == "prod":
        x_others, src_others = consts
        return grad * x_others, _src_grad(grad, dim, index, src_shape) * _pad(src_others,
                                                                            src_shape)
    x_weight, share, src_hits = consts
    return (grad * x_weight,
            _src_grad(grad * share, dim, index, src_shape) * _pad(src_hits, src_shape))


def _pad(weights: Tensor, shape) -> Tensor:
    """Per-index weights (index-shaped) grown to the source's shape with zeros."""
    if tuple(weights.shape) == tuple(shape):
        return weights
    region = tuple(slice(0, n) for n in weights.shape) + (Ellipsis,)
    return apply(index_put, (zeros(shape, dtype=weights.dtype, device=weights.device),
                             weights, region), {})


# ----------------------------------------------------------------------------- index_*


def _typename(a) -> str:
    return dt.scalar_type_name(a.dtype)


def _index_array(name: str, index):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not "
                        f"{type(index).__name__}")
    return index._data


def _index_vector(name: str, index, kinds, dtype_message: str):
    """The index array of an ``index_*`` op, checked as PyTorch's ``index_add`` checks it:
    a vector (or a scalar) first, then its dtype."""
    idx = _index_array(name, index)
    if idx.ndim > 1:
        raise IndexError(f"{name}_(): Index is supposed to be a vector, but got dim: {idx.ndim} "
                         f"with type: {_typename(idx)} and size: {list(idx.shape)}")
    if idx.dtype not in kinds:
        raise RuntimeError(f"{name}_(): {dtype_message} but got: {_typename(idx)}")
    return idx.reshape(-1)


def _same_slices(x, source, dim: int) -> bool:
    """Whether ``x`` and ``source`` have the same sizes in every dim but ``dim``."""
    def sliced(shape):
        return tuple(n for d, n in enumerate(shape) if d != dim)
    return sliced(x.shape) == sliced(source.shape)


def _check_add_shapes(x, source, dim: int, idx, alpha) -> None:
    """``index_add``'s checks of ``source`` against ``x`` and the index, in PyTorch's order."""
    if source.dtype != x.dtype:
        raise RuntimeError(f"index_add_(): self ({_typename(x)}) and source "
                           f"({_typename(source)}) must have the same scalar type")
    if dim != 0 and dim >= source.ndim:
        raise RuntimeError(f"index_add_(): Indexing dim {dim} is out of bounds of the source "
                           f"tensor with dim {source.ndim}")
    if idx.size != (source.shape[dim] if source.ndim else 1):
        if not source.ndim:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({source.shape[dim]}), for dim: {dim}")
    if source.ndim != x.ndim or not _same_slices(x, source, dim):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x.shape)} "
                           f"source.shape = {list(source.shape)}")
    if idx.size and source.size and (x.size or x.ndim < 2):
        size = x.shape[dim] if x.ndim else 1
        if x.ndim > 1 and alpha == 1 and idx.dtype == LONG[0] and dim in (0, x.ndim - 1):
            check_bounds(idx, size, dim)  # PyTorch's accumulating kernel words it so
        elif int(idx.min()) < 0 or int(idx.max()) >= size:
            raise IndexError("index out of range in self")


def _check_copy_shapes(x, source, dim: int, idx) -> None:
    """``index_copy``'s checks of ``source`` against ``x`` and the index, in PyTorch's order."""
    if source.ndim == 0 and idx.size != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element "
                         f"(got {idx.size})")
    if source.ndim and x.ndim and source.ndim != x.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({x.ndim})")
    if idx.dtype != LONG[0]:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{_typename(idx)}")
    if source.dtype != x.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {_typename(x)} and (source) {_typename(source)}")
    if not _same_slices(x, source, dim):
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {list(x.shape)} at dimension "
                           f"{dim} and source slice shape: {list(source.shape)} at dimension "
                           f"{dim}.")
    if source.ndim and idx.size != source.shape[dim]:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to "
                         f"source.size(dim) ({source.shape[dim]})")
    _check_slice_bounds("index_copy", x, dim, idx, wraps=False)


def _check_slice_bounds(name: str, x, dim: int, idx, wraps: bool) -> None:
    """Refuse indices outside ``x``'s dim (``[-size, size)`` where negatives ``wraps``) as
    ``index_copy`` and ``index_fill`` do: an empty ``x`` takes any index unless its other
    dims hold elements (PyTorch then fails on the storage)."""
    if not idx.size:
        return
    size = x.shape[dim] if x.ndim else 1
    if not x.size:
        if all(n for d, n in enumerate(x.shape) if d != dim):
            raise RuntimeError(f"{name}_(): index {int(idx.reshape(-1)[0])} is out of bounds "
                               f"for an empty tensor of shape {list(x.shape)}")
        return
    low, high = int(idx.min()), int(idx.max())
    if low < (-size if wraps else 0) or high >= size:
        bad = high if high >= size else low
        raise IndexError(f"{name}_(): index {bad} is out of bounds for dimension {dim} with "
                         f"size {size}")


def _dim_first(xp, a, dim: int):
    return xp.moveaxis(_as_1d(a), dim, 0)


def _index_signature(input, dim, index, source, **kwargs):
    return (input, source, dim, index), kwargs


@op(nin=2, inplace=True, signature=_index_signature)
def index_add(xp, x, source, dim, index, *, alpha=1):
    """A copy of ``x`` with ``alpha * source`` added to the slices ``index`` along ``dim``.

    >>> ember.zeros(3).index_add(0, ember.tensor([0, 0, 2]), ember.tensor([1., 2., 3.]))
    tensor([3., 0., 3.])
    """
    dim = wrap_dim(dim, x.ndim)
    idx = _index_vector("index_add", index, INT_OR_LONG, "Expected dtype int32/int64 for index")
    _check_add_shapes(x, source, dim, idx, alpha)
    if x.dtype.kind not in "fc":
        alpha = np.array(alpha).astype(x.dtype)[()]  # PyTorch casts alpha to x.dtype first
    out = x.copy()
    if not x.size:
        return out
    xp.add.at(_dim_first(xp, out, dim), idx,
              _dim_first(xp, source if alpha == 1 else source * alpha, dim))
    return out


@index_add.derivative
def index_add(ctx, grad, dim, index, *, alpha=1):
    grad_source = None
    if ctx.needs_input_grad[1]:
        grad_source = _select_like(grad, dim, index, ctx.shapes[1])
        grad_source = grad_source if alpha == 1 else grad_source * alpha
    return grad, grad_source


def _select_like(grad: Tensor, dim: int, index: Tensor, shape) -> Tensor:
    return grad.index_select(dim, index.reshape(-1)).reshape(shape)


@op(nin=2, inplace=True, signature=_index_signature)
def index_copy(xp, x, source, dim, index):
    """A copy of ``x`` with the slices ``index`` along ``dim`` replaced by ``source``."""
    dim = wrap_dim(dim, x.ndim)
    idx = _index_array("index_copy", index)
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    idx = idx.reshape(-1)
    _check_copy_shapes(x, source, dim, idx)
    if not x.size:
        return x.copy()
    out = x.copy()
    _dim_first(xp, out, dim)[idx] = _dim_first(xp, source, dim)
    return out


@index_copy.derivative
def index_copy(ctx, grad, dim, index):
    grad_x = grad.index_fill(dim, index, 0) if ctx.needs_input_grad[0] else None
    grad_source = (_select_like(grad, dim, index, ctx.shapes[1])
                   if ctx.needs_input_grad[1] else None)
    return grad_x, grad_source


def _index_fill_signature(input, dim, index, value):
    # PyTorch's order: the value's rank, the index's dtype, a complex value, the dim, the
    # index's rank (the bounds are the forward's).
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    idx = _index_array("index_fill", index)
    if idx.dtype != LONG[0]:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    complex_value = value.is_complex() if isinstance(value, Tensor) else \
        isinstance(value, complex)
    if complex_value and not input.is_complex():
        raise RuntimeError("index_fill_(): Converting complex Scalar to non-complex type is not "
                           "supported")
    wrap_dim(dim, input.ndim)
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if not isinstance(value, Tensor):
        value = full((), value, dtype=input.dtype, device=input.device)
    return (input, value, dim, index), {}


@op(nin=2, inplace=True, signature=_index_fill_signature)
def index_fill(xp, x, value, dim, index):
    """A copy of ``x`` with the slices ``index`` along ``dim`` (negative ones count from the
    end) set to ``value``."""
    dim = wrap_dim(dim, x.ndim)
    idx = index._data.reshape(-1)
    _check_slice_bounds("index_fill", x, dim, idx, wraps=True)
    if not x.size:
        return x.copy()
    out = x.copy()
    _dim_first(xp, out, dim)[idx] = value
    return out


@index_fill.derivative
def index_fill(ctx, grad, dim, index):
    grad_x = grad.index_fill(dim, index, 0) if ctx.needs_input_grad[0] else None
    grad_value = None
    if ctx.needs_input_grad[1]:  # a slice filled twice still holds the value once
        size = ctx.shapes[0][dim] if ctx.shapes[0] else 1
        distinct = wrap(index._xp.unique(index._data.reshape(-1) % size))
        grad_value = grad.index_select(dim, distinct).sum()
    return grad_x, grad_value


# ----------------------------------------------------------------------------- take_along_dim


def _along_shapes(x_shape, idx_shape, dim: int):
    """The shapes ``x`` and the indices broadcast to (all dims but ``dim``)."""
    common = list(np.broadcast_shapes(
        tuple(1 if d == dim else s for d, s in enumerate(x_shape)),
        tuple(1 if d == dim else s for d, s in enumerate(idx_shape))))
    x_b, idx_b = list(common), list(common)
    x_b[dim], idx_b[dim] = x_shape[dim], idx_shape[dim]
    return tuple(x_b), tuple(idx_b)


@op(broadcasts=True)
def take_along_dim(xp, x, indices, dim=None):
    """The entries of ``x`` at ``indices`` along ``dim`` (broadcasting the other dims; like
    PyTorch, an index counts modulo the dim's size), or of the flattened ``x`` when ``dim``
    is None."""
    idx = _index_array("take_along_dim", indices)
    if dim is None:
        if idx.size and idx.dtype not in INT_OR_LONG:
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        idx = idx.reshape(-1)
        if not idx.size:
            return x.reshape(-1)[:0]
        check_bounds(idx, x.size, 0)
        return x.reshape(-1)[idx]
    if idx.dtype != LONG[0]:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_typename(idx)}")
    if idx.ndim != x.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{idx.ndim} dimensions for indices")
    if not x.ndim:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = wrap_dim(dim, x.ndim)
    x_b, idx_b = _along_shapes(x.shape, idx.shape, dim)
    if all(idx_b):
        if not x.shape[dim]:  # PyTorch's modulo fails the same way
            raise RuntimeError(f"ZeroDivisionError: indices taken modulo dim {dim} of size 0")
        idx = idx % x.shape[dim]
    return xp.take_along_axis(xp.broadcast_to(x, x_b), xp.broadcast_to(idx, idx_b), axis=dim)


@take_along_dim.derivative
def take_along_dim(ctx, grad, indices, dim=None):
    shape = ctx.shapes[0]
    if dim is None:
        return zeros(shape, dtype=grad.dtype, device=grad.device).put(
            indices.reshape(-1), grad, accumulate=True)
    dim = wrap_dim(dim, len(shape))
    x_b, idx_b = _along_shapes(shape, tuple(indices.shape), dim)
    if x_b[dim]:
        indices = indices % x_b[dim]
    return zeros(x_b, dtype=grad.dtype, device=grad.device).scatter_add(
        dim, indices.expand(idx_b), grad)
