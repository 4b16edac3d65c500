"""Elementwise arithmetic: sums, products, quotients, powers, and the helpers elementwise ops share.

Binary ops broadcast; their gradients are summed back to each input's shape by the op
machinery (``broadcasts=True``), so each derivative below is the plain calculus. Complex
gradients follow PyTorch's convention: the incoming gradient times the conjugate slope.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor
from ._op import common_kind, op

# PyTorch computes log(0) = -inf and 1/0 = inf without a word; NumPy would warn on each such
# call, and a per-call `errstate` costs four times a small op.
np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")

def type_name(array) -> str:
    """PyTorch's name for an array's element type ('Float', 'Long'...), for error messages."""
    return dt.scalar_type_name(array.dtype)


def array_of(*operands):
    """The first operand that is an array (the others may be Python numbers)."""
    for a in operands:
        if hasattr(a, "dtype") and hasattr(a, "shape"):
            return a
    return operands[0]


def refuse(name: str, kinds: str, *operands) -> None:
    """Raise PyTorch's NotImplementedError when the operands' type kind is one of ``kinds``."""
    a = array_of(*operands)
    if a.dtype.kind in kinds:
        raise NotImplementedError(f'"{name}" not implemented for \'{type_name(a)}\'')


def guarded(name, forward, kinds):
    """``forward`` preceded by a dtype check that refuses the element kinds in ``kinds``."""
    if not kinds:
        return forward

    def checked(xp, *arrays, **kwargs):
        refuse(name, kinds, *arrays)
        return forward(xp, *arrays, **kwargs)
    return checked


def conjugate(t):
    """The complex conjugate of a complex tensor; anything else passes through."""
    if type(t) is Tensor:
        return t.conj() if t._data.dtype.kind == "c" else t
    return t.conjugate() if type(t) is complex else t  # a constant: ``z * 1j``


def zeros_like(t):
    from .._creation import zeros_like as make
    return make(t)


def unary(name, forward, derivative=None, *, saves="x", promote="float", refuse="",
          inplace=True, aliases=(), method=True, function=True, doc=None):
    """Declare a one-input elementwise op from ``forward(xp, x)`` and ``derivative(grad, x, y)``.

    ``saves`` says which of the input ``x`` and the output ``y`` the derivative reads, so
    the graph keeps only those; ``refuse`` lists NumPy dtype kinds PyTorch rejects. With no
    derivative the op is piecewise constant: its gradient is zero. The op's own keyword
    arguments reach the derivative after ``y``.
    """
    checked = guarded(name, forward, refuse)
    checked.__name__ = name
    checked.__doc__ = doc
    entry = op(promote=promote, save=(0,) if "x" in saves else (),
               save_output="y" in saves, elementwise=True, inplace=inplace, aliases=aliases,
               method=method, function=function)(checked)

    @entry.derivative
    def _(ctx, grad, *args, **kwargs):
        if derivative is None:
            return zeros_like(grad)
        saved = ctx.saved_tensors
        x = saved[0] if "x" in saves else None
        y = saved[-1] if "y" in saves else None
        return derivative(grad, x, y, *args, **kwargs)
    return entry


def binary(name, forward, da, db, *, saves="ab", promote="common", refuse="", inplace=True,
           aliases=(), method=True, function=True, doc=None):
    """Declare a broadcasting two-input op from ``forward(xp, a, b)`` and the gradient formulas
    ``da(grad, a, b, y)`` and ``db(grad, a, b, y)``; each runs only when its input needs it.
    """
    checked = guarded(name, forward, refuse)
    checked.__name__ = name
    checked.__doc__ = doc
    save = tuple(i for i, s in enumerate("ab") if s in saves)
    entry = op(nin=2, promote=promote, save=save, save_output="y" in saves, broadcasts=True,
               elementwise=True, inplace=inplace, aliases=aliases, method=method,
               function=function)(checked)

    # where a, b and y sit among the saved values (None: not saved)
    at = {s: i for i, s in enumerate(s for s in "aby" if s in saves)}
    ia, ib, iy = at.get("a"), at.get("b"), at.get("y")

    @entry.derivative
    def _(ctx, grad):
        saved = ctx.saved_tensors
        a = None if ia is None else saved[ia]
        b = None if ib is None else saved[ib]
        y = None if iy is None else saved[iy]
        (a_edge, _), (b_edge, _) = ctx.next_functions
        return (None if a_edge is None else da(grad, a, b, y),
                None if b_edge is None else db(grad, a, b, y))
    return entry


def cast_all(arrays, target: np.dtype) -> list:
    """``arrays`` (and numbers among them) as ``target``: the end of a custom promotion."""
    return [a if getattr(a, "dtype", None) == target else
            a.astype(target) if hasattr(a, "dtype") else target.type(a) for a in arrays]


def tensors_only(name: str, to_float: bool = False):
    """The promotion of a binary op that, like PyTorch's, takes no Python numbers."""
    def promote(operands, arrays):
        for i, x in enumerate(operands):
            if not isinstance(x, Tensor):
                raise TypeError(f"{name}(): argument '{('input', 'other')[i]}' (position "
                                f"{i + 1}) must be Tensor, not {type(x).__name__}")
        if not to_float:
            return common_types(operands, arrays)
        target = dt.result_dtype(operands)
        if target.category < dt._FLOAT:
            target = dt.get_default_dtype()
        return cast_all(arrays, target.np)
    return promote


