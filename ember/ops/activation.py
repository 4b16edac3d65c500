"""Activation functions of neural networks, one elementwise op each, derivative beside it.

The hot ones (gelu, silu, elu, softplus) compute their forward in one pass over backend
arrays rather than as a chain of ops. Derivatives are written with Ember ops, so second
derivatives work. Where PyTorch picks a side at a kink (x == 0, x == threshold), the masks
below pick the same side: tests compare gradients at those points.
"""
from __future__ import annotations

import math

import numpy as np

from . import _special
from ..kernels import activation as kernels
from ._blocks import blockwise
from .. import random as _random
from .._tensor import wrap
from ._op import composite, op
from ..autograd.grad_mode import STATE
from .piecewise import where_op
from .pointwise import refuse, type_name, unary

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_K = math.sqrt(2 / math.pi)  # gelu's tanh approximation: tanh(k * (x + c * x^3))
_TANH_C = 0.044715
FLOAT_ONLY = "biuc"  # dtype kinds PyTorch's activation kernels refuse


def _float_activation(name, forward, derivative, *, saves="x", function=False):
    return unary(name, forward, derivative, saves=saves, promote=None, refuse=FLOAT_ONLY,
                 inplace=False, method=False, function=function)


# ----------------------------------------------------------------------------- gelu


# GELU is x * P(x) with P the normal CDF Phi, or its tanh form 0.5 * (1 + tanh(u)) with
# u = k * (x + c x^3). The forward hands P(x) to the derivative, which is then a few passes
# (slope = P + x * P') instead of P's thirty again; gelu_backward is the same gradient as
# an op of (grad, x) alone, for gradients of gradients (and PyTorch's aten name).


@op(stash=True, save=(0,), elementwise=True, method=False, function=False)
def gelu(xp, x, approximate="none"):
    """``x * Phi(x)`` with Phi the standard normal CDF (or its tanh form)."""
    refuse("gelu", FLOAT_ONLY, x)
    if xp is np:  # the slope is recomputed from x in the backward kernel: nothing to stash
        return _on_cpu(kernels.gelu_forward, x, flags=(_gelu_form(approximate) == "tanh",)), None
    p = blockwise(xp, _GELU_FORMS[_gelu_form(approximate)], x)
    return x * p, p


@gelu.derivative
def gelu(ctx, grad, approximate="none"):
    (x,) = ctx.saved_tensors
    if STATE.grad_enabled:
        return gelu_backward.fn(grad, x, approximate)
    p = ctx.stash
    if p is None:
        return wrap(_on_cpu(kernels.gelu_backward, grad._data, x._data,
                            flags=(approximate == "tanh",)))
    slope = blockwise(grad._xp, _SLOPES[approximate], x._data, p)
    slope *= grad._data
    return wrap(slope)


@gelu.onnx
def gelu(g, x, approximate="none"):
    if g.opset >= 20:
        return g.op("Gelu", x, approximate=approximate)
    if approximate == "tanh":
        cube = g.op("Mul", x, g.op("Mul", x, x))
        inner = g.op("Mul", g.op("Add", x, g.op("Mul", cube, g.scalar(0.044715, x))),
                     g.scalar(math.sqrt(2 / math.pi), x))
        cdf = g.op("Add", g.op("Tanh", inner), g.scalar(1, x))
    else:
        cdf = g.op("Add", g.op("Erf", g.op("Mul", x, g.scalar(math.sqrt(0.5), x))),
                   g.scalar(1, x))
    return g.op("Mul", g.op("Mul", x, cdf), g.scalar(0.5, x))


@op(nin=2, save=(0, 1), method=False, function=False)
def gelu_backward(xp, grad, x, approximate="none"):
    """GELU's gradient: ``grad * (Phi(x) + x * phi(x))``, or the derivative of its tanh form."""
    form = _gelu_form(approximate)
    if xp is np:
        return _on_cpu(kernels.gelu_backward, grad, x, flags=(form == "tanh",))

    def slope_times_grad(xp, grad, x):
        slope = _SLOPES[form](xp, x, _GELU_FORMS[form](xp, x))
        slope *= grad
        return slope
    return blockwise(xp, slope_times_grad, grad, x)


@gelu_backward.derivative
def gelu_backward(ctx, grad_slope, approximate="none"):
    g, x = ctx.saved_tensors
    if approximate == "tanh":
        # slope' = (1 - t^2) * (u' - x t u'^2 + 3 k c x^2)
        x2 = x * x
        t = ((x + _TANH_C * x2 * x) * _TANH_K).tanh()
        du = _TANH_K * (1 + 3 * _TANH_C * x2)
        curvature = (1 - t * t) * (du - x * t * du * du + 3 * _TANH_K * _TANH_C * x2)
    else:
        # slope' = phi(x) * (2 - x^2)
        curvature = (-0.5 * x * x).exp() * _INV_SQRT_2PI * (2 - x * x)
    return gelu_backward.fn(grad_slope, x, approximate), grad_slope * g * curvature


