"""Indexing: ``x[key]``, ``x[key] = value``, and the ops that select or place elements by index.

A Python index (ints, slices, None, Ellipsis, bools, int/bool tensors, lists, arrays) is first
turned into a NumPy index with PyTorch's meaning (`prepare_key`); NumPy then does the work.
Basic indexing gives a view sharing memory with the tensor, advanced indexing a copy. Every
gradient of a selection is the matching placement into zeros (repeated indices accumulate),
and every gradient of a placement is the matching selection.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._creation import zeros, tensor as _tensor
from .._tensor import Tensor, wrap
from ..autograd.grad_mode import STATE
from ._inplace import apply_inplace, check_writable, sum_to_shape
from . import _op
from ._op import apply, op

_ndarray = np.ndarray
# dtype.name is slow; the one-letter codes of int64 (long or long long), int32, uint8, bool
_INDEX_CHARS = "".join(np.dtype(t).char for t in (np.int64, np.longlong, np.int32, np.uint8,
                                                  np.bool_))
_NO_KWARGS: dict = {}


class TwoStep:
    """An index mixing ints and index arrays: PyTorch applies the ints first (as selects),
    which NumPy would instead broadcast with the arrays; so: basic ``first``, then
    advanced ``second``."""

    __slots__ = ("first", "second")

    def __init__(self, first: tuple, second: tuple):
        self.first = first
        self.second = second


def prepare_key(x: Tensor, key):
    """The NumPy index with the meaning PyTorch gives ``key`` on ``x``, checked."""
    if type(key) is not tuple:
        key = tuple(key) if type(key) is list and _sequence_as_tuple(key) else (key,)
    items = []
    consumed = 0
    has_int = has_array = has_ellipsis = False
    for k in key:
        if type(k) is int or isinstance(k, np.integer):
            items.append(int(k))
            consumed += 1
            has_int = True
        elif type(k) is slice:
            if k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
            items.append(k)
            consumed += 1
        elif k is None or type(k) is bool:
            items.append(k)
        elif k is Ellipsis:
            if has_ellipsis:
                raise IndexError("an index can only have a single ellipsis ('...')")
            items.append(k)
            has_ellipsis = True
        else:
            a = _index_array(x, k)
            if a.ndim == 0 and a.dtype != bool:  # a 0-d integer tensor acts as an int
                if _op._TRACER:
                    _op._TRACER[0].data_dependent("indexing with a 0-d tensor")
                items.append(int(a))
                consumed += 1
                has_int = True
                continue
            items.append(a)
            consumed += a.ndim if a.dtype == bool else 1
            has_array = True
    ndim = x._data.ndim
    if consumed > ndim:
        if ndim == 0:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python "
                             "or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a "
                             "number")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if not has_array:
        return tuple(items) if has_ellipsis else (*items, Ellipsis)  # a view even when 0-d
    _check_masks(x._data.shape, items, ndim - consumed)
    if has_int:
        return _split(items)
    return tuple(items)


def _sequence_as_tuple(seq: list) -> bool:
    # PyTorch reads x[[0, slice(None)]] and x[[[0, 1], [1, 2]]] as tuples (NumPy's old rule).
    return any(isinstance(k, (Tensor, list, tuple, slice)) or k is None or k is Ellipsis
               for k in seq)


def _index_array(x: Tensor, k):
    if isinstance(k, Tensor):
        a = k._data
    elif isinstance(k, (list, tuple, _ndarray)):
        a = np.asarray(k)
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype(np.int64)
    elif isinstance(k, (float, complex)):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         f"Variables are valid indices (got {type(k).__name__})")
    else:
        raise TypeError(f"invalid index of type {type(k).__name__}")
    if a.dtype.char not in _INDEX_CHARS:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if a.dtype == np.uint8:
        a = a.astype(bool)
    if type(a) is not type(x._data):
        a = x._xp.asarray(a)
    return a


def _check_masks(shape, items, ellipsis_dims) -> None:
    dim = 0
    for i, k in enumerate(items):
        if k is Ellipsis:
            dim += ellipsis_dims
        elif k is None or type(k) is bool:
            continue
        elif hasattr(k, "dtype") and k.dtype == bool:
            if tuple(k.shape) != tuple(shape[dim:dim + k.ndim]):
                raise IndexError(f"The shape of the mask {list(k.shape)} at index {i} does not "
                                 f"match the shape of the indexed tensor {list(shape)} at index "
                                 f"{dim}")
            dim += k.ndim
        else:
            dim += 1


def _split(items) -> TwoStep:
    first, second = [], []
    for k in items:
        if type(k) is int:
            first.append(k)
        elif hasattr(k, "dtype"):
            first.extend([slice(None)] * (k.ndim if k.dtype == bool else 1))
            second.append(k)
        else:
            first.append(k)
            second.append(k if k is Ellipsis else slice(None))
    return TwoStep(tuple(first), tuple(second))


def _torch_index_error(e: IndexError) -> IndexError:
    return IndexError(str(e).replace("for axis", "for dimension"))


def _is_advanced(key) -> bool:
    return type(key) is TwoStep or any(hasattr(k, "dtype") or type(k) is bool for k in key)


# ----------------------------------------------------------------------------- x[key]


def _read(xp, x, key):
    """``x[key]`` for a key made by `prepare_key`."""
    try:
        if type(key) is TwoStep:
            return x[key.first][key.second]
        return x[key]
    except IndexError as e:
        raise _torch_index_error(e) from None


def _place_into_zeros(ctx, grad, key):
    zero = zeros(ctx.shapes[0], dtype=grad.dtype, device=grad.device)
    return apply(index_put, (zero, grad, key, True), {})


# Basic indexing (ints, slices, None, Ellipsis) is a view; advanced indexing a copy.
getitem = op(view="always", method=False, function=False, name="getitem")(_read)
index = op(method=False, function=False, name="index")(_read)
getitem.derivative(_place_into_zeros)


@getitem.onnx
def getitem(g, x, key):
    return g.basic_index(x, key)
index.derivative(_place_into_zeros)


def write_at(xp, out, values, key, accumulate: bool = False) -> None:
    """``out[key] = values`` (``+=`` with ``accumulate``, repeated indices adding up)."""
    if type(key) is TwoStep:
        if _selects_nothing(key.second):  # (PyTorch's 0-d indices broadcast with the others)
            return
        try:
            out = out[key.first]
        except IndexError as e:
            raise _torch_index_error(e) from None
        key = key.second
    try:
        if accumulate and _is_advanced(key):
            if np.ndim(values):  # NumPy's add.at pairs broadcast values wrongly: expand them
                values = xp.broadcast_to(values, out[key].shape)
            xp.add.at(out, key, values)
        elif accumulate:
            out[key] += values
        else:
            out[key] = values
    except IndexError as e:
        if _selects_nothing(key) or not out.size:  # NumPy checks indices it doesn't use
            return
        raise _torch_index_error(e) from None
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(values))} "
                           f"cannot be broadcast to indexing result of shape "
                           f"{list(out[key].shape)}") from None


def _selects_nothing(key) -> bool:
    """Whether a key's index arrays broadcast to no element at all."""
    arrays = [np.shape(k) for k in (key if isinstance(key, tuple) else (key,))
              if hasattr(k, "dtype") and k.dtype != bool]
    try:
        return bool(arrays) and not math.prod(np.broadcast_shapes(*arrays))
    except ValueError:
        return False


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _index_put_signature(input, indices, values, accumulate=False):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    if len(indices) > input.ndim:
        raise IndexError(f"index_put(): too many indices for tensor of dimension {input.ndim} "
                         f"(got {len(indices)})")
    key = prepare_key(input, tuple(slice(None) if k is None else k for k in indices))
    values_shape = values._data.shape if isinstance(values, Tensor) else ()
    if not indices and input.numel():
        raise RuntimeError("index_put(): expected at least one index tensor, got none")
    if not indices and not _broadcasts_to(values_shape, input.shape):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values_shape)} cannot "
                           f"be broadcast to indexing result of shape {list(input.shape)}")

    def check_dtype():
        if isinstance(values, Tensor) and values.dtype != input.dtype:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, "
                               f"got {input.dtype} for the destination and {values.dtype} for "
                               f"the source.")
    masked_fill = not accumulate and len(indices) == 1 and isinstance(indices[0], Tensor) and \
        indices[0].dtype == dt.bool_ and math.prod(values_shape) == 1
    if masked_fill:  # (PyTorch's masked fill takes one value of any shape and dtype)
        values = values.reshape(()) if isinstance(values, Tensor) else values
    else:
        _check_placement(input._data.shape, indices, values_shape, check_dtype)
    if accumulate:  # (the accumulating kernel checks the dtypes whatever it selects)
        check_dtype()
    return (input, values, key, accumulate), {}


