"""Elementwise exponentials, logarithms, roots, trigonometry, and the error function.

Integer inputs compute in the default float type (``ember.sqrt(int_tensor)`` is float32),
as PyTorch's do. Derivatives are written with the output ``y`` where that is cheaper.
"""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from . import _special
from .piecewise import where_op
from .pointwise import binary, conjugate, refuse, tensors_only, unary

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# ----------------------------------------------------------------------------- exponentials

exp = unary("exp", lambda xp, x: xp.exp(x), lambda g, x, y: g * conjugate(y), saves="y",
            doc="``e ** input`` elementwise.")


exp.onnx("Exp")
exp2 = unary("exp2", lambda xp, x: xp.exp2(x), lambda g, x, y: g * conjugate(y * _LN2),
             saves="y", doc="``2 ** input`` elementwise.")
expm1 = unary("expm1", lambda xp, x: xp.expm1(x), lambda g, x, y: g * conjugate(y + 1),
              saves="y", doc="``e ** input - 1``, accurate near 0.")


@expm1.onnx
def expm1(g, x):
    return g.op("Sub", g.op("Exp", x), g.scalar(1, x))
log = unary("log", lambda xp, x: xp.log(x), lambda g, x, y: g / conjugate(x),
            doc="The natural logarithm (``-inf`` at 0, NaN below).")


log.onnx("Log")
log2 = unary("log2", lambda xp, x: xp.log2(x), lambda g, x, y: g / conjugate(x * _LN2),
             doc="The base-2 logarithm.")
log10 = unary("log10", lambda xp, x: xp.log10(x), lambda g, x, y: g / conjugate(x * _LN10),
              doc="The base-10 logarithm.")
log1p = unary("log1p", lambda xp, x: xp.log1p(x), lambda g, x, y: g / conjugate(x + 1),
              doc="``log(1 + input)``, accurate near 0.")


@log1p.onnx
def log1p(g, x):
    return g.op("Log", g.op("Add", x, g.scalar(1, x)))
sqrt = unary("sqrt", lambda xp, x: xp.sqrt(x), lambda g, x, y: g / conjugate(2 * y), saves="y",
             doc="The square root; its gradient at 0 is inf, as PyTorch's.")


sqrt.onnx("Sqrt")
sqrt.fuses(lambda a: f"np.sqrt({a})")
rsqrt = unary("rsqrt", lambda xp, x: xp.reciprocal(xp.sqrt(x)),
              lambda g, x, y: g * conjugate(-0.5 * y * y * y), saves="y",
              doc="``1 / sqrt(input)``.")


@rsqrt.onnx
def rsqrt(g, x):
    return g.op("Reciprocal", g.op("Sqrt", x))


def _sigmoid(xp, x):
    e = xp.negative(x, out=xp.empty_like(x))  # one buffer for all three steps
    xp.exp(e, out=e)
    e += 1
    return xp.reciprocal(e, out=e)


sigmoid = unary("sigmoid", _sigmoid, lambda g, x, y: g * conjugate(y * (1 - y)), saves="y",
                doc="``1 / (1 + e ** -input)``, the logistic function.")


sigmoid.onnx("Sigmoid")


def _logit(xp, x, eps=None):
    if eps is not None:  # PyTorch's clamp: below eps is eps, else above 1 - eps is 1 - eps
        x = xp.where(x < eps, eps, xp.where(x > 1 - eps, 1 - eps, x)).astype(x.dtype)
    return xp.log(x / (1 - x))


def _logit_grad(g, x, y, eps=None):
    slope = g / (x * (1 - x))
    if eps is None:
        return slope
    return where_op((x < eps) | (x > 1 - eps), 0, slope)  # flat where the input was clipped


logit = unary("logit", _logit, _logit_grad, refuse="c",
              doc="``log(p / (1 - p))``; with ``eps``, ``p`` is first clipped to "
                  "``[eps, 1 - eps]``.")


def _logaddexp(xp, a, b):
    refuse("logaddexp", "biuc", a, b)
    return xp.logaddexp(a, b)


def _logaddexp2(xp, a, b):
    refuse("logaddexp2", "biuc", a, b)
    return xp.logaddexp2(a, b)


logaddexp = binary("logaddexp", _logaddexp, lambda g, a, b, y: g * (a - y).exp(),
                   lambda g, a, b, y: g * (b - y).exp(), saves="aby", inplace=False,
                   promote=tensors_only("logaddexp"),
                   doc="``log(e ** input + e ** other)`` without overflow.")
logaddexp2 = binary("logaddexp2", _logaddexp2, lambda g, a, b, y: g * (a - y).exp2(),
                    lambda g, a, b, y: g * (b - y).exp2(), saves="aby", inplace=False,
                    promote=tensors_only("logaddexp2"),
                    doc="``log2(2 ** input + 2 ** other)`` without overflow.")


def times_log(name, log, log_number, low, doc, **flags):
    """A ``x * log(y)``-like binary op (``xlogy``, ``xlog1py``): 0 where ``x`` is 0 unless ``y``
    is NaN. ``log`` is the NumPy ufunc's name, ``low`` the ``y`` where the log ends."""
    def forward(xp, x, y):
        like = x if hasattr(x, "dtype") else y
        # a number operand becomes an array of the result type: log(2.5) as a NumPy float64
        # scalar would turn a float32 result into float64
        x, y = (v if hasattr(v, "dtype") else xp.asarray(v, dtype=like.dtype) for v in (x, y))
        product = xp.multiply(x, getattr(xp, log)(y))
        return xp.where((x == 0) & ~xp.isnan(y), 0, product).astype(product.dtype)

    def x_grad(g, x, y, out):
        slope = getattr(y, log)() if isinstance(y, Tensor) else float(log_number(np.float64(y)))
        return where_op((x == 0) & (y <= low), 0, g * slope)

    return binary(name, forward, x_grad, lambda g, x, y, out: g * x / (y - low),
                  promote="float", refuse="c", doc=doc, **flags)


