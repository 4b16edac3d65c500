"""Number-theoretic and floating-point bookkeeping ops: gcd, lcm, heaviside, nextafter, ldexp,
frexp, angle, isin. Most are piecewise constant, so PyTorch gives them no derivative.
"""
from __future__ import annotations

import math

from .. import _dtype as dt
from .. import return_types
from .._dtype import _FLOAT, bool_ as _bool
from .._tensor import Tensor, wrap
from .. import _signatures
from . import _refusals
from ._op import composite, op
from .pointwise import guarded, refuse, type_name, zeros_like
from .reduce import returning


def bind_inplace(fn) -> None:
    """``Tensor.<name>_`` for a composite op: the result written back into the tensor. The op
    reads a clone, so a derivative that saves its input still sees the old value."""
    checked = _refusals.refusing(fn.__name__, fn)

    def method(self, *args, **kwargs):
        return self.copy_(checked(self.clone(), *args, **kwargs))
    method.__name__ = method.__qualname__ = fn.__name__ + "_"
    method.__doc__ = f"In-place `{fn.__name__}`."
    setattr(Tensor, method.__name__, _signatures.with_signature(method.__name__, method))


def _integer_only(name, forward):
    return guarded(name, forward, "fcb")


def _same_dtype(name):
    def check(xp, a, b):
        if a.dtype != b.dtype:
            raise RuntimeError(f"{name} is not yet implemented for tensors with different "
                               f"dtypes.")
        return a, b
    return check


def _non_differentiable(name, forward, doc, promote="common"):
    forward.__name__, forward.__doc__ = name, doc
    return op(nin=2, promote=promote, broadcasts=True, elementwise=True, differentiable=False,
              inplace=True)(forward)


gcd = _non_differentiable("gcd", _integer_only("gcd", lambda xp, a, b: xp.gcd(a, b)), """The
    greatest common divisor of ``input`` and ``other``, elementwise and broadcasting; always
    non-negative, and ``gcd(0, 0) = 0``. Integer dtypes only (others raise
    NotImplementedError).

    >>> ember.gcd(ember.tensor([12, 18, -4]), ember.tensor([8, 27, 0]))
    tensor([4, 9, 4])
    """)
lcm = _non_differentiable("lcm", _integer_only("lcm", lambda xp, a, b: xp.lcm(a, b)), """The
    least common multiple of ``input`` and ``other``, elementwise and broadcasting; always
    non-negative, 0 when either is 0. Integer dtypes only (others raise NotImplementedError).

    >>> ember.lcm(ember.tensor([4, 6, 5]), ember.tensor([6, 4, 0]))
    tensor([12, 12,  0])
    """)


def _heaviside(xp, input, values):
    """The unit step of ``input``: 0 below zero, 1 above, and ``values`` (a tensor of the
    same dtype, broadcasting) where ``input`` is 0; NaN stays NaN. No gradient; complex
    input raises.

    >>> ember.heaviside(ember.tensor([-1.5, 0.0, 2.0]), ember.tensor([0.5]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    if not isinstance(values, type(input)):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    _same_dtype("heaviside")(xp, input, values)
    refuse("heaviside", "c", input)
    # PyTorch's kernel: values at 0, else whether the input is positive (0 for NaN)
    return xp.where(input == 0, values, input > 0).astype(input.dtype)


heaviside = op(name="heaviside", nin=2, promote=None, broadcasts=True, elementwise=True, differentiable=False,
               inplace=True)(_heaviside)


def _nextafter(xp, a, b):
    refuse("nextafter", "biuc", a, b)
    return xp.nextafter(a, b)


nextafter = _non_differentiable("nextafter", _nextafter, """The next floating-point number
    after ``input`` in the direction of ``other``, elementwise and broadcasting (``input``
    itself where they are equal). Floating dtypes only; no gradient.

    >>> ember.nextafter(ember.tensor([1.0]), ember.tensor([2.0])) - 1  # float32's epsilon
    tensor([1.1921e-07])
    """)


@op(n_outputs=2, differentiable_outputs=(True, False), stash=True)
def frexp(xp, x):
    """Split ``input`` into a mantissa in (-1, 1) and an int32 power of two:
    ``input = mantissa * 2 ** exponent``."""
    if x.dtype.kind != "f":
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes, got "
                           f"{type_name(x)}")
    mantissa, exponent = xp.frexp(x)
    exponent = exponent.astype("int32")
    return (mantissa, exponent), exponent


@frexp.derivative
def frexp(ctx, grad_mantissa, grad_exponent):
    exponent = wrap(ctx.stash)
    return grad_mantissa * (-exponent.to(grad_mantissa.dtype)).exp2()


returning(frexp, return_types.frexp)


@composite()
def ldexp(input, other):
    """``input * 2 ** other``."""
    if isinstance(other, Tensor) and other.dtype is _bool and isinstance(input, Tensor) and \
            input.is_floating_point():
        raise NotImplementedError("\"ldexp_cpu_exp\" not implemented for 'Bool'")
    if isinstance(other, Tensor) and other.dtype.category < _FLOAT:
        # integer exponents count in the result's precision (an int64 `other` with a float64
        # 0-d `input` gives float64, as PyTorch's promotion says)
        target = dt.result_dtype([input, other])
        target = dt.get_default_dtype() if target.category < _FLOAT else target
        other = other.to(target.to_real())
    return input * (other.exp2() if isinstance(other, Tensor) else 2.0 ** other)


bind_inplace(ldexp)


def _angle(xp, x):
    """The argument (phase) of each element in radians, in (-pi, pi]: for real input, pi
    for negative numbers, 0 otherwise (NaN stays NaN). Integer input gives the default float
    dtype; for real input the gradient is zero.

    >>> ember.angle(ember.tensor([1 + 1j, -2 + 0j]))
    tensor([0.7854, 3.1416])
    """
    if x.dtype.kind == "c":
        return xp.angle(x)
    return xp.where(x < 0, math.pi, xp.where(x != x, x, 0)).astype(x.dtype)


def _angle_grad(g, x, y):
    if not x.is_complex():
        return zeros_like(g)
    return g * (x * 1j) / (x.abs() ** 2)


angle = op(name="angle", promote="float", save=(0,), elementwise=True)(_angle)
angle.derivative(lambda ctx, grad: _angle_grad(grad, ctx.saved_tensors[0], None))


def _isin(xp, elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` occurs in ``test_elements``."""
    return xp.isin(elements, test_elements, assume_unique=assume_unique, invert=invert)


isin = op(name="isin", nin=2, promote="compare", differentiable=False, method=False)(_isin)


@composite(method=False)
def unravel_index(indices: Tensor, shape) -> tuple:
    """The coordinates, in a tensor of ``shape``, of each flat index in ``indices``.

    >>> ember.unravel_index(ember.tensor([5]), (2, 3))
    (tensor([1]), tensor([2]))
    """
    if indices.is_floating_point() or indices.is_complex() or indices.dtype.name == "bool":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    sizes = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in sizes):
        raise ValueError(f"'shape' cannot have negative values, but got {sizes}")
    coordinates = []
    indices = indices.long()  # PyTorch answers in int64 whatever the indices' type
    if not indices.numel():  # no index to divide: a size of 0 is no fault
        return tuple(indices.clone() for _ in sizes)
    for size in reversed(sizes):
        coordinates.append(indices.remainder(size))
        indices = indices.div(size, rounding_mode="floor")
    return tuple(reversed(coordinates))