def _check_placement(shape: tuple, indices, values_shape: tuple, check_dtype) -> None:
    """PyTorch's checks of ``x[indices] = values`` in its order, for index tensors only: an
    index (when they select anything) into a dim of size 0; the values' shape against the
    indexed region; then, for a non-empty region, ``check_dtype()`` and the indices' bounds
    (an empty region checks only the dtype, and nothing when a mask selects it)."""
    if not indices or not all(isinstance(k, Tensor) for k in indices):
        check_dtype()
        return  # None (a whole dim): NumPy's own checks while writing
    dims, region, d = [], [], 0
    for k in indices:
        k = k._data
        if k.dtype == bool:
            region.append((int(k.sum()),))
            d += k.ndim
        else:
            region.append(k.shape)
            dims.append((d, k))
            d += 1
    try:
        selected = np.broadcast_shapes(*region)
    except ValueError:
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together "
                         f"with shapes {', '.join(str(list(r)) for r in region)}") from None
    if math.prod(selected) and any(not shape[d] for d, k in dims):
        raise IndexError("index is out of bounds for dimension with size 0")
    region = selected + tuple(shape[d:])
    try:
        fits = np.broadcast_shapes(values_shape, region) == region
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values_shape)} cannot "
                           f"be broadcast to indexing result of shape {list(region)}")
    if not math.prod(region):
        if not any(k._data.dtype == bool and not k._data.any() for k in indices):
            check_dtype()
        return
    check_dtype()
    for d, k in dims:
        if k.size and (int(k.min()) < -shape[d] or int(k.max()) >= shape[d]):
            bad = int(k.max()) if int(k.max()) >= shape[d] else int(k.min())
            raise IndexError(f"index {bad} is out of bounds for dimension {d} with size "
                             f"{shape[d]}")