xlogy = times_log("xlogy", "log", np.log, 0,
                  "``input * log(other)``, with 0 where ``input`` is 0.")


# ----------------------------------------------------------------------------- trigonometry

sin = unary("sin", lambda xp, x: xp.sin(x), lambda g, x, y: g * conjugate(x.cos()),
            doc="The sine, in radians.")


sin.onnx("Sin")
cos = unary("cos", lambda xp, x: xp.cos(x), lambda g, x, y: -g * conjugate(x.sin()),
            doc="The cosine, in radians.")


cos.onnx("Cos")
tan = unary("tan", lambda xp, x: xp.tan(x), lambda g, x, y: g * conjugate(1 + y * y),
            saves="y", doc="The tangent, in radians.")
asin = unary("asin", lambda xp, x: xp.arcsin(x), lambda g, x, y: g * (1 - x * x).rsqrt(),
             aliases=("arcsin",), doc="The inverse sine, in ``[-pi/2, pi/2]``.")
acos = unary("acos", lambda xp, x: xp.arccos(x), lambda g, x, y: -g * (1 - x * x).rsqrt(),
             aliases=("arccos",), doc="The inverse cosine, in ``[0, pi]``.")
atan = unary("atan", lambda xp, x: xp.arctan(x), lambda g, x, y: g / (1 + x * x),
             aliases=("arctan",), doc="The inverse tangent, in ``(-pi/2, pi/2)``.")
sinh = unary("sinh", lambda xp, x: xp.sinh(x), lambda g, x, y: g * conjugate(x.cosh()),
             doc="The hyperbolic sine.")
cosh = unary("cosh", lambda xp, x: xp.cosh(x), lambda g, x, y: g * conjugate(x.sinh()),
             doc="The hyperbolic cosine.")
tanh = unary("tanh", lambda xp, x: xp.tanh(x), lambda g, x, y: g * conjugate(1 - y * y),
             saves="y", doc="The hyperbolic tangent.")


tanh.onnx("Tanh")
asinh = unary("asinh", lambda xp, x: xp.arcsinh(x), lambda g, x, y: g * (x * x + 1).rsqrt(),
              aliases=("arcsinh",), doc="The inverse hyperbolic sine.")
acosh = unary("acosh", lambda xp, x: xp.arccosh(x),
              lambda g, x, y: g * ((x - 1).rsqrt() * (x + 1).rsqrt()),
              aliases=("arccosh",), doc="The inverse hyperbolic cosine (NaN below 1).")
atanh = unary("atanh", lambda xp, x: xp.arctanh(x), lambda g, x, y: g / (1 - x * x),
              aliases=("arctanh",), doc="The inverse hyperbolic tangent.")
deg2rad = unary("deg2rad", lambda xp, x: xp.multiply(x, math.pi / 180),
                lambda g, x, y: g * (math.pi / 180), saves="", refuse="c",
                doc="Degrees to radians.")
rad2deg = unary("rad2deg", lambda xp, x: xp.multiply(x, 180 / math.pi),
                lambda g, x, y: g * (180 / math.pi), saves="", refuse="c",
                doc="Radians to degrees.")


def _hypot(xp, a, b):
    refuse("hypot", "biu", a, b)
    return xp.hypot(a, b)


atan2 = binary("atan2", lambda xp, a, b: xp.arctan2(a, b),
               lambda g, a, b, y: g * b / (a * a + b * b),
               lambda g, a, b, y: -g * a / (a * a + b * b),
               promote=tensors_only("atan2", to_float=True), refuse="c",
               aliases=("arctan2",), doc="The angle of the point ``(other, input)``, in "
                                         "``(-pi, pi]``.")
hypot = binary("hypot", _hypot, lambda g, a, b, y: g * a / y, lambda g, a, b, y: g * b / y,
               saves="aby", refuse="c", promote=tensors_only("hypot"),
               doc="``sqrt(input**2 + other**2)`` without overflow.")


# ----------------------------------------------------------------------------- error function

erf = unary("erf", lambda xp, x: _special.erf(xp, x),
            lambda g, x, y: g * (_TWO_OVER_SQRT_PI * (-x * x).exp()), refuse="c",
            doc="The error function ``2/sqrt(pi) * integral from 0 to x of e**(-t**2) dt``.")


erf.onnx("Erf")
erfc = unary("erfc", lambda xp, x: _special.erfc(xp, x),
             lambda g, x, y: g * (-_TWO_OVER_SQRT_PI * (-x * x).exp()), refuse="c",
             doc="``1 - erf(input)``, accurate where erf is near 1.")
erfinv = unary("erfinv", lambda xp, x: _special.erfinv(xp, x),
               lambda g, x, y: g * (math.sqrt(math.pi) / 2 * (y * y).exp()), saves="y",
               refuse="c", doc="The inverse of the error function, on ``[-1, 1]``.")
