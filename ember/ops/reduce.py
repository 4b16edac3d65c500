"""Reductions over dimensions: sums, means, products, extrema, logic.

A reduction takes ``dim`` (None for all dims, an int, or a tuple where PyTorch allows one)
and ``keepdim``; its derivative broadcasts the incoming gradient back over the reduced dims
(`expand_reduced`). Variance and friends live in `stats.py`; ops that select elements
(max along a dim, sort, median...) send their gradient back to the selected positions with
`value_selecting_backward`.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import _dtype as dt
from .. import return_types
from .._creation import zeros
from .._tensor import wrap
from ..autograd.grad_mode import STATE
from ._inplace import _legacy
from ._op import TABLE, Op, apply, op

# The ops below shadow the builtins sum, max, min, all and any in this module: the helpers
# must not call those builtins.


# ----------------------------------------------------------------------------- helpers

def one_dim(dim, ndim: int) -> int:
    """``dim`` as a non-negative int, checked against ``ndim`` (0-d tensors accept 0 and -1)."""
    dim = operator.index(dim)
    n = ndim or 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n


def dims_of(dim, ndim: int, name: str = ""):
    """Normalize ``dim`` (None, int or sequence) into a sorted tuple of non-negative dims.

    (``name``, the op's, is not needed: the op machinery puts it before the messages.)
    """
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, first
        return (dim % ndim,)
    if dim is None or dim == ():
        return tuple(range(ndim))
    if not isinstance(dim, (tuple, list)):
        dim = (dim,)
    out = [one_dim(d, ndim) for d in dim]
    for i, d in enumerate(out):
        if d in out[i + 1:]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else ()


def _axes(dim, ndim: int):
    """The ``axis`` argument for NumPy: None for all dims (its fastest path)."""
    return None if dim is None else dims_of(dim, ndim)


def expand_reduced(grad, shape, dim, keepdim):
    """Broadcast the gradient of a reduction back to the input's shape."""
    if not keepdim and shape:
        kept = list(shape)
        for d in dims_of(dim, len(shape)):
            kept[d] = 1
        grad = grad.reshape(kept)
    return grad.expand(shape)


def evenly_distribute(grad, x, y, dim, keepdim, nan_shares: bool = False):
    """Gradient of a reduction that picks a value (amax, median...): the elements equal to
    the result share it equally, as PyTorch's do; with ``nan_shares`` a NaN result is shared
    by the NaNs (else its gradient is NaN, as amax's is in PyTorch)."""
    shape = x.shape
    y = expand_reduced(y, shape, dim, keepdim)
    hits = x == y
    if nan_shares:
        hits = hits.logical_or(x.isnan().logical_and(y.isnan()))
    return expand_reduced(grad, shape, dim, keepdim) * hits / hits.sum(dim, keepdim=True)


def picking_whole(name: str, forward) -> Op:
    """Declare the (private) op behind ``x.max()``, ``x.median()``...: the whole tensor
    reduced to one of its elements."""
    forward.__name__ = name
    entry = op(save=(0,), save_output=True, method=False, function=False)(forward)

    @entry.derivative
    def _(ctx, grad):
        x, y = ctx.saved_tensors
        return evenly_distribute(grad, x, y, None, False, nan_shares=True)
    return entry


def value_selecting_backward(grad, indices, dim: int, shape, keepdim: bool):
    """Gradient of an op that returned ``x`` at ``indices`` along ``dim``: zeros elsewhere."""
    if not shape:
        return grad
    if not keepdim:
        grad, indices = grad.unsqueeze(dim), indices.unsqueeze(dim)
    return zeros(shape, dtype=grad.dtype, device=grad.device).scatter(dim, indices, grad)


def add_grads(*grads):
    """The sum of the gradients that are not None (an output that got no gradient)."""
    total = None
    for g in grads:
        if g is not None:
            total = g if total is None else total + g
    return total


def returning(entry: Op, result_type) -> Op:
    """Make a two-output op return PyTorch's named tuple (``.values``, ``.indices``)."""
    call = entry.fn

    def fn(*args, **kwargs):
        return result_type(*call(*args, **kwargs))
    fn.__name__ = fn.__qualname__ = entry.name
    fn.__doc__ = entry.forward.__doc__
    entry.fn = fn
    return entry


def require_float(x, dtype, name: str = "mean") -> None:
    """Refuse an integer input unless a float ``dtype`` says what to compute in, and an
    integer ``dtype`` whatever the input (mean, nanmean)."""
    if dtype is not None:
        if dt.as_dtype(dtype).category < dt._FLOAT:
            raise RuntimeError(f"{name}(): could not infer output dtype. Optional dtype must be "
                               f"either a floating point or complex dtype. Got: "
                               f"{_legacy(dt.as_dtype(dtype))}")
    elif x.dtype.kind not in "fc" and x.dtype.name != "bfloat16":
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: "
                           f"{_legacy(dt.from_numpy_dtype(x.dtype))}")