@op(nin=2, inplace=True, signature=_index_put_signature)
def index_put(xp, x, values, key, accumulate=False):
    """A copy of ``x`` with ``x[indices] = values`` (``+=`` with ``accumulate``).

    >>> ember.zeros(3).index_put((ember.tensor([0, 0]),), ember.tensor(1.), accumulate=True)
    tensor([2., 0., 0.])
    """
    out = x.copy()
    write_at(xp, out, values, key, accumulate)
    return out


index_put.inplace_forward = write_at


@index_put.derivative
def index_put(ctx, grad, key, accumulate=False):
    grad_x = grad_values = None
    if ctx.needs_input_grad[0]:
        grad_x = grad if accumulate else apply(
            index_put, (grad, zeros((), dtype=grad.dtype, device=grad.device), key), {})
    if ctx.needs_input_grad[1]:
        grad_values = sum_to_shape(read(grad, key), ctx.shapes[1])
    return grad_x, grad_values


def read(x: Tensor, key) -> Tensor:
    """``x[key]`` for a prepared key: the view op or the copying one."""
    return apply(index if _is_advanced(key) else getitem, (x, key), {})


def _getitem(self: Tensor, key) -> Tensor:
    if type(key) is int and self._data.ndim:  # the hot paths: x[i], x[a:b]
        return _view(self, (key, Ellipsis))
    if type(key) is slice and (key.step is None or type(key.step) is int and key.step > 0) \
            and self._data.ndim:
        return _view(self, (key,))
    key = prepare_key(self, key)
    return apply(index, (self, key), _NO_KWARGS) if _is_advanced(key) else _view(self, key)


def _view(self: Tensor, key) -> Tensor:
    # `apply` without its argument handling: one tensor, a key known to be basic.
    if _op._TRACER:
        return apply(getitem, (self, key), _NO_KWARGS)
    out = wrap(_read(None, self._data, key))
    _op._share_version(getitem, self, (out,))
    if self._requires_grad and STATE.grad_enabled:
        _op._record(getitem, (self,), (out,), (key,), _NO_KWARGS, None)
    return out


def _setitem(self: Tensor, key, value) -> None:
    key = prepare_key(self, key)
    if isinstance(value, Tensor) and value.dtype != self.dtype:
        value = value.to(self.dtype)
    if _op._TRACER or STATE.grad_enabled and (self._requires_grad or isinstance(
            value, Tensor) and value._requires_grad):
        if not isinstance(value, Tensor):
            value = _tensor(value, dtype=self.dtype, device=self.device)
        apply_inplace(index_put, self, (value, key), {})
        return
    # Nothing to record: write straight into the memory, as NumPy would.
    check_writable(self, self.dtype, "__setitem__")
    value = value._data if isinstance(value, Tensor) else self._xp.asarray(
        value, dtype=self._data.dtype)
    write_at(self._xp, self._data, value, key)
    self._vc[0] += 1


Tensor.__getitem__ = _getitem
Tensor.__setitem__ = _setitem


# ----------------------------------------------------------------------------- by dimension