def _reject_float_alpha(a, b, alpha) -> None:
    if type(alpha) is bool:
        if array_of(a, b).dtype.kind != "b":
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
        return
    if type(alpha) not in (float, complex):
        return
    kind = array_of(a, b).dtype.kind
    if kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if type(alpha) is complex and kind != "c":
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a "
                           "complex number.")


def common_types(operands, arrays):
    """PyTorch's usual promotion, as a function for custom promotions to end with."""
    if common_kind(arrays) is not None:
        return arrays
    return cast_all(arrays, dt.result_dtype(operands).np)


def _subtraction_types(name):
    def promote(operands, arrays):
        bools = [a for a in arrays if getattr(a, "dtype", None) == bool or type(a) is bool]
        if len(bools) == 2:
            raise RuntimeError(f"{name}(): Subtraction, the `-` operator, with two bool "
                               "tensors is not supported. Use the `^` or `logical_xor()` "
                               "operator instead.")
        if bools:
            raise RuntimeError(f"{name}(): Subtraction, the `-` operator, with a bool tensor "
                               "is not supported. If you are trying to invert a mask, use the "
                               "`~` or `logical_not()` operator instead.")
        return common_types(operands, arrays)
    return promote


def _scaled(xp, x, alpha, like=None):
    """``alpha * x``; a Python number stays one (a NumPy scalar would promote the result),
    cast as PyTorch casts it to the type of the array ``like``."""
    if not hasattr(x, "dtype"):
        return in_type(x * alpha, like.dtype) if hasattr(like, "dtype") else x * alpha
    return xp.multiply(x, in_type(alpha, x.dtype))


def in_type(number, dtype):
    """A Python int as PyTorch casts it to an integer ``dtype``: wrapped (-1 is 255 for
    uint8), where NumPy would refuse it; to bool, whether it is nonzero."""
    if type(number) in (int, bool) and dtype.kind == "b":
        return bool(number)
    if type(number) is int and dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= number <= info.max:
            return np.array(number).astype(dtype)[()]
    return number


def _reject_integer_zero(name, a, b) -> None:
    # NumPy quietly answers 0 for an integer division by zero; PyTorch raises (when there is
    # an element to divide).
    if (hasattr(b, "dtype") and b.dtype.kind in "iu" and not b.all() or
            type(b) is int and b == 0 and array_of(a, b).dtype.kind in "biu") and \
            np.size(a) and np.size(b):
        raise RuntimeError("ZeroDivisionError")


# ----------------------------------------------------------------------------- sums


@op(nin=2, promote="common", broadcasts=True, elementwise=True, inplace=True)
def add(xp, input, other, *, alpha=1):
    """``input + alpha * other``, broadcasting.

    >>> ember.add(ember.tensor([1., 2.]), 10, alpha=2)
    tensor([21., 22.])
    """
    if alpha == 1 and alpha is not True:
        return xp.add(input, other)
    _reject_float_alpha(input, other, alpha)
    return xp.add(input, _scaled(xp, other, alpha, input))


@add.derivative
def add(ctx, grad, *, alpha=1):
    return grad, (grad if alpha == 1 else grad * alpha)


@add.onnx
def add(g, input, other, *, alpha=1):
    return g.op("Add", input, other if alpha == 1 else g.op("Mul", other, g.scalar(alpha, other)))


add.fuses(lambda a, b, alpha=1: f"({a} + {b})" if alpha == 1 else f"({a} + {alpha!r} * {b})")


