"""Comparisons, tests of values (isnan...), logic and bitwise ops: elementwise, not differentiable.

Comparisons promote their operands to a common type first (an int tensor equals a float
tensor holding the same numbers) and answer with bool tensors; logical ops read any dtype
as truth values; bitwise ops work on integers and bools only, as PyTorch's do.
"""
from __future__ import annotations

from .._tensor import Tensor
from ._op import composite, op
from .pointwise import array_of, guarded, type_name


def _declare(name, forward, nin, *, promote, kinds="", aliases=(), inplace=True, doc=None):
    checked = guarded(name, forward, kinds)
    checked.__name__ = name
    checked.__doc__ = doc
    return op(nin=nin, promote=promote, broadcasts=nin == 2, elementwise=True,
              differentiable=False, inplace=inplace, aliases=aliases)(checked)


def relation(name, forward, *, kinds="", aliases=(), doc=None):
    """A comparison of two operands (tensors or numbers) that answers with a bool tensor."""
    return _declare(name, forward, 2, promote="compare", kinds=kinds, aliases=aliases, doc=doc)


def predicate(name, forward, *, kinds="", doc=None):
    """A test of each element of one tensor that answers with a bool tensor."""
    return _declare(name, forward, 1, promote=None, kinds=kinds, inplace=False, doc=doc)


# ----------------------------------------------------------------------------- comparisons

eq = relation("eq", lambda xp, a, b: xp.equal(a, b), doc="``input == other`` elementwise.")
eq.onnx("Equal")
eq.fuses(lambda a, b: f"({a} == {b})")
ne = relation("ne", lambda xp, a, b: xp.not_equal(a, b), aliases=("not_equal",),
              doc="``input != other`` elementwise.")


@ne.onnx
def ne(g, a, b):
    return g.op("Not", g.op("Equal", a, b))


ne.fuses(lambda a, b: f"({a} != {b})")
lt = relation("lt", lambda xp, a, b: xp.less(a, b), kinds="c", aliases=("less",),
              doc="``input < other`` elementwise.")


lt.onnx("Less")
lt.fuses(lambda a, b: f"({a} < {b})")
le = relation("le", lambda xp, a, b: xp.less_equal(a, b), kinds="c",
              aliases=("less_equal",), doc="``input <= other`` elementwise.")


le.onnx("LessOrEqual")
le.fuses(lambda a, b: f"({a} <= {b})")
gt = relation("gt", lambda xp, a, b: xp.greater(a, b), kinds="c", aliases=("greater",),
              doc="``input > other`` elementwise.")


gt.onnx("Greater")
gt.fuses(lambda a, b: f"({a} > {b})")
ge = relation("ge", lambda xp, a, b: xp.greater_equal(a, b), kinds="c",
              aliases=("greater_equal",), doc="``input >= other`` elementwise.")


ge.onnx("GreaterOrEqual")
ge.fuses(lambda a, b: f"({a} >= {b})")


def _same_dtype(a, b) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"{type_name(a)} did not match {type_name(b)}")


