"""Elementwise choices and roundings: where, masked_fill, clamps, maxima, relu, floor and kin.

Each of these picks between values (or snaps them to integers), so its gradient routes the
incoming gradient to whichever operand was chosen: ties and boundaries follow PyTorch's
conventions exactly, since tests compare gradients at those points too.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..autograd.grad_mode import STATE
from ..kernels import activation as _activation_kernels, select as _select_kernels
from .._tensor import Tensor, wrap
from . import _inplace
from ._op import apply, composite, op
from .pointwise import (array_of, binary, cast_all, common_types, refuse, tensors_only,
                        unary, zeros_like)

# ----------------------------------------------------------------------------- where


def _where_types(operands, arrays):
    # The condition takes no part in promotion: where(mask, int_tensor, 2.5) is float.
    return [arrays[0]] + common_types(operands[1:], arrays[1:])


@op(nin=3, promote=_where_types, save=(0,), broadcasts=True, elementwise=True, method=False,
    function=False)
def where(xp, condition, input, other):
    """Elementwise ``input if condition else other``, broadcasting all three."""
    if not hasattr(condition, "dtype"):
        raise TypeError(f"argument 'condition' must be Tensor, not {type(condition).__name__}")
    if condition.dtype != bool:
        if condition.dtype != np.uint8:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {dt.from_numpy_dtype(condition.dtype).name}")
        condition = condition.astype(bool)
    if xp is np and condition.size >= _SELECT_BY_BITS_FROM:
        return _select_by_bits(condition, input, other)
    return xp.where(condition, input, other)


_SELECT_BY_BITS_FROM = 4096  # elements; below this np.where's lower call cost wins
_SAME_SIZE_INTS = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}


def _select_by_bits(condition, input, other):
    """np.where as bit masks: ``(input & m) | (other & ~m)`` with m all ones where the
    condition holds. np.where branches per element, and on an unpredictable mask (a ReLU's
    backward) that is ten times slower than these branch-free passes; bits also carry NaN,
    inf and -0.0 through exactly, which a multiplication by the mask would not."""
    dtype = np.result_type(input, other)
    ints = _SAME_SIZE_INTS.get(dtype.itemsize) if dtype.kind in "biuf" else None
    if ints is None:
        return np.where(condition, input, other)
    mask = np.negative(condition.view(np.int8), dtype=ints)
    selected = np.bitwise_and(np.asarray(input, dtype).view(ints), mask)
    other_bits = np.asarray(other, dtype).view(ints)
    if other_bits.ndim or other_bits != 0:
        np.invert(mask, out=mask)
        selected = np.bitwise_or(selected, np.bitwise_and(other_bits, mask))
    return selected.view(dtype)


@where.derivative
def where(ctx, grad):
    (condition,) = ctx.saved_tensors
    need = ctx.needs_input_grad
    return (None, where_op(condition, grad, 0) if need[1] else None,
            where_op(condition, 0, grad) if need[2] else None)


where.onnx("Where")
where.fuses(lambda c, a, b: f"({a} if {c} else {b})")


where_op = where.fn


@composite(method=False)
def where(condition: Tensor, input=None, other=None, *, out=None):
    """``input`` where ``condition`` holds, else ``other`` (tensors or numbers, broadcasting).

    With only a condition, the indices of its nonzero elements, one tensor per dimension.

    >>> ember.where(ember.tensor([True, False]), ember.tensor([1., 2.]), 0.)
    tensor([1., 0.])
    """
    if input is None and other is None:
        data = condition._data
        if data.ndim == 0:  # one row of no columns when true: a 1-d result of 0 or 1 zeros
            return (wrap(condition._xp.zeros(int(bool(data)), dtype=np.int64)),)
        return tuple(wrap(i) for i in condition._xp.nonzero(data))
    if out is not None:
        return where_op(condition, input, other, out=out)
    return where_op(condition, input, other)


def _where_method(self: Tensor, condition: Tensor, other) -> Tensor:
    """``self`` where ``condition`` holds, else ``other``."""
    return where_op(condition, self, other)


Tensor.where = _where_method


# ----------------------------------------------------------------------------- masked_fill


def _masked_fill_types(operands, arrays):
    # The result keeps the input's dtype; the value is cast to it, the mask is left alone.
    input, mask, value = arrays
    return [input, mask] + cast_all([value], input.dtype)


@op(nin=3, promote=_masked_fill_types, save=(1,), broadcasts=True, elementwise=True,
    inplace=True)
def masked_fill(xp, input, mask, value):
    """``input`` with ``value`` (a number or 0-dim tensor) written where ``mask`` is True.

    >>> ember.zeros(3).masked_fill(ember.tensor([True, False, True]), 5.)
    tensor([5., 0., 5.])
    """
    if mask.dtype != bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{dt.from_numpy_dtype(mask.dtype).name}")
    if getattr(value, "ndim", 0):
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    if xp is np:
        if mask.ndim <= input.ndim and mask.size >= _MASK_KERNEL_FROM:
            out = _select_kernels.masked_fill(input, mask, value)
            if out is not None:
                return out
        # a copy and a masked write: two thirds of the time of `where`'s select
        out = np.empty(np.broadcast(input, mask).shape, input.dtype)
        out[...] = input
        np.copyto(out, value, where=mask)
        return out
    return xp.where(mask, value, input)


_MASK_KERNEL_FROM = 1024  # mask elements; below, the kernel's call costs more than it saves


@masked_fill.derivative
def masked_fill(ctx, grad):
    (mask,) = ctx.saved_tensors
    need = ctx.needs_input_grad
    return (grad.masked_fill(mask, 0) if need[0] else None, None,
            where_op(mask, grad, 0) if need[2] else None)


@masked_fill.onnx
def masked_fill(g, input, mask, value):
    return g.op("Where", mask, value, input)


masked_fill.fuses(lambda a, mask, value: f"({value} if {mask} else {a})")


# ----------------------------------------------------------------------------- clamps


def _relu(xp, x):
    if x.dtype.kind in "bc":  # (one test on the hot path, then the precise errors)
        if x.dtype == bool:
            raise RuntimeError("Boolean inputs not supported for relu")
        refuse("relu", "c", x)
    if xp is np:
        if x.size >= _RELU_KERNEL_FROM and x.dtype in _KERNEL_DTYPES:
            return _activation_kernels.elementwise(_activation_kernels.relu_forward, x)
        # a 0-d zero of x's dtype: NumPy converts a Python 0 anew on every call
        zero = _ZEROS.get(x.dtype)
        if zero is None:
            zero = _ZEROS[x.dtype] = np.zeros((), x.dtype)
        return np.maximum(x, zero)
    return xp.maximum(x, 0)


_ZEROS: dict = {}
# From this size one compiled pass beats NumPy's maximum (25 us on 128x512 float32, 6 us as a
# kernel: NumPy's NaN-propagating maximum doesn't vectorize) and the select of the backward.
_RELU_KERNEL_FROM = 8192
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _relu_grad(g, x, y):
    # (the gradient passes where the output isn't <= 0: a NaN output passes it, as PyTorch's)
    gd, yd = g._data, y._data
    if (not STATE.grad_enabled and type(gd) is np.ndarray and type(yd) is np.ndarray
            and gd.size >= _RELU_KERNEL_FROM and gd.dtype is yd.dtype
            and gd.dtype in _KERNEL_DTYPES and gd.shape == yd.shape):  # first order: one pass
        return wrap(_activation_kernels.elementwise(_activation_kernels.relu_backward, gd, yd))
    return where_op(y <= 0, 0, g)


relu = unary("relu", _relu, _relu_grad, saves="y", promote="common",
             doc="``max(input, 0)`` elementwise; its gradient at 0 is 0, as PyTorch's.")


@relu.onnx
def relu(g, x):
    return g.op("Relu", x) if g.dtype(x).kind == "f" else g.op("Max", x, g.scalar(0, x))


relu.fuses(lambda a: f"({a} if not {a} < 0 else {a} * 0)")  # NaN passes as in NumPy


def _clamp(xp, x, lo, hi):
    refuse("clamp", "c", x)
    return xp.clip(x, lo, hi)


@op(nin=3, promote="common", save=(0, 1, 2), broadcasts=True, elementwise=True,
    aliases=("clip",))
def clamp(xp, input, min, max):
    """``input`` limited to ``[min, max]``; either bound may be None, a number or a tensor.

    >>> ember.clamp(ember.tensor([-2., 0.5, 3.]), min=0, max=1)
    tensor([0.0000, 0.5000, 1.0000])
    """
    return _clamp(xp, input, min, max)


@clamp.derivative
def clamp(ctx, grad):
    x, lo, hi = ctx.saved_tensors
    need = ctx.needs_input_grad
    # The gradient passes where min <= x <= max, both ends included. With min > max the
    # result is max everywhere, so max takes the whole gradient, as in PyTorch.
    return (where_op((x >= lo) & (x <= hi), grad, 0) if need[0] else None,
            where_op((x < lo) & (lo < hi), grad, 0) if need[1] else None,
            where_op((x > hi) | (hi < lo), grad, 0) if need[2] else None)


@clamp.onnx
def clamp(g, input, min, max):
    if all(b is None or not g.rank(b) for b in (min, max)):
        return g.op("Clip", input, min, max)
    low = input if min is None else g.op("Max", input, min)  # tensor bounds: Clip takes
    return low if max is None else g.op("Min", low, max)     # only scalars


clamp_min = binary("clamp_min", lambda xp, x, lo: _clamp(xp, x, lo, None),
                   lambda g, x, lo, y: where_op(x >= lo, g, 0),
                   lambda g, x, lo, y: where_op(x < lo, g, 0),
                   doc="``input`` limited from below by ``min``.")


clamp_min.onnx("Max")
clamp_max = binary("clamp_max", lambda xp, x, hi: _clamp(xp, x, None, hi),
                   lambda g, x, hi, y: where_op(x <= hi, g, 0),
                   lambda g, x, hi, y: where_op(x > hi, g, 0),
                   doc="``input`` limited from above by ``max``.")


clamp_max.onnx("Min")


def _clamp_entry(min, max):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if max is None:
        return clamp_min, (min,)
    if min is None:
        return clamp_max, (max,)
    return clamp, (min, max)


def _clamp_function(input: Tensor, min=None, max=None, *, out=None) -> Tensor:
    entry, bounds = _clamp_entry(min, max)
    return apply(entry, (input,) + bounds, {} if out is None else {"out": out})


def _clamp_method_(self: Tensor, min=None, max=None) -> Tensor:
    """In-place version of :func:`ember.clamp`."""
    entry, bounds = _clamp_entry(min, max)
    return _inplace.apply_inplace(entry, self, bounds, {})


_clamp_function.__name__ = "clamp"
_clamp_function.__doc__ = clamp.fn.__doc__
clamp.fn = _clamp_function
Tensor.clamp_ = Tensor.clip_ = _clamp_method_


# ----------------------------------------------------------------------------- extrema


def _real_only(name):
    def forward(xp, a, b):
        if array_of(a, b).dtype.kind == "c":
            raise RuntimeError(f"{name} not implemented for complex tensors.")
        return getattr(xp, name)(a, b)
    return forward


def _split_ties(grad, chosen, tied):
    # maximum/minimum send half of the gradient to each side of a tie, as PyTorch does
    return where_op(tied, grad / 2, where_op(chosen, grad, 0))


maximum = binary("maximum", _real_only("maximum"),
                 lambda g, a, b, y: _split_ties(g, a > b, a == b),
                 lambda g, a, b, y: _split_ties(g, b > a, a == b),
                 promote=tensors_only("maximum"), inplace=False,
                 doc="The elementwise maximum of two tensors (NaN if either is NaN).")


maximum.onnx("Max")
maximum.fuses(lambda a, b: f"np.maximum({a}, {b})")
minimum = binary("minimum", _real_only("minimum"),
                 lambda g, a, b, y: _split_ties(g, a < b, a == b),
                 lambda g, a, b, y: _split_ties(g, b < a, a == b),
                 promote=tensors_only("minimum"), inplace=False,
                 doc="The elementwise minimum of two tensors (NaN if either is NaN).")


minimum.onnx("Min")
minimum.fuses(lambda a, b: f"np.minimum({a}, {b})")
fmax = binary("fmax", _real_only("fmax"),
              lambda g, a, b, y: where_op((a >= b) | b.isnan(), g, 0),
              lambda g, a, b, y: where_op((a >= b) | b.isnan(), 0, g),
              promote=tensors_only("fmax"), inplace=False,
              doc="The elementwise maximum, ignoring NaN where the other side is a number.")
fmin = binary("fmin", _real_only("fmin"),
              lambda g, a, b, y: where_op((a <= b) | b.isnan(), g, 0),
              lambda g, a, b, y: where_op((a <= b) | b.isnan(), 0, g),
              promote=tensors_only("fmin"), inplace=False,
              doc="The elementwise minimum, ignoring NaN where the other side is a number.")


# ----------------------------------------------------------------------------- rounding


def _integral_as_is(forward):
    # Rounding an integer tensor is the identity (and keeps its dtype), as in PyTorch.
    def rounded(xp, x):
        return x.copy() if x.dtype.kind in "iu" else forward(xp, x)
    return rounded


floor = unary("floor", _integral_as_is(lambda xp, x: xp.floor(x)), promote="common",
              refuse="bc", doc="The largest integer not greater than each element.")


@floor.onnx
def floor(g, x):
    return g.op("Floor", x) if g.dtype(x).kind == "f" else g.op("Identity", x)
ceil = unary("ceil", _integral_as_is(lambda xp, x: xp.ceil(x)), promote="common",
             refuse="bc", doc="The smallest integer not less than each element.")


@ceil.onnx
def ceil(g, x):
    return g.op("Ceil", x) if g.dtype(x).kind == "f" else g.op("Identity", x)
trunc = unary("trunc", _integral_as_is(lambda xp, x: xp.trunc(x)), promote="common",
              refuse="bc", aliases=("fix",), doc="Each element rounded toward zero.")
frac = unary("frac", lambda xp, x: x - xp.trunc(x), lambda g, x, y: g, saves="",
             promote="common", refuse="biuc", doc="The fractional part, ``x - trunc(x)``.")


def _round(xp, x, *, decimals=None):
    if x.dtype.kind in "iu":
        if decimals is not None:  # PyTorch rounds integers only without decimals
            raise NotImplementedError(f'"round" not implemented for integer tensors with '
                                      f'decimals={decimals}')
        return x.copy()
    return xp.round(x, decimals or 0)  # half to even, as PyTorch's


round = unary("round", _round, promote="common", refuse="bc",
              doc="Each element rounded to ``decimals`` places, halves to even.")


@round.onnx
def round(g, x, *, decimals=None):
    if g.dtype(x).kind != "f":
        return g.op("Identity", x)
    if not decimals:
        return g.op("Round", x)
    scale = g.scalar(10.0 ** decimals, x)
    return g.op("Div", g.op("Round", g.op("Mul", x, scale)), scale)


# ----------------------------------------------------------------------------- cleaning


def _nan_to_num(xp, x, nan=0.0, posinf=None, neginf=None):
    if x.dtype.name == "bfloat16":  # NumPy's nan_to_num doesn't know ml_dtypes' type
        largest = float(x.dtype.type(np.finfo(x.dtype).max))
        y = xp.nan_to_num(x.astype(np.float32), nan=0.0 if nan is None else nan,
                          posinf=largest if posinf is None else posinf,
                          neginf=-largest if neginf is None else neginf)
        return y.astype(x.dtype)
    if x.dtype.kind not in "fc":
        return x.copy()
    return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


nan_to_num = unary("nan_to_num", _nan_to_num,
                   lambda g, x, y, *args, **kwargs: where_op(x.isfinite(), g, 0),
                   promote="common",
                   doc="NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` "
                       "(by default 0 and the dtype's largest and smallest values).")


def _copysign_slope(g, a, b, y):
    return g * where_op(a == 0, 0, y / a)


copysign = binary("copysign", lambda xp, a, b: xp.copysign(a, b), _copysign_slope,
                  lambda g, a, b, y: zeros_like(g), saves="aby", promote="float", refuse="c",
                  doc="The magnitude of ``input`` with the sign of ``other``.")