@op(nin=2, promote=_subtraction_types("sub"), broadcasts=True, elementwise=True,
    inplace=True,
    aliases=("subtract",))
def sub(xp, input, other, alpha=1):  # alpha by position: subtract(x, 2, 3)
    """``input - alpha * other``, broadcasting."""
    if alpha == 1 and alpha is not True:
        return xp.subtract(input, other)
    _reject_float_alpha(input, other, alpha)
    return xp.subtract(input, _scaled(xp, other, alpha, input))


@sub.derivative
def sub(ctx, grad, alpha=1):
    return grad, -grad if alpha == 1 else grad * -alpha


@sub.onnx
def sub(g, input, other, alpha=1):
    return g.op("Sub", input, other if alpha == 1 else g.op("Mul", other, g.scalar(alpha, other)))


sub.fuses(lambda a, b, alpha=1: f"({a} - {b})" if alpha == 1 else f"({a} - {alpha!r} * {b})")


@op(nin=2, promote=_subtraction_types("rsub"), broadcasts=True, elementwise=True,
    method=False)
def rsub(xp, input, other, alpha=1):
    """``other - alpha * input`` (subtraction with the operands swapped)."""
    if alpha != 1 or alpha is True:
        _reject_float_alpha(input, other, alpha)
        input = _scaled(xp, input, alpha, other)
    return xp.subtract(other, input)


@rsub.derivative
def rsub(ctx, grad, alpha=1):
    return (-grad if alpha == 1 else grad * -alpha), grad


@rsub.onnx
def rsub(g, input, other, alpha=1):
    return g.op("Sub", other, input if alpha == 1 else g.op("Mul", input, g.scalar(alpha, input)))


@op(promote="common", elementwise=True, inplace=True, aliases=("negative",))
def neg(xp, input):
    """``-input``, elementwise; ``negative`` is another name for it. A bool tensor raises
    RuntimeError (invert a mask with ``~`` or `logical_not`).

    >>> ember.neg(ember.tensor([1.5, -2.0, 0.0]))
    tensor([-1.5000,  2.0000, -0.0000])
    """
    if input.dtype == bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return xp.negative(input)


@neg.derivative
def neg(ctx, grad):
    return -grad


neg.onnx("Neg")
neg.fuses(lambda a: f"(-{a})")


# ----------------------------------------------------------------------------- products


mul = binary("mul", lambda xp, a, b: xp.multiply(a, b),
             lambda g, a, b, y: g * conjugate(b), lambda g, a, b, y: g * conjugate(a),
             aliases=("multiply",), doc="""``input * other``, broadcasting.

    >>> ember.mul(ember.tensor([1., 2.]), 3)
    tensor([3., 6.])
    """)


mul.onnx("Mul")
mul.fuses(lambda a, b: f"({a} * {b})")


def _true_divide(xp, a, b):
    if array_of(a, b).dtype.kind in "biu":  # integers divide into the default float type
        return xp.true_divide(a, b, dtype=dt.get_default_dtype().np)
    return xp.true_divide(a, b)


@op(nin=2, promote="divide", save=(0, 1), broadcasts=True, elementwise=True, inplace=True,
    aliases=("divide", "true_divide"))
def div(xp, input, other, *, rounding_mode=None):
    """``input / other``; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient.

    >>> ember.div(ember.tensor([7, -7]), 2, rounding_mode="floor")
    tensor([ 3, -4])
    """
    if rounding_mode is not None:
        refuse(f"div_{rounding_mode}", "bc", input, other)
    if rounding_mode is None:
        return _true_divide(xp, input, other)
    if rounding_mode == "floor":
        return _floor_divide(xp, input, other)
    if rounding_mode == "trunc":
        _reject_integer_zero("div", input, other)
        if array_of(input, other).dtype.kind in "biu":
            q = xp.floor_divide(input, other)
            # floor and trunc differ where the exact quotient is negative and inexact
            return q + ((q < 0) & (q * other != input))
        return xp.trunc(xp.true_divide(input, other))
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


div.fuses(lambda a, b, rounding_mode=None: None if rounding_mode else f"({a} / {b})")


@div.derivative
def div(ctx, grad, *, rounding_mode=None):
    a, b = ctx.saved_tensors
    if rounding_mode is not None:
        return zeros_like(grad), zeros_like(grad)
    need = ctx.needs_input_grad
    return (grad / conjugate(b) if need[0] else None,
            -grad * conjugate(a / (b * b)) if need[1] else None)