def _check_nonempty(x, axes, whole: bool, whole_error=RuntimeError) -> None:
    # Extrema have no identity: reducing an empty dimension is an error, as in PyTorch.
    if x.size:
        return
    if whole:
        raise whole_error("Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.")
    for d in axes:
        if x.shape[d] == 0:
            raise IndexError(f"Expected reduction dim {d} to have non-zero size.")


def acc_dtype(x, dtype):
    # Integer sums accumulate in int64, as PyTorch's do.
    if dtype is not None:
        return dt.as_dtype(dtype).np
    return "int64" if x.dtype.kind in "biu" else None


def readable(x, dtype):
    """``x``, read as float32 where it is bfloat16 going into an integer ``dtype``: ml_dtypes
    saturates there (-1.5 to uint8 is 0), where PyTorch truncates and wraps (255)."""
    if dtype is not None and x.dtype.name == "bfloat16" and dt.as_dtype(dtype).category == \
            dt._INT:
        return x.astype(np.float32)
    return x


# ----------------------------------------------------------------------------- sums

@op()
def sum(xp, x, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all dims by default); integers sum into int64.

    >>> ember.tensor([[1, 2], [3, 4]]).sum(1)
    tensor([3, 7])
    """
    axes = _axes(dim, x.ndim)
    if axes == (0,) and x.ndim == 2 and dtype is None and type(x) is np.ndarray \
            and x.dtype in _BLAS_FLOATS:
        y = column_sum(x)
        return y[None] if keepdim else y
    # The array's own method: NumPy's function form costs microseconds more per call.
    if dtype is not None:
        x = readable(x, dtype)
    return x.sum(axis=axes, keepdims=keepdim, dtype=acc_dtype(x, dtype))


def column_sum(x: np.ndarray) -> np.ndarray:
    """The sum over the rows of a float32/float64 matrix; a large C-ordered one as
    ``ones @ x``.

    BLAS reads the rows on every core where NumPy's sum runs on one (a bias gradient over
    700 x 10000 rows: 0.23 ms against 1.5 ms). The bias gradients of linear and recurrent
    layers call this too, so eager and graph mode sum alike, bit for bit.
    """
    if x.size >= 1 << 16 and x.flags.c_contiguous:
        return np.ones(x.shape[0], x.dtype) @ x
    return x.sum(0)


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@sum.derivative
def sum(ctx, grad, dim=None, keepdim=False, *, dtype=None):
    shape = ctx.shapes[0]
    if not STATE.grad_enabled and type(grad._data) is np.ndarray:
        # first order: the gradient written out on arrays (NumPy's broadcast_to view costs
        # more than filling a small array: the tiny ops' backward is bookkeeping)
        g = grad._data
        if not keepdim and shape and dim is not None:  # (a full sum's 0-d grad broadcasts)
            reduced = dims_of(dim, len(shape))
            g = g.reshape([1 if d in reduced else n for d, n in enumerate(shape)])
        out = np.empty(shape, g.dtype)
        out[...] = g
        return wrap(out)
    return expand_reduced(grad, shape, dim, keepdim)


@sum.onnx
def sum(g, x, dim=None, keepdim=False, *, dtype=None):
    return g.reduce("ReduceSum", g.cast_to_out(x), dim, keepdim)


@op(save=(0,))
def nansum(xp, x, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` treating NaN as zero."""
    _complex_nansum(x, dtype)
    axes = dims_of(dim, x.ndim, "nansum")
    if x.dtype.name == "bfloat16":  # NumPy's nansum doesn't know ml_dtypes' NaN
        x = readable(xp.where(xp.isnan(x), x.dtype.type(0), x), dtype)
    return xp.nansum(x, axis=axes, keepdims=keepdim, dtype=acc_dtype(x, dtype))