def _on_cpu(kernel, *arrays, flags=()):
    """An activation kernel on same-dtype arrays; half precisions compute in single."""
    dtype = arrays[0].dtype
    if dtype == np.float32 or dtype == np.float64:
        return kernels.elementwise(kernel, *arrays, flags=flags)
    single = (a.astype(np.float32) for a in arrays)
    return kernels.elementwise(kernel, *single, flags=flags).astype(dtype)


def _gelu_form(approximate):
    if approximate not in _GELU_FORMS:
        raise RuntimeError(f"approximate argument must be either none or tanh, but got "
                           f"'{approximate}'")
    return approximate


def _normal_cdf(xp, x):
    p = _special.erf(xp, x * _SQRT_HALF)
    p += 1
    p *= 0.5
    return p


def _normal_cdf_slope(xp, x, p):
    # Phi(x) + x * phi(x)
    x_pdf = x * x
    x_pdf *= -0.5
    xp.exp(x_pdf, out=x_pdf)
    x_pdf *= x
    x_pdf *= _INV_SQRT_2PI
    x_pdf += p
    return x_pdf


def _tanh_cdf(xp, x):
    # 0.5 * (1 + tanh(u)), u = k * (x + c * x^3)
    p = x * x
    p *= _TANH_C
    p += 1
    p *= x
    p *= _TANH_K
    xp.tanh(p, out=p)
    p += 1
    p *= 0.5
    return p


def _tanh_cdf_slope(xp, x, p):
    # p + x * p', and p' = 0.5 * (1 - t^2) * u' = 2 p (1 - p) u' with u' = k (1 + 3c x^2)
    slope = x * x
    slope *= 3 * _TANH_C * _TANH_K
    slope += _TANH_K
    slope *= x
    slope *= p
    slope *= 1 - p
    slope *= 2
    slope += p
    return slope


_GELU_FORMS = {"none": _normal_cdf, "tanh": _tanh_cdf}
_SLOPES = {"none": _normal_cdf_slope, "tanh": _tanh_cdf_slope}


# ----------------------------------------------------------------------------- sigmoid kin


def _silu(xp, x):
    if xp is np and x.dtype.kind == "f":
        return _on_cpu(kernels.silu_forward, x)
    e = xp.negative(x, out=xp.empty_like(x))  # one buffer (and an array even for 0-dim x)
    xp.exp(e, out=e)
    e += 1
    return xp.divide(x, e, out=e)


def _silu_grad(g, x, y):
    if not STATE.grad_enabled and type(x._data) is np.ndarray:  # first order: the kernel
        return wrap(_on_cpu(kernels.silu_backward, g._data, x._data))
    s = x.sigmoid()
    return g * (s * (1 + x * (1 - s)))


silu = _float_activation("silu", _silu, _silu_grad)


@silu.onnx
def silu(g, x):
    return g.op("Mul", x, g.op("Sigmoid", x))
silu.forward.__doc__ = "``x * sigmoid(x)`` (also called swish)."


def _softplus(xp, x, beta=1.0, threshold=20.0):
    z = x * beta if beta != 1 else x
    soft = xp.logaddexp(0, z)  # log(1 + e^z) without overflow
    if beta != 1:
        soft /= beta
    return xp.where(z > threshold, x, soft)


def _softplus_grad(g, x, y, beta=1.0, threshold=20.0):
    z = x * beta
    return where_op(z > threshold, g, g * z.sigmoid())


softplus = _float_activation("softplus", _softplus, _softplus_grad)


@softplus.onnx
def softplus(g, x, beta=1.0, threshold=20.0):
    # ONNX's Softplus has no beta or threshold (past which PyTorch returns x itself).
    scaled = x if beta == 1 else g.op("Mul", x, g.scalar(beta, x))
    smooth = g.op("Softplus", scaled)
    if beta != 1:
        smooth = g.op("Div", smooth, g.scalar(beta, x))
    return g.op("Where", g.op("Greater", scaled, g.scalar(threshold, x)), x, smooth)
softplus.forward.__doc__ = ("``log(1 + exp(beta * x)) / beta``, linear where ``beta * x`` "
                            "exceeds ``threshold``.")


def _mish(xp, x):
    return x * xp.tanh(xp.logaddexp(0, x))


def _mish_grad(g, x, y):
    t = (x.exp().log1p()).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


