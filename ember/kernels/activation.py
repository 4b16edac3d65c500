"""GELU (exact and tanh forms) and SiLU, forward and backward: one pass over the elements,
transcendentals in-kernel (`_math`), spread over the cores for large tensors."""
from __future__ import annotations

import math

import numpy as np

from . import COMPUTE_GRAIN, STREAM_GRAIN, prange, threaded
from ._math import erf, exp, sigmoid, tanh

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_K = math.sqrt(2 / math.pi)  # gelu's tanh form: tanh(k * (x + c * x^3))
_TANH_C = 0.044715


@threaded(grain=COMPUTE_GRAIN)
def gelu_forward(x, out, tanh_form, precise):
    """``x * Phi(x)`` with Phi the normal CDF, or its tanh form."""
    half = x.dtype.type(0.5)
    one = x.dtype.type(1)
    k = x.dtype.type(_TANH_K)
    c = x.dtype.type(_TANH_C)
    sqrt_half = x.dtype.type(_SQRT_HALF)
    for i in prange(x.size):
        v = x[i]
        if tanh_form:
            p = half * (one + tanh(k * (v + c * v * v * v), precise))
        else:
            p = half * (one + erf(v * sqrt_half, precise))
        out[i] = v * p


@threaded(grain=COMPUTE_GRAIN)
def gelu_backward(grad, x, out, tanh_form, precise):
    """``grad`` times GELU's slope ``Phi(x) + x * phi(x)`` (or its tanh form's)."""
    half = x.dtype.type(0.5)
    one = x.dtype.type(1)
    k = x.dtype.type(_TANH_K)
    c = x.dtype.type(_TANH_C)
    sqrt_half = x.dtype.type(_SQRT_HALF)
    inv_sqrt_2pi = x.dtype.type(_INV_SQRT_2PI)
    for i in prange(x.size):
        v = x[i]
        if tanh_form:
            t = tanh(k * (v + c * v * v * v), precise)
            slope = half * (one + t) + half * v * (one - t * t) * k * (one + x.dtype.type(3) * c * v * v)
        else:
            p = half * (one + erf(v * sqrt_half, precise))
            slope = p + v * exp(-half * v * v, precise) * inv_sqrt_2pi
        out[i] = grad[i] * slope


@threaded(grain=COMPUTE_GRAIN)
def silu_forward(x, out, precise):
    """``x * sigmoid(x)``."""
    for i in prange(x.size):
        out[i] = x[i] * sigmoid(x[i], precise)


@threaded(grain=COMPUTE_GRAIN)
def silu_backward(grad, x, out, precise):
    """``grad * s * (1 + x * (1 - s))`` with ``s = sigmoid(x)``."""
    one = x.dtype.type(1)
    for i in prange(x.size):
        s = sigmoid(x[i], precise)
        out[i] = grad[i] * (s * (one + x[i] * (one - s)))


@threaded(grain=STREAM_GRAIN)
def relu_forward(x, out, precise):
    """``max(x, 0)``, NaN passed through (and -0.0 kept), as PyTorch's."""
    zero = x.dtype.type(0)
    for i in prange(x.size):
        v = x[i]
        out[i] = zero if v < zero else v


@threaded(grain=STREAM_GRAIN)
def relu_backward(grad, y, out, precise):
    """``grad`` where relu's output ``y`` isn't <= 0 (a NaN output passes it), else 0."""
    zero = grad.dtype.type(0)
    for i in prange(grad.size):
        out[i] = zero if y[i] <= zero else grad[i]


def elementwise(kernel, *arrays, flags=()):
    """``kernel(*flat arrays, flat out, *flags, precise)`` over same-shaped arrays; the
    result has the first array's shape and memory layout (channels-last stays so)."""
    first = arrays[0]
    order = _dense_order(first)
    if order is None or any(a.strides != first.strides for a in arrays[1:]):
        arrays = tuple(np.ascontiguousarray(a) for a in arrays)
        order = tuple(range(first.ndim))
    out = np.empty([first.shape[d] for d in order], dtype=first.dtype)
    if first.size:
        flats = [a.transpose(order).reshape(-1) for a in arrays]
        kernel(*flats, out.reshape(-1), *flags, first.dtype.itemsize == 8)
    return out.transpose(np.argsort(order))


def _dense_order(a):
    """The axis order in which ``a`` is C-contiguous (e.g. channels-last), or None."""
    if a.flags.c_contiguous:
        return tuple(range(a.ndim))
    order = tuple(sorted(range(a.ndim), key=lambda d: -a.strides[d]))
    return order if a.transpose(order).flags.c_contiguous else None