LONG = (np.dtype(np.int64),)
INT_OR_LONG = (np.dtype(np.int64), np.dtype(np.int32))


def index_of(index, name: str, kinds=LONG, message=None, error=RuntimeError):
    """The array of an index tensor, with PyTorch's dtype check."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not "
                        f"{type(index).__name__}")
    a = index._data
    if a.dtype not in kinds:
        raise error(message or "Expected dtype int64 for index")
    return a


def check_bounds(idx, size: int, dim: int, error=RuntimeError) -> None:
    """Refuse indices outside ``[0, size)``, naming the first offending value."""
    if idx.size == 0:
        return
    low, high = int(idx.min()), int(idx.max())
    bad = high if high >= size else low if low < 0 else None
    if bad is not None:
        raise error(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


@op()
def index_select(xp, x, dim, index):
    """The entries of ``x`` at positions ``index`` (1-D) along ``dim``.

    >>> ember.tensor([[1, 2], [3, 4]]).index_select(0, ember.tensor([1, 1]))
    tensor([[3, 4],
            [3, 4]])
    """
    dim = wrap_dim(dim, x.ndim)
    if not isinstance(index, Tensor):
        raise TypeError(f"index_select(): argument 'index' must be Tensor, not "
                        f"{type(index).__name__}")
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = index_of(index, "index_select", INT_OR_LONG,
                   "index_select(): Expected dtype int32 or int64 for index").reshape(-1)
    if x.ndim == 0:
        if idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{idx.size} value(s)")
        if int(idx[0]) != 0:
            raise IndexError("index out of range in self")
        return x.copy()
    check_select_bounds(x.shape, dim, idx)
    return xp.take(x, idx, axis=dim)


def check_select_bounds(shape: tuple, dim: int, idx, what: str = "") -> None:
    """Refuse indices outside ``[0, shape[dim])`` as PyTorch's ``index_select`` does;
    ``what`` names the dim in the message (``a table of 10 rows``)."""
    size = shape[dim]
    if not idx.size or not (int(idx.min()) < 0 or int(idx.max()) >= size):
        return
    bad = int(idx.max()) if int(idx.max()) >= size else int(idx.min())
    where = f"index {bad} is out of range for {what or f'dimension {dim} of size {size}'}"
    # PyTorch's kernels word the fault differently (and its class with it): its own kernel
    # for dim 1, and the one for an empty input, raise RuntimeError.
    if len(shape) == 1 or (all(shape) and dim != 1):
        raise IndexError(f"index out of range in self ({where})")
    if not size:
        raise RuntimeError(f"index_select(): self indexing axis dim should be positive "
                           f"({where})")
    raise RuntimeError(f"index_select(): INDICES element is out of DATA bounds, id={bad} "
                       f"axis_dim={size}")


@index_select.derivative
def index_select(ctx, grad, dim, index):
    shape = ctx.shapes[0]
    zero = zeros(shape, dtype=grad.dtype, device=grad.device)
    if not shape:
        return grad.sum().reshape(())
    return zero.index_add(dim, index.reshape(-1), grad)


@index_select.onnx
def index_select(g, x, dim, index):
    if not g.rank(x):
        raise NotImplementedError("index_select of a 0-d tensor has no ONNX form")
    return g.op("Gather", x, index, axis=dim)


# ----------------------------------------------------------------------------- flat index


@op(nin=1)
def take(xp, x, index):
    """The entries of ``x`` read as 1-D at ``index`` (negative counts from the end)."""
    idx = index_of(index, "take", message=f"take(): Expected a long tensor for index, but got "
                                          f"{_legacy_name(index)}")
    _check_flat(xp, idx, x.size)
    return x.reshape(-1)[idx]


def _legacy_name(a) -> str:
    """PyTorch's name of the dtype of ``a`` (a tensor or an array) in its messages."""
    return dt.scalar_type_name(a.dtype) if hasattr(a, "dtype") else type(a).__name__


def _check_flat(xp, idx, n: int) -> None:
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         f"elements.")


@take.derivative
def take(ctx, grad, index):
    zero = zeros(ctx.shapes[0], dtype=grad.dtype, device=grad.device)
    return zero.put(index, grad, accumulate=True)


def _put_signature(input, index, source, accumulate=False):
    return (input, source, index, accumulate), {}