@div.onnx
def div(g, input, other, *, rounding_mode=None):
    out = g.out_dtype()
    if out.kind == "f":  # integers divide into floats: cast first, as the forward does
        input, other = (g.op("Cast", x, to=g.onnx.helper.np_dtype_to_tensor_dtype(out))
                        if g.dtype(x) != out else x for x in (input, other))
    quotient = g.op("Div", input, other)
    if rounding_mode is None or out.kind != "f":
        if rounding_mode == "floor" and out.kind != "f":
            raise NotImplementedError("div: integer floor division has no ONNX form")
        return quotient  # ONNX's integer Div truncates, as rounding_mode="trunc" does
    if rounding_mode == "floor":
        return g.op("Floor", quotient)
    return g.op("Mul", g.op("Sign", quotient), g.op("Floor", g.op("Abs", quotient)))


def _floor_divide(xp, a, b):
    _reject_integer_zero("floor_divide", a, b)
    return xp.floor_divide(a, b)


def _no_derivative(g, a, b, y):
    raise RuntimeError("derivative for floor_divide is not implemented")


floor_divide = binary("floor_divide", _floor_divide, _no_derivative, _no_derivative, saves="",
                      refuse="bc",
                      doc="``input // other``: the quotient rounded down, as Python's ``//``.")


def _remainder(xp, a, b):
    _reject_integer_zero("remainder", a, b)
    return xp.remainder(a, b)


def _fmod(xp, a, b):
    _reject_integer_zero("fmod", a, b)
    return xp.fmod(a, b)


remainder = binary("remainder", _remainder, lambda g, a, b, y: g,
                   lambda g, a, b, y: -g * a.div(b, rounding_mode="floor"), refuse="bc",
                   doc="Python's ``input % other``: the remainder takes the divisor's sign.")
fmod = binary("fmod", _fmod, lambda g, a, b, y: g,
              lambda g, a, b, y: -g * a.div(b, rounding_mode="trunc"), refuse="bc",
              doc="C's ``fmod``: the remainder takes the dividend's sign.")


