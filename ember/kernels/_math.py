"""Transcendental functions for use inside kernels, written as polynomials in single precision.

A call to libm's ``expf`` per element keeps LLVM from vectorizing a loop (there is no vector
libm it may call); the same function as a polynomial and a few bit operations compiles to
SIMD code. Measured on a 4096 x 64 float32 softmax, one thread: 0.53 ms with `exp` below,
1.6 ms with ``math.exp``, 1.0 ms for NumPy's five passes. Double precision calls libm: its
precision is what float64 is for.

Each function takes ``precise``: True (float64 data) calls libm, False the polynomial; it is
constant for a compiled loop, so LLVM moves the test out of it. NaN gives NaN and the
infinities give what libm gives, as in PyTorch's kernels.

Numba's disk cache keys a kernel on its own file only: after editing this one, delete the
cached kernels (``ember/kernels/__pycache__/*.nb*``) so that none keeps an inlined old copy.
"""
from __future__ import annotations

import math

import numpy as np

from . import kernel

_LOG2E = np.float32(1.44269504088896341)
# ln 2 split in two (Cody and Waite): n * _LN2_HI is exact for the n that occur.
_LN2_HI = np.float32(0.693359375)
_LN2_LO = np.float32(-2.12194440e-4)
# exp(r) - 1 - r ~ r^2 * P(r) on |r| <= ln(2) / 2 (Cephes' expf coefficients).
_EXP_P = (np.float32(1.9875691500e-4), np.float32(1.3981999507e-3),
          np.float32(8.3334519073e-3), np.float32(4.1665795894e-2),
          np.float32(1.6666665459e-1), np.float32(5.0000001201e-1))
# Past these exp overflows to inf or underflows to 0 in single precision.
_EXP_HIGH = np.float32(88.8)
_EXP_LOW = np.float32(-104.0)

# erf(x) ~ x * P(x*x) / Q(x*x) for |x| <= 4, within 7 ulp in single precision; beyond 4,
# erf rounds to +-1 in single precision (fitted by iteratively reweighted least squares on
# erf's relative error; `ember.ops._special` uses them on arrays too).
SINGLE_ERF_P = (1.90993110e-08, -1.92197877e-06, 1.43371808e-04, 3.84008784e-03,
                5.10576445e-02, 2.03698643e-01, 1.12837914e+00)
SINGLE_ERF_Q = (9.83630165e-04, 1.46567743e-02, 1.16541635e-01, 5.13855274e-01, 1.0)
SINGLE_ERF_LIMIT = 4.0
_ERF_P = tuple(np.float32(c) for c in SINGLE_ERF_P)
_ERF_Q = tuple(np.float32(c) for c in SINGLE_ERF_Q)
_ERF_LIMIT = np.float32(SINGLE_ERF_LIMIT)


@kernel()
def exp32(x):
    """``exp(x)`` in single precision, to 2 ulp."""
    c = x if x < _EXP_HIGH else _EXP_HIGH
    # Below _EXP_LOW exp rounds to 0: a zero is computed from c = 0 and replaced below, so
    # that -inf (softmax's masked scores) costs no denormal arithmetic (1.7x slower).
    c = c if c > _EXP_LOW else np.float32(0.0)
    n = np.float32(math.floor(c * _LOG2E + np.float32(0.5)))
    r = c - n * _LN2_HI
    r = r - n * _LN2_LO
    p = _EXP_P[0]
    p = p * r + _EXP_P[1]
    p = p * r + _EXP_P[2]
    p = p * r + _EXP_P[3]
    p = p * r + _EXP_P[4]
    p = p * r + _EXP_P[5]
    p = p * r * r + r + np.float32(1.0)
    # times 2^n, built in the exponent bits; in two factors so that n from -150 to 128 (the
    # overflow to inf, the gradual underflow to 0) never leaves the exponent's range.
    k = np.int32(n)
    half = k >> 1
    p = p * np.int32((half + 127) << 23).view(np.float32)
    p = p * np.int32((k - half + 127) << 23).view(np.float32)
    p = p if x > _EXP_LOW else np.float32(0.0)
    return p if x == x else x


@kernel()
def exp(x, precise):
    """``exp(x)``: libm's in double precision, `exp32` in single."""
    return math.exp(x) if precise else exp32(x)


@kernel()
def erf(x, precise):
    """The error function: libm's in double precision, a rational function in single."""
    if precise:
        return math.erf(x)
    if abs(x) > _ERF_LIMIT:  # (NaN goes on to the formula, which keeps it)
        return np.float32(1.0) if x > 0 else np.float32(-1.0)
    t = x * x
    num = _ERF_P[0]
    for c in _ERF_P[1:]:
        num = num * t + c
    den = _ERF_Q[0]
    for c in _ERF_Q[1:]:
        den = den * t + c
    return x * num / den


@kernel()
def tanh(x, precise):
    """``tanh(x)``: libm's in double precision, ``1 - 2 / (exp(2x) + 1)`` in single (within
    1e-7 absolute: the form's cancellation near 0 costs relative precision there)."""
    if precise:
        return math.tanh(x)
    return np.float32(1.0) - np.float32(2.0) / (exp32(x + x) + np.float32(1.0))


@kernel()
def sigmoid(x, precise):
    """``1 / (1 + exp(-x))``."""
    one = np.float32(1.0)  # (a float32 constant keeps float32 math float32, float64 float64)
    return one / (one + exp(-x, precise))