mish = _float_activation("mish", _mish, _mish_grad)


@mish.onnx
def mish(g, x):
    return g.op("Mul", x, g.op("Tanh", g.op("Softplus", x)))
mish.forward.__doc__ = "``x * tanh(softplus(x))``."


def _log_sigmoid(xp, x):
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


log_sigmoid = _float_activation("log_sigmoid", _log_sigmoid,
                                lambda g, x, y: g * (-x).sigmoid())


@log_sigmoid.onnx
def log_sigmoid(g, x):
    return g.op("Neg", g.op("Softplus", g.op("Neg", x)))
log_sigmoid.forward.__doc__ = "``log(sigmoid(x))``, stable for large ``|x|``."


# ----------------------------------------------------------------------------- elu family


def _elu(xp, x, alpha=1.0, scale=1.0, input_scale=1.0):
    negative = xp.expm1(x * input_scale if input_scale != 1 else x)
    negative *= alpha
    out = xp.where(x > 0, x, negative)
    if scale != 1:
        out *= scale
    return out


def _elu_grad(g, x, y, alpha=1.0, scale=1.0, input_scale=1.0):
    negative = (x * input_scale).exp() * (alpha * scale * input_scale)
    return g * where_op(x > 0, scale, negative)


elu = _float_activation("elu", _elu, _elu_grad)


@elu.onnx
def elu(g, x, alpha=1.0, scale=1.0, input_scale=1.0):
    if input_scale == 1:
        return g.op("Selu", x, alpha=float(alpha), gamma=float(scale))
    if scale == 1 and math.isclose(input_scale * alpha, 1.0):
        return g.op("Celu", x, alpha=float(alpha))
    raise NotImplementedError("elu: this scale/input_scale pair has no ONNX form")
elu.forward.__doc__ = ("``scale * x`` for positive ``x``, else "
                       "``scale * alpha * (exp(input_scale * x) - 1)``.")


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@composite(method=False)
def selu(input):
    """``SELU_SCALE * elu(x, SELU_ALPHA)``: self-normalizing activations (Klambauer et al.)."""
    return elu.fn(input, SELU_ALPHA, SELU_SCALE)


def celu_input_scale(alpha: float) -> float:
    """celu is elu with ``input_scale = 1 / alpha``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return 1 / alpha


@composite(method=False)
def celu(input, alpha=1.0):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return elu.fn(input, alpha, 1.0, celu_input_scale(alpha))


# ----------------------------------------------------------------------------- piecewise linear


def _leaky_relu(xp, x, negative_slope=0.01):
    return xp.where(x > 0, x, x * negative_slope)


leaky_relu = _float_activation(
    "leaky_relu", _leaky_relu,
    lambda g, x, y, negative_slope=0.01: where_op(x > 0, g, g * negative_slope))


@leaky_relu.onnx
def leaky_relu(g, x, negative_slope=0.01):
    return g.op("LeakyRelu", x, alpha=float(negative_slope))
leaky_relu.forward.__doc__ = "``x`` for positive ``x``, else ``negative_slope * x``."


def _hardtanh(xp, x, min_val=-1.0, max_val=1.0):
    if x.dtype == bool:
        raise RuntimeError("Boolean inputs not supported for hardtanh")
    return xp.clip(x, min_val, max_val)


def _hardtanh_grad(g, x, y, min_val=-1.0, max_val=1.0):
    return where_op((x > min_val) & (x < max_val), g, 0)


hardtanh = unary("hardtanh", _hardtanh, _hardtanh_grad, promote="common", refuse="c",
                 inplace=False, method=False, function=False,
                 doc="``x`` clipped to ``[min_val, max_val]``.")


@hardtanh.onnx
def hardtanh(g, x, min_val=-1.0, max_val=1.0):
    return g.op("Clip", x, g.scalar(min_val, x), g.scalar(max_val, x))


def _hardsigmoid(xp, x):
    return xp.clip(x * (1 / 6) + 0.5, 0, 1)


# PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, in every dtype.
_SIXTH_AS_FLOAT32 = 0.1666666716337204


hardsigmoid = _float_activation(
    "hardsigmoid", _hardsigmoid,
    lambda g, x, y: where_op((x > -3) & (x < 3), g * _SIXTH_AS_FLOAT32, 0))


@hardsigmoid.onnx
def hardsigmoid(g, x):
    return g.op("HardSigmoid", x, alpha=1 / 6, beta=0.5)
hardsigmoid.forward.__doc__ = "``clip(x / 6 + 1/2, 0, 1)``."


def _hardswish(xp, x):
    return x * xp.clip(x + 3, 0, 6) * (1 / 6)


def _hardswish_grad(g, x, y):
    return where_op(x <= -3, 0, where_op(x < 3, g * (x * (1 / 3) + 0.5), g))


hardswish = _float_activation("hardswish", _hardswish, _hardswish_grad)
hardswish.onnx("HardSwish")
hardswish.forward.__doc__ = "``x * clip(x + 3, 0, 6) / 6``."


def _check_lambd(lambd):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")


def _softshrink(xp, x, lambd=0.5):
    _check_lambd(lambd)
    return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0)).astype(x.dtype, copy=False)


softshrink = _float_activation(
    "softshrink", _softshrink,
    lambda g, x, y, lambd=0.5: where_op((x > lambd) | (x < -lambd), g, 0))
softshrink.forward.__doc__ = "``x`` moved toward 0 by ``lambd``, and 0 within ``lambd`` of 0."


def _hardshrink(xp, x, lambd=0.5):
    # (not `|x| > lambd`: NaN passes through, as in PyTorch)
    return xp.where((x >= -lambd) & (x <= lambd), 0, x).astype(x.dtype, copy=False)


hardshrink = unary("hardshrink", _hardshrink,
                   lambda g, x, y, lambd=0.5: where_op((x > lambd) | (x < -lambd), g, 0),
                   promote=None, refuse=FLOAT_ONLY, inplace=False,
                   doc="``x`` where ``|x| > lambd``, else 0.")


def _threshold(xp, x, threshold, value):
    # PyTorch compares in x's type (a bound of -1 wraps for uint8); a NaN stays
    threshold, value = (xp.asarray(v).astype(x.dtype) for v in (threshold, value))
    return xp.where(x <= threshold, value, x).astype(x.dtype, copy=False)


threshold = unary("threshold", _threshold,
                  lambda g, x, y, threshold, value: where_op(x > threshold, g, 0),
                  promote="common", refuse="c", inplace=False, method=False,
                  doc="``x`` where ``x > threshold``, else ``value``.")


# ----------------------------------------------------------------------------- prelu


def _channel_shape(numel, ndim):
    """The shape that makes prelu's weight (C,) broadcast along dim 1 of the input."""
    if numel == 1 or ndim < 2:
        return ()
    return (-1,) + (1,) * (ndim - 2)