@op(nin=2, inplace=True, signature=_put_signature)
def put(xp, x, source, index, accumulate=False):
    """A copy of ``x`` with ``x.flatten()[index] = source.flatten()`` (``+=`` with
    ``accumulate``)."""
    idx = index_of(index, "put", message=f"put_(): Expected a long tensor for index, but got "
                                         f"{_legacy_name(index)}")
    if source.dtype != x.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_legacy_name(x)} and source.dtype = "
                           f"{_legacy_name(source)}")
    if idx.size != source.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.size}, index.numel() = "
                         f"{idx.size}")
    if idx.size and not x.size:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    _check_flat(xp, idx, x.size)
    out = x.copy()
    flat = out.reshape(-1)
    if accumulate:
        xp.add.at(flat, idx.reshape(-1), source.reshape(-1))
    else:
        flat[idx.reshape(-1)] = source.reshape(-1)
    return out


@put.derivative
def put(ctx, grad, index, accumulate=False):
    grad_x = grad_source = None
    if ctx.needs_input_grad[0]:
        grad_x = grad if accumulate else grad.put(
            index, zeros(ctx.shapes[1], dtype=grad.dtype, device=grad.device))
    if ctx.needs_input_grad[1]:
        grad_source = grad.take(index).reshape(ctx.shapes[1])
    return grad_x, grad_source


# ----------------------------------------------------------------------------- masks


def _mask_of(mask, name: str):
    if mask.dtype != np.bool_:
        raise RuntimeError(f"{name}: expected BoolTensor for mask")
    return mask


@op(nin=2, save=(1,))
def masked_select(xp, x, mask):
    """The entries of ``x`` where ``mask`` (broadcast with it) is True, as a 1-D tensor."""
    _mask_of(mask, "masked_select")
    shape = np.broadcast_shapes(x.shape, mask.shape)
    return xp.broadcast_to(x, shape)[xp.broadcast_to(mask, shape)]


@masked_select.derivative
def masked_select(ctx, grad):
    (mask,) = ctx.saved_tensors
    shape = np.broadcast_shapes(*ctx.shapes)
    zero = zeros(shape, dtype=grad.dtype, device=grad.device)
    return sum_to_shape(zero.masked_scatter(mask, grad), ctx.shapes[0]), None


@op(nin=3, save=(1,), inplace=True)
def masked_scatter(xp, x, mask, source):
    """A copy of ``x`` with the positions where ``mask`` is True filled, in order, from
    ``source``."""
    _mask_of(mask, "masked_scatter_")
    shape = np.broadcast_shapes(x.shape, mask.shape)
    mask = xp.broadcast_to(mask, shape)
    count = int(mask.sum())
    if count > source.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if source.dtype != x.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but "
                           f"got {x.dtype} and {source.dtype}")
    out = xp.array(xp.broadcast_to(x, shape), copy=True)
    out[mask] = source.reshape(-1)[:count]
    return out


@masked_scatter.derivative
def masked_scatter(ctx, grad):
    (mask,) = ctx.saved_tensors
    grad_x = grad_source = None
    if ctx.needs_input_grad[0]:
        grad_x = apply(index_put, (grad, zeros((), dtype=grad.dtype, device=grad.device),
                                   prepare_key(grad, mask.expand(grad.shape))), {})
        grad_x = sum_to_shape(grad_x, ctx.shapes[0])
    if ctx.needs_input_grad[2]:
        chosen = grad.masked_select(mask)
        n = 1
        for s in ctx.shapes[2]:
            n *= s
        padded = zeros(n, dtype=grad.dtype, device=grad.device)
        grad_source = apply(index_put, (padded, chosen, (slice(0, chosen.shape[0]),)), {})
        grad_source = grad_source.reshape(ctx.shapes[2])
    return grad_x, None, grad_source


# ----------------------------------------------------------------------------- positions


@op(differentiable=False)
def nonzero(xp, x):
    """The indices of the non-zero entries of ``x``, one row per entry (int64).

    >>> ember.tensor([[0, 1], [2, 0]]).nonzero()
    tensor([[0, 1],
            [1, 0]])
    """
    return xp.argwhere(x).astype(np.int64)


argwhere = op(differentiable=False, name="argwhere")(nonzero.forward)


def _nonzero(input: Tensor, *, as_tuple: bool = False, out=None):
    rows = apply(nonzero, (input,), {} if out is None else {"out": out})
    if not as_tuple:
        return rows
    if input.ndim == 0:  # one row (of no columns) when the scalar is non-zero
        return (zeros(rows.shape[0], dtype=rows.dtype, device=rows.device),)
    return tuple(apply(getitem, (rows, (slice(None), d)), {}).clone()
                 for d in range(input.ndim))


nonzero.fn = _nonzero  # as_tuple changes the number of outputs, which an op's cannot
nonzero.fn.__doc__ = nonzero.forward.__doc__