@op(nin=3, promote="common", save=(1, 2), broadcasts=True, elementwise=True, inplace=True)
def addcmul(xp, input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``, broadcasting."""
    product = xp.multiply(tensor1, tensor2)
    if type(value) is float and array_of(input, product).dtype.kind in "biu":
        value = int(value)  # PyTorch casts the scale to the integer type
    value = in_type(value, array_of(input, product).dtype)
    return xp.add(input, product if value == 1 else xp.multiply(product, value))


@addcmul.derivative
def addcmul(ctx, grad, *, value=1):
    t1, t2 = ctx.saved_tensors
    need = ctx.needs_input_grad
    scaled = grad if value == 1 else grad * value
    return (grad, scaled * conjugate(t2) if need[1] else None,
            scaled * conjugate(t1) if need[2] else None)


def _addcdiv_types(operands, arrays):
    # PyTorch refuses tensor1 and tensor2 both integral by their own types, before promoting
    if all(getattr(t, "dtype", dt.float32).category <= 1 for t in operands[1:]):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 "
                           "and tensor2. Use addcmul(input, tensor1, 1 / tensor2) instead.")
    return cast_all(arrays, dt.result_dtype(operands).np)


@op(nin=3, promote=_addcdiv_types, save=(1, 2), broadcasts=True, elementwise=True,
    inplace=True)
def addcdiv(xp, input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``, broadcasting; integer tensors are refused."""
    quotient = xp.true_divide(tensor1, tensor2)
    return xp.add(input, quotient if value == 1 else xp.multiply(quotient, value))


@addcdiv.derivative
def addcdiv(ctx, grad, *, value=1):
    t1, t2 = ctx.saved_tensors
    need = ctx.needs_input_grad
    scaled = grad if value == 1 else grad * value
    return (grad, scaled / conjugate(t2) if need[1] else None,
            -scaled * conjugate(t1 / (t2 * t2)) if need[2] else None)


def _lerp_types(operands, arrays):
    # A tensor end or weight must have the input's type (a 0-d weight may differ, and then
    # takes part in the promotion; a number weight doesn't: lerp of int tensors is refused)
    first = operands[0].dtype if isinstance(operands[0], Tensor) else None
    for name, t in (("end", operands[1]), ("weight", operands[2])):  # (a 0-d weight may)
        if first is not None and isinstance(t, Tensor) and t.dtype != first and \
                (name == "end" or t.ndim):
            expected = first.name.replace("float32", "float")
            raise RuntimeError(f"lerp(): expected dtype {expected} for `{name}` but got dtype "
                               f"{t.dtype.name}")
    promoting = operands if isinstance(operands[2], Tensor) else operands[:2]
    return cast_all(arrays, dt.result_dtype(promoting).np)


@op(nin=3, promote=_lerp_types, save=(0, 1, 2), broadcasts=True, elementwise=True,
    inplace=True)
def lerp(xp, input, end, weight):
    """``input + weight * (end - input)``: linear interpolation, ``weight`` a number or tensor."""
    refuse("lerp", "biu", input, end)
    # PyTorch's two-sided formula: exact at both ends, and its infinities where they differ
    diff = xp.subtract(end, input)
    from_input = xp.add(input, xp.multiply(weight, diff))
    from_end = xp.subtract(end, xp.multiply(diff, xp.subtract(1, weight)))
    if not hasattr(weight, "dtype"):
        return from_input if builtins.abs(weight) < 0.5 else from_end
    return xp.where(xp.abs(weight) < 0.5, from_input, from_end).astype(
        array_of(input, end).dtype, copy=False)


@lerp.derivative
def lerp(ctx, grad):
    a, b, w = ctx.saved_tensors
    need = ctx.needs_input_grad
    return (grad * conjugate(1 - w) if need[0] else None,
            grad * conjugate(w) if need[1] else None,
            grad * conjugate(b - a) if need[2] else None)


@lerp.onnx
def lerp(g, input, end, weight):
    return g.op("Add", input, g.op("Mul", weight, g.op("Sub", end, input)))


square = unary("square", lambda xp, x: xp.square(x if x.dtype != bool else x.astype(np.int64)),
               lambda g, x, y: g * conjugate(2 * x), promote="common",
               doc="""``input * input``, elementwise, in ``input``'s dtype (bool gives int64).

    >>> ember.square(ember.tensor([2, -3]))
    tensor([4, 9])
    """)
square.fuses(lambda a: f"({a} * {a})")
reciprocal = unary("reciprocal", lambda xp, x: xp.reciprocal(x),
                   lambda g, x, y: -g * conjugate(y * y), saves="y",
                   doc="""``1 / input``, elementwise; integer and bool inputs give the default
    float dtype, and 0 gives ``inf``.

    >>> ember.reciprocal(ember.tensor([2, 4]))
    tensor([0.5000, 0.2500])
    """)


reciprocal.onnx("Reciprocal")


# ----------------------------------------------------------------------------- powers


def _pow(xp, a, b):
    if array_of(a, b).dtype.kind not in "biu":
        return xp.power(a, b)
    if array_of(a, b).dtype == bool:
        if hasattr(b, "dtype"):
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        return a | (not b)  # a bool tensor to a bool power: x**True is x, x**False is 1
    if not hasattr(a, "dtype"):
        # a number to integer powers: 2 ** -1 truncates to 0 as PyTorch's does, and so
        # does 0 ** -1
        with np.errstate(divide="ignore"):
            r = xp.power(float(a), b)
        return xp.where(xp.isinf(r), 0, xp.trunc(r)).astype(b.dtype)
    if type(b) is int and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if hasattr(b, "dtype") and b.dtype.kind in "iu" and (b < 0).any():
        # Tensor exponents may be negative: 1/a**|b| truncated, as PyTorch computes it
        negative = b < 0
        reciprocal = xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (b % 2), 0))
        return xp.where(negative, reciprocal, xp.power(a, xp.where(negative, 0, b))
                        ).astype(xp.result_type(a, b))
    return xp.power(a, b)


def _pow_base_grad(grad, a, b, y):
    if type(b) is not Tensor:
        return zeros_like(grad) if b == 0 else grad * conjugate(b * a ** (b - 1))
    # d/da a**b is b*a**(b-1); PyTorch defines it as 0 where b == 0, even at a == 0
    return (grad * conjugate(b * a ** (b - 1))).masked_fill(b == 0, 0)


def _pow_exponent_grad(grad, a, b, y):
    if type(a) is not Tensor:
        from .._creation import tensor
        a = tensor(a, dtype=y.dtype)
    # d/db a**b is a**b * log(a); taken as 0 at a == 0 for b >= 0, where it has a limit
    slope = (y * a.log()).masked_fill((a == 0) & (b >= 0), 0)
    return grad * conjugate(slope)