@nansum.derivative
def nansum(ctx, grad, dim=None, keepdim=False, *, dtype=None):
    (x,) = ctx.saved_tensors
    return expand_reduced(grad, ctx.shapes[0], dim, keepdim).masked_fill(x.isnan(), 0)


def _complex_nansum(x, dtype) -> None:
    # PyTorch's nansum kernel of floats has no complex loop (an integer input is summed, an
    # empty one runs no kernel)
    if dtype is not None and x.size and (x.dtype.kind == "f" or x.dtype.name == "bfloat16") \
            and dt.as_dtype(dtype).is_complex:
        raise NotImplementedError(f'"nansum_cpu" not implemented for '
                                  f"'{_legacy(dt.as_dtype(dtype))}'")


@op()
def mean(xp, x, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` (all dims by default); integer inputs need a float ``dtype``."""
    require_float(x, dtype)
    if dtype is not None:
        x = x.astype(dt.as_dtype(dtype).np, copy=False)
    accumulate = xp.float32 if x.dtype.itemsize == 2 else None  # float16, bfloat16
    total = x.sum(axis=_axes(dim, x.ndim), keepdims=keepdim, dtype=accumulate)
    count = reduced_count(x.shape, dim)
    # Dividing the sum is several times faster than NumPy's mean; an empty mean is NaN.
    return (total / count if count else total * xp.nan).astype(x.dtype, copy=False)


@mean.derivative
def mean(ctx, grad, dim=None, keepdim=False, *, dtype=None):
    return mean_backward(grad, ctx.shapes[0], dim, keepdim)


@mean.onnx
def mean(g, x, dim=None, keepdim=False, *, dtype=None):
    return g.reduce("ReduceMean", g.cast(x, dtype), dim, keepdim)


def reduced_count(shape, dim) -> int:
    """How many elements each result of a reduction over ``dim`` gathers."""
    count = 1
    for d in dims_of(dim, len(shape), "mean"):
        count *= shape[d]
    return count


def mean_backward(grad, shape, dim, keepdim):
    return expand_reduced(grad / reduced_count(shape, dim), shape, dim, keepdim)


@op(save=(0,))
def nanmean(xp, x, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` of the elements that are not NaN."""
    if x.dtype.kind not in "fc" and x.dtype.name != "bfloat16":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_legacy(dt.from_numpy_dtype(x.dtype))}")
    require_float(x, dtype, "nanmean")
    _complex_nansum(x, dtype)
    if dtype is not None:
        x = x.astype(dt.as_dtype(dtype).np)
    axes = dims_of(dim, x.ndim, "nanmean")
    count = xp.sum(~xp.isnan(x), axis=axes, keepdims=keepdim, dtype=x.dtype)
    with np.errstate(invalid="ignore"):  # an all-NaN slice is NaN, quietly, like torch's
        return xp.nansum(x, axis=axes, keepdims=keepdim) / count


@nanmean.derivative
def nanmean(ctx, grad, dim=None, keepdim=False, *, dtype=None):
    (x,) = ctx.saved_tensors
    present = x.isnan().logical_not()
    # Multiplying (not masking) keeps PyTorch's NaN gradient for an all-NaN slice (inf * 0).
    return expand_reduced(grad, ctx.shapes[0], dim, keepdim) / present.sum(dim, keepdim=True) \
        * present


@op(save=(0,), save_output=True)
def prod(xp, x, dim=None, keepdim=False, *, dtype=None):
    """Product over one ``dim`` (all elements by default); integers multiply in int64."""
    axis = None if dim is None else one_dim(dim, x.ndim)
    return xp.prod(readable(x, dtype), axis=axis if x.ndim else None, keepdims=keepdim,
                   dtype=acc_dtype(x, dtype))


@prod.derivative
def prod(ctx, grad, dim=None, keepdim=False, *, dtype=None):
    x, y = ctx.saved_tensors
    shape = ctx.shapes[0]
    grad, y = (expand_reduced(t, shape, dim, keepdim) for t in (grad, y))
    zero = x == 0
    if not zero.any():
        return grad * y / x
    # y / x is 0/0 at a zero. There, the gradient is the product of the other elements
    # (nonzero only when it is the slice's single zero); elsewhere y / x is y / x1 = 0.
    x1 = x.masked_fill(zero, 1)
    one_zero = zero.sum(dim, keepdim=True) == 1
    return grad * (x1.prod(dim, keepdim=True) * one_zero).where(zero, y / x1)


@prod.onnx
def prod(g, x, dim=None, keepdim=False, *, dtype=None):
    return g.reduce("ReduceProd", g.cast_to_out(x), dim, keepdim)


# ----------------------------------------------------------------------------- extrema

def _extreme(name: str, pick, arg_pick):
    """The ops of one kind of extreme: over dims (amax), of the whole tensor (``max()``),
    and along a dim with indices (``max(dim)``)."""
    def whole(xp, x, dim=(), keepdim=False):
        if not x.size and dim not in ((), None):  # an empty dim is reported before repeats
            given = dim if isinstance(dim, (tuple, list)) else (dim,)
            _check_nonempty(x, [one_dim(d, x.ndim) for d in given], False)
        axes = dims_of(dim, x.ndim)
        _check_nonempty(x, axes, dim in ((), None))
        return getattr(x, pick)(axis=axes, keepdims=keepdim)
    whole.__name__ = name
    whole.__doc__ = f"The {pick}imum over ``dim`` (all dims by default); ties share the gradient."
    whole = op(save=(0,), save_output=True)(whole)

    @whole.derivative
    def _(ctx, grad, dim=(), keepdim=False):
        x, y = ctx.saved_tensors
        return evenly_distribute(grad, x, y, dim, keepdim)

    def along(xp, x, dim, keepdim=False):
        d = one_dim(dim, x.ndim)
        if x.ndim == 0:
            return x.copy(), xp.zeros((), xp.int64)
        _check_nonempty(x, (d,), False)
        return (getattr(x, pick)(axis=d, keepdims=keepdim),
                getattr(x, arg_pick)(axis=d, keepdims=keepdim))
    along.__name__ = pick
    along.__doc__ = f"""The {pick}imum of ``input`` (no ``dim``), or ``(values, indices)`` of the
    {pick}ima along ``dim``, or, given a second tensor, the elementwise {pick}imum.

    >>> ember.tensor([[1., 5.], [7., 2.]]).{pick}(dim=1).indices
    tensor({[1, 0] if pick == "max" else [0, 1]})
    """
    along = op(n_outputs=2, differentiable_outputs=(True, False), save_output=True)(along)

    @along.derivative
    def _(ctx, grad, grad_indices, dim, keepdim=False):
        indices = ctx.saved_tensors[1]
        return value_selecting_backward(grad, indices, one_dim(dim, len(ctx.shapes[0])),
                                        ctx.shapes[0], keepdim)

    def everything(xp, x):
        _check_nonempty(x, (), True)
        return getattr(x, pick)()
    everything = picking_whole(f"_{pick}_all", everything)
    return whole, everything, whole_or_along(along, everything, getattr(return_types, pick),
                                             f"{pick}imum")


def whole_or_along(along: Op, whole: Op, result_type, elementwise: str | None = None):
    """The public function of an op like `max`: without ``dim`` it reduces the whole tensor
    (``whole``), with ``dim`` it returns ``(values, indices)`` along it (``along``), and
    given a second tensor it is the ``elementwise`` op."""
    def select(input, dim=None, keepdim=False, *, other=None, out=None):
        kwargs = {} if out is None else {"out": out}
        if elementwise and (other is not None or hasattr(dim, "_data")):
            return TABLE[elementwise].fn(input, dim if other is None else other, **kwargs)
        if dim is None:
            return apply(whole, (input,), kwargs)
        return result_type(*apply(along, (input, dim, keepdim), kwargs))
    select.__name__ = select.__qualname__ = along.name
    select.__doc__ = along.forward.__doc__
    along.fn = select
    return along


def _lower_extremes(reduced, whole, along, reduce_op: str, arg_op: str) -> None:
    """The ONNX lowerings of one family (amax, max of all, max along a dim)."""
    reduced.onnx(lambda g, x, dim=(), keepdim=False: g.reduce(reduce_op, x, dim, keepdim))
    whole.onnx(lambda g, x: g.reduce(reduce_op, x, None, False))
    along.onnx(lambda g, x, dim, keepdim=False: (g.reduce(reduce_op, x, dim, keepdim),
                                                  g.arg_extreme(arg_op, x, dim, keepdim)))


amax, _max_all, max = _extreme("amax", "max", "argmax")
amin, _min_all, min = _extreme("amin", "min", "argmin")
_lower_extremes(amax, _max_all, max, "ReduceMax", "ArgMax")
_lower_extremes(amin, _min_all, min, "ReduceMin", "ArgMin")


@op(save=(0,), save_output=True, n_outputs=2)
def aminmax(xp, x, *, dim=None, keepdim=False):
    """``(min, max)`` of ``input`` over one ``dim`` (all elements by default)."""
    axes = dims_of(dim, x.ndim, "aminmax")
    if dim is not None:
        _check_nonempty(x, axes, False)
    if 0 in [x.shape[d] for d in axes]:
        raise RuntimeError("cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    return xp.min(x, axis=axes, keepdims=keepdim), xp.max(x, axis=axes, keepdims=keepdim)


@aminmax.derivative
def aminmax(ctx, grad_min, grad_max, *, dim=None, keepdim=False):
    x, lo, hi = ctx.saved_tensors
    return add_grads(*(evenly_distribute(g, x, y, dim, keepdim)
                       for g, y in ((grad_min, lo), (grad_max, hi)) if g is not None))


returning(aminmax, return_types.aminmax)


def _arg_extreme(name: str, pick):
    def arg(xp, x, dim=None, keepdim=False):
        if dim is None:
            _check_nonempty(x, (), True, IndexError)
            flat = getattr(xp, pick)(x)
            return xp.reshape(flat, (1,) * x.ndim) if keepdim else flat
        d = one_dim(dim, x.ndim)
        if x.ndim == 0:
            return xp.zeros((), xp.int64)
        _check_nonempty(x, (d,), False)
        return getattr(x, pick)(axis=d, keepdims=keepdim)
    arg.__name__ = name
    arg.__doc__ = (f"Index of the {name[3:]}imum along ``dim`` (of the flattened input by "
                   f"default; the first one on ties).")
    return op(differentiable=False)(arg)


argmax = _arg_extreme("argmax", "argmax")


@argmax.onnx
def argmax(g, x, dim=None, keepdim=False):
    return g.arg_extreme("ArgMax", x, dim, keepdim)
argmin = _arg_extreme("argmin", "argmin")


@argmin.onnx
def argmin(g, x, dim=None, keepdim=False):
    return g.arg_extreme("ArgMin", x, dim, keepdim)


# ----------------------------------------------------------------------------- logic

def _logical(name: str, pick):
    def reduce(xp, x, dim=None, keepdim=False):
        # an empty list of dims reduces none of them here (and all of them in sum, amax)
        axes = () if dim == () or dim == [] else dims_of(dim, x.ndim, name)
        result = getattr(xp, pick)(x, axis=axes, keepdims=keepdim)
        return result.astype(xp.uint8) if x.dtype == xp.uint8 else result
    reduce.__name__ = name
    reduce.__doc__ = f"Whether {pick} elements over ``dim`` are nonzero (bool; uint8 for uint8)."
    return op(differentiable=False)(reduce)


all = _logical("all", "all")
any = _logical("any", "any")


@op(differentiable=False)
def count_nonzero(xp, x, dim=None):
    """The number of nonzero elements over ``dim`` (all dims by default), as int64."""
    return xp.sum(x != 0, axis=dims_of(dim, x.ndim, "count_nonzero"), dtype=xp.int64)