@op(nin=2, broadcasts=True, elementwise=True, differentiable=False)
def isclose(xp, input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (infinities equal themselves).

    >>> ember.isclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0 + 1e-9, 2.1]))
    tensor([ True, False])
    """
    _same_dtype(input, other)
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose(): rtol and atol must be non-negative, got rtol={rtol}, "
                           f"atol={atol}")
    return xp.isclose(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether every element of ``input`` is close to ``other`` (see :func:`ember.isclose`).

    >>> ember.allclose(ember.tensor([1.0]), ember.tensor([1.0 + 1e-9]))
    True
    """
    return bool(isclose.fn(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether two tensors have the same shape and the same values.

    >>> ember.equal(ember.tensor([1, 2]), ember.tensor([1., 2.]))
    True
    """
    for i, x in enumerate((input, other)):
        if not isinstance(x, Tensor):
            raise TypeError(f"equal(): argument '{('input', 'other')[i]}' (position {i + 1}) "
                            f"must be Tensor, not {type(x).__name__}")
    return input.shape == other.shape and bool(eq.fn(input, other)._data.all())


composite()(allclose)
composite()(equal)


# ----------------------------------------------------------------------------- value tests


def _float_test(test, otherwise=False):
    # Integers and bools are never NaN or infinite: the answer is the same for every element.
    def forward(xp, x):
        if x.dtype.kind in "fc" or x.dtype.name == "bfloat16":
            return test(xp, x)
        return xp.full(x.shape, otherwise, dtype=bool)
    return forward


isnan = predicate("isnan", _float_test(lambda xp, x: xp.isnan(x)),
                  doc="Which elements are NaN.")
isinf = predicate("isinf", _float_test(lambda xp, x: xp.isinf(x)),
                  doc="Which elements are +inf or -inf.")
isposinf = predicate("isposinf", _float_test(lambda xp, x: xp.isposinf(x)), kinds="c",
                     doc="Which elements are +inf.")
isneginf = predicate("isneginf", _float_test(lambda xp, x: xp.isneginf(x)), kinds="c",
                     doc="Which elements are -inf.")
isfinite = predicate("isfinite", _float_test(lambda xp, x: xp.isfinite(x), otherwise=True),
                     doc="Which elements are neither NaN nor infinite.")
isreal = predicate("isreal", lambda xp, x: x.imag == 0 if x.dtype.kind == "c"
                   else xp.ones(x.shape, dtype=bool),
                   doc="Which elements have no imaginary part (all of a real tensor).")


def _signbit(xp, x):
    if x.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    return xp.zeros(x.shape, dtype=bool) if x.dtype == bool else xp.signbit(x)


signbit = predicate("signbit", _signbit,
                    doc="Which elements have their sign bit set (negative numbers and -0.0).")


# ----------------------------------------------------------------------------- logic


def _logical(name, forward, doc):
    return _declare(name, forward, 2, promote=None, doc=doc)


logical_and = _logical("logical_and", lambda xp, a, b: xp.logical_and(a, b),
                       "Elementwise AND of the truth values (nonzero is True).")


@logical_and.onnx
def logical_and(g, a, b):
    return g.op("And", g.as_bool(a), g.as_bool(b))
logical_or = _logical("logical_or", lambda xp, a, b: xp.logical_or(a, b),
                      "Elementwise OR of the truth values (nonzero is True).")


@logical_or.onnx
def logical_or(g, a, b):
    return g.op("Or", g.as_bool(a), g.as_bool(b))
logical_xor = _logical("logical_xor", lambda xp, a, b: xp.logical_xor(a, b),
                       "Elementwise XOR of the truth values (nonzero is True).")
logical_not = _declare("logical_not", lambda xp, x: xp.logical_not(x), 1, promote=None,
                       doc="Elementwise NOT of the truth values (nonzero is True).")


@logical_not.onnx
def logical_not(g, x):
    return g.op("Not", g.as_bool(x))


# ----------------------------------------------------------------------------- bitwise


def _bitwise(name, forward, doc):
    return _declare(name, forward, 2, promote="common", kinds="fc", doc=doc)


bitwise_and = _bitwise("bitwise_and", lambda xp, a, b: xp.bitwise_and(a, b),
                       "Elementwise bitwise AND of integer or bool tensors.")


@bitwise_and.onnx
def bitwise_and(g, a, b):
    return g.op("And", a, b) if g.dtype(a) == bool else g.op("BitwiseAnd", a, b,
                                                               since=18)
bitwise_or = _bitwise("bitwise_or", lambda xp, a, b: xp.bitwise_or(a, b),
                      "Elementwise bitwise OR of integer or bool tensors.")


@bitwise_or.onnx
def bitwise_or(g, a, b):
    return g.op("Or", a, b) if g.dtype(a) == bool else g.op("BitwiseOr", a, b,
                                                               since=18)
bitwise_xor = _bitwise("bitwise_xor", lambda xp, a, b: xp.bitwise_xor(a, b),
                       "Elementwise bitwise XOR of integer or bool tensors.")
bitwise_not = _declare("bitwise_not", lambda xp, x: xp.invert(x), 1, promote="common",
                       kinds="fc", doc="Elementwise bitwise NOT (logical NOT for bools).")


@bitwise_not.onnx
def bitwise_not(g, x):
    return g.op("Not", x) if g.dtype(x) == bool else g.op("BitwiseNot", x, since=18)


def _shift(left: bool):
    def forward(xp, a, b):
        width = array_of(a, b).dtype.itemsize * 8
        if type(b) is int and 0 <= b < width:
            return xp.left_shift(a, b) if left else xp.right_shift(a, b)
        # Shifting by the width or more gives 0 (or the sign, to the right), as PyTorch's
        # does; NumPy leaves it to the hardware, which shifts by the amount modulo the width.
        amount = xp.minimum(b, width - 1)
        dtype = array_of(a, b).dtype
        if not left:
            shifted = xp.right_shift(a, amount)
            if dtype.kind == "u":  # no sign to repeat: all bits shifted out
                shifted = xp.where(xp.asarray(b) >= width, 0, shifted).astype(dtype)
            return shifted
        return xp.where(xp.asarray(b) >= width, 0, xp.left_shift(a, amount)).astype(dtype)
    return forward


bitwise_left_shift = _bitwise("bitwise_left_shift", _shift(left=True),
                              "``input * 2**other`` on integers: a left shift of the bits.")
bitwise_right_shift = _bitwise("bitwise_right_shift", _shift(left=False),
                               "``input // 2**other`` on integers: a right shift of the bits.")