pow = binary("pow", _pow, _pow_base_grad, _pow_exponent_grad, saves="aby",
             doc="""``input ** exponent``, broadcasting; either side may be a number.

    >>> ember.pow(ember.tensor([2., 3.]), 2)
    tensor([4., 9.])
    """)


pow.onnx("Pow")


def _float_power_types(operands, arrays):
    wide = np.complex128 if any(getattr(a, "dtype", None) is not None and a.dtype.kind == "c"
                                or isinstance(a, complex) for a in arrays) else np.float64
    return [a.astype(wide) if hasattr(a, "dtype") else a for a in arrays]


float_power = binary("float_power", lambda xp, a, b: xp.power(a, b), _pow_base_grad,
                     _pow_exponent_grad, saves="aby", promote=_float_power_types,
                     doc="``input ** exponent`` computed in double precision.")


# ----------------------------------------------------------------------------- signs


@op(promote="common", save=(0,), elementwise=True, inplace=True, aliases=("absolute",))
def abs(xp, input):
    """``|input|``; for complex numbers, the modulus."""
    refuse("abs", "b", input)
    return xp.abs(input)


@abs.derivative
def abs(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * x.sgn()


abs.onnx("Abs")
abs.fuses(lambda a: f"abs({a})")


def _sign(xp, x):
    if x.dtype.kind == "c":
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex "
                                  "numbers. Please use torch.sgn instead.")
    if x.dtype.kind in "biu":
        return x.copy() if x.dtype == bool else xp.sign(x)
    if x.dtype.name == "bfloat16":  # (NumPy's nan_to_num doesn't know ml_dtypes' type)
        return xp.where(xp.isnan(x), x.dtype.type(0), xp.sign(x))
    return xp.nan_to_num(xp.sign(x), nan=0)  # PyTorch's sign of NaN is 0, NumPy's NaN


def _sgn(xp, x):
    if x.dtype.kind != "c":
        return _sign(xp, x)
    modulus = xp.abs(x)
    return xp.where(modulus == 0, 0, x / xp.where(modulus == 0, 1, modulus)).astype(x.dtype)


def _sgn_grad(grad, x, y):
    if not x.is_complex():
        return zeros_like(grad)
    # sgn(z) = z/|z|: the tangential part of grad, divided by |z| (0 at z == 0)
    modulus = x.abs()
    tangential = grad - (grad * y.conj()).real * y
    return (tangential / modulus).masked_fill(modulus == 0, 0)


sign = unary("sign", _sign, promote="common", doc="""-1, 0 or 1 as each element is negative,
    zero or positive, in ``input``'s dtype (a bool tensor is returned as is). Complex input
    raises NotImplementedError: use `sgn`. Its gradient is zero.

    >>> ember.sign(ember.tensor([-2.5, 0.0, 3.0]))
    tensor([-1.,  0.,  1.])
    """)
sign.onnx("Sign")
sgn = unary("sgn", _sgn, _sgn_grad, saves="xy", promote="common", doc="""The sign extended to
    complex numbers: ``input / |input|`` (0 where ``input`` is 0), the same as `sign` for
    real input.

    >>> ember.sgn(ember.tensor([3 + 4j, 0j]))
    tensor([0.6000+0.8000j, 0.0000+0.0000j])
    """)


# ----------------------------------------------------------------------------- complex parts


@op(view="maybe", elementwise=True)
def conj(xp, input):
    """The complex conjugate; a real tensor is returned as it is."""
    return xp.conj(input) if input.dtype.kind == "c" else input


@conj.derivative
def conj(ctx, grad):
    return grad.conj()


@op(view="always", elementwise=True, method=False)
def real(xp, input):
    """The real part (a view); a real tensor is returned as it is."""
    return input.real


@real.derivative
def real(ctx, grad):
    return grad


@op(view="always", elementwise=True, method=False)
def imag(xp, input):
    """The imaginary part of a complex tensor (a view)."""
    if input.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return input.imag


@imag.derivative
def imag(ctx, grad):
    return grad * 1j


# like PyTorch's, a tensor's real and imaginary parts are properties: ``z.real``, ``z.imag``
Tensor.real = property(real.fn, doc=real.fn.__doc__)
Tensor.imag = property(imag.fn, doc=imag.fn.__doc__)
