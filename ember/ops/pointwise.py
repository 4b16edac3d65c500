"""Elementwise math: arithmetic, powers, exponentials, trigonometry, rounding.

Binary ops broadcast; their gradients are summed back to each input's shape by the op
machinery (``broadcasts=True``), so each derivative below is the plain calculus.
"""
from __future__ import annotations

import math

from ._op import op


def unary(name, forward, derivative, *, saves="x", promote="float", inplace=True):
    """Declare a one-input elementwise op from its forward and ``derivative(grad, x, y)``.

    ``saves`` says which of the input ``x`` and the output ``y`` the derivative reads, so
    the graph keeps only those.
    """
    forward.__name__ = name
    entry = op(promote=promote, save=(0,) if "x" in saves else (), save_output="y" in saves,
               elementwise=True, inplace=inplace)(forward)

    @entry.derivative
    def _(ctx, grad):
        saved = ctx.saved_tensors
        x = saved[0] if "x" in saves else None
        y = saved[-1] if "y" in saves else None
        return derivative(grad, x, y)
    return entry


def binary(name, forward, *, promote="common", save=(0, 1), save_output=False, inplace=True):
    forward.__name__ = name
    return op(nin=2, promote=promote, save=save, save_output=save_output, broadcasts=True,
              elementwise=True, inplace=inplace)(forward)


# ----------------------------------------------------------------------------- arithmetic

@op(nin=2, promote="common", broadcasts=True, elementwise=True, inplace=True)
def add(xp, a, b, *, alpha=1):
    """``a + alpha * b``, broadcasting."""
    return xp.add(a, b) if alpha == 1 else xp.add(a, xp.multiply(b, alpha))


@add.derivative
def add(ctx, grad, *, alpha=1):
    return grad, (grad if alpha == 1 else grad * alpha)


@op(nin=2, promote="common", broadcasts=True, elementwise=True, inplace=True)
def sub(xp, a, b, *, alpha=1):
    """``a - alpha * b``, broadcasting."""
    if a.dtype == bool if hasattr(a, "dtype") else False:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    return xp.subtract(a, b) if alpha == 1 else xp.subtract(a, xp.multiply(b, alpha))


@sub.derivative
def sub(ctx, grad, *, alpha=1):
    return grad, -grad if alpha == 1 else grad * -alpha


@op(nin=2, promote="common", save=(0, 1), broadcasts=True, elementwise=True, inplace=True)
def mul(xp, a, b):
    """``a * b``, broadcasting."""
    return xp.multiply(a, b)


@mul.derivative
def mul(ctx, grad):
    a, b = ctx.saved_tensors
    ga = grad * _conj(b) if ctx.needs_input_grad[0] else None
    gb = grad * _conj(a) if ctx.needs_input_grad[1] else None
    return ga, gb


@op(nin=2, promote="float", save=(0, 1), broadcasts=True, elementwise=True, inplace=True)
def div(xp, a, b, *, rounding_mode=None):
    """``a / b``; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient."""
    if rounding_mode is None:
        return xp.true_divide(a, b)
    if rounding_mode == "floor":
        return xp.floor_divide(a, b)
    if rounding_mode == "trunc":
        q = xp.true_divide(a, b)
        return xp.trunc(q).astype(q.dtype)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                     f"found '{rounding_mode}'")


@div.derivative
def div(ctx, grad, *, rounding_mode=None):
    a, b = ctx.saved_tensors
    if rounding_mode is not None:
        return grad * 0, grad * 0
    ga = grad / _conj(b) if ctx.needs_input_grad[0] else None
    gb = -grad * _conj(a) / _conj(b * b) if ctx.needs_input_grad[1] else None
    return ga, gb


@op(promote="common", elementwise=True, inplace=True)
def neg(xp, x):
    """``-x``."""
    if getattr(x, "dtype", None) == bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return xp.negative(x)


@neg.derivative
def neg(ctx, grad):
    return -grad


@op(nin=2, promote="common", save=(0, 1), save_output=True, broadcasts=True,
    elementwise=True, inplace=True)
def pow(xp, a, b):
    """``a ** b``, broadcasting."""
    if hasattr(b, "dtype") and b.dtype.kind in "iu" and hasattr(a, "dtype") and \
            a.dtype.kind in "iu" and (b < 0).any():
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return xp.power(a, b)


@pow.derivative
def pow(ctx, grad):
    a, b, y = ctx.saved_tensors
    ga = gb = None
    if ctx.needs_input_grad[0]:
        ga = grad * b * a ** (b - 1)
        ga = ga.masked_fill((b == 0) & (a == 0), 0) if hasattr(b, "_data") else ga
    if ctx.needs_input_grad[1]:
        gb = grad * (y * a.log()).masked_fill(a == 0, 0)
    return ga, gb


def _conj(t):
    # Complex gradients use the conjugate (PyTorch's convention); numbers pass through.
    return t.conj() if hasattr(t, "_data") and t._data.dtype.kind == "c" else t


# ----------------------------------------------------------------------------- unary math

exp = unary("exp", lambda xp, x: xp.exp(x), lambda g, x, y: g * y, saves="y")
log = unary("log", lambda xp, x: xp.log(x), lambda g, x, y: g / x)
sqrt = unary("sqrt", lambda xp, x: xp.sqrt(x), lambda g, x, y: g / (2 * y), saves="y")
sin = unary("sin", lambda xp, x: xp.sin(x), lambda g, x, y: g * x.cos())
cos = unary("cos", lambda xp, x: xp.cos(x), lambda g, x, y: -g * x.sin())
tanh = unary("tanh", lambda xp, x: xp.tanh(x), lambda g, x, y: g * (1 - y * y), saves="y")
abs = unary("abs", lambda xp, x: xp.abs(x), lambda g, x, y: g * x.sign(), promote="common")
sign = unary("sign", lambda xp, x: xp.sign(x), lambda g, x, y: g * 0, saves="",
             promote="common")
relu = unary("relu", lambda xp, x: xp.maximum(x, 0),
             lambda g, x, y: g * (y > 0), saves="y", promote="common")