@op(nin=2, save=(0, 1))
def prelu(xp, input, weight):
    """``x`` for positive ``x``, else ``weight * x``, one learned slope per channel (dim 1).

    >>> ember.prelu(ember.tensor([[-2., 3.]]), ember.tensor([0.25]))
    tensor([[-0.5000,  3.0000]])
    """
    if input.dtype != weight.dtype:  # PyTorch's checks, in its order
        raise RuntimeError(f"prelu: Type promoting not supported. Got {type_name(input)} and "
                           f"{type_name(weight)}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.size != 1 and (input.ndim == 0 or weight.size != channels):
        raise RuntimeError(f"prelu(): Mismatch of parameter numbers and input channel size. "
                           f"Found parameter numbers = {weight.size} and channel size = "
                           f"{channels} (input of {input.ndim} dimensions).")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if input.dtype.kind in FLOAT_ONLY:
        raise RuntimeError(f"prelu(): expected a floating point input, got {input.dtype}")
    w = weight.reshape(_channel_shape(weight.size, input.ndim))
    return xp.where(input > 0, input, input * w)


@prelu.derivative
def prelu(ctx, grad):
    x, w = ctx.saved_tensors
    positive = x > 0
    gx = gw = None
    if ctx.needs_input_grad[0]:
        gx = where_op(positive, grad, grad * w.reshape(_channel_shape(w.numel(), x.dim())))
    if ctx.needs_input_grad[1]:
        per_element = where_op(positive, 0, grad * x)
        if w.numel() == 1 or x.dim() < 2:
            gw = per_element.sum().reshape(w.shape)
        else:
            dims = (0,) + tuple(range(2, x.dim()))
            gw = per_element.sum(dims).reshape(w.shape)
    return gx, gw



# ----------------------------------------------------------------------------- rrelu


@composite(method=False)
def rrelu(input, lower=1 / 8, upper=1 / 3, training=False, generator=None):
    """Leaky relu with a random slope from U(lower, upper) per element while training, and
    the mean slope ``(lower + upper) / 2`` otherwise."""
    if not training:
        return leaky_relu.fn(input, (lower + upper) / 2)
    rng = _random.generator_for(input.device, generator).rng
    x = input._data
    slope = rng.random(x.shape, dtype=x.dtype) * (upper - lower) + lower
    noise = wrap(input._xp.where(x <= 0, slope, 1).astype(x.dtype, copy=False))
    return input * noise
