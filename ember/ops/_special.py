"""The error function, its complement and its inverse on backend arrays (NumPy has none).

erf and erfc use W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
approximations for the error function", Math. Comp. 1969, as in his CALERF routine), good to
double precision on three ranges of |x|. erfinv starts from M. Giles' approximation
("Approximating the erfinv function", GPU Computing Gems, 2011) and polishes it with two
Halley steps against the accurate erf/erfc. All work in the input's precision (half
precision in single), so float32 stays float32.

Single precision takes a faster road for erf (GELU's hot path): one rational function of x*x,
fitted here to erf's relative error on [0, 4] by iteratively reweighted least squares, and
evaluated without the masks and gathers that picking Cody's ranges costs.
"""
from __future__ import annotations

import math

from ..kernels._math import SINGLE_ERF_LIMIT, SINGLE_ERF_P, SINGLE_ERF_Q

_SMALL = 0.46875   # |x| below this: erf directly; above it: erfc, then erf = 1 - erfc
_LARGE = 4.0       # |x| above this: the asymptotic form of erfc
_UNDERFLOW = 30.0  # erfc(|x|) is 0 in double precision well before this

_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)

# Single precision's erf: one rational function, shared with the compiled kernels.
_SINGLE_P, _SINGLE_Q, _SINGLE_LIMIT = SINGLE_ERF_P, SINGLE_ERF_Q, SINGLE_ERF_LIMIT

# Giles' single-precision erfinv: a polynomial in w = -log(1 - x**2), central and tail.
_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
            -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_LIMIT = 16.0  # w past this is below single precision's resolution of 1 - x
_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
         -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erf_small(x):
    """erf(x) for |x| <= 0.46875."""
    x2 = x * x
    num = _A[4] * x2
    den = x2
    for a, b in zip(_A[:3], _B[:3]):
        num = (num + a) * x2
        den = (den + b) * x2
    return x * (num + _A[3]) / (den + _B[3])


def _times_exp_minus_square(xp, y, r):
    # r * exp(-y*y), with y*y split in two so its rounding error stays out of the exponent
    head = xp.trunc(y * 16) / 16
    return xp.exp(-head * head) * xp.exp(-(y - head) * (y + head)) * r


def _erfc_mid(xp, y):
    """erfc(y) for 0.46875 < y <= 4."""
    return _times_exp_minus_square(xp, y, _erfcx_mid(y))


def _erfcx_mid(y):
    """exp(y*y) * erfc(y) for 0.46875 < y <= 4."""
    num = _C[8] * y
    den = y
    for c, d in zip(_C[:7], _D[:7]):
        num = (num + c) * y
        den = (den + d) * y
    return (num + _C[7]) / (den + _D[7])


def _erfc_large(xp, y):
    """erfc(y) for y > 4."""
    y = xp.minimum(y, _UNDERFLOW)
    return _times_exp_minus_square(xp, y, _erfcx_large(y))


def _erfcx_large(y):
    """exp(y*y) * erfc(y) for y > 4."""
    inv2 = 1 / (y * y)
    num = _P[5] * inv2
    den = inv2
    for p, q in zip(_P[:4], _Q[:4]):
        num = (num + p) * inv2
        den = (den + q) * inv2
    return (_INV_SQRT_PI - inv2 * (num + _P[4]) / (den + _Q[4])) / y


def _erfc_positive(xp, y):
    """erfc(y) for y > 0.46875 (and NaN)."""
    large = y > _LARGE
    if not large.any():
        return _erfc_mid(xp, y)
    out = xp.empty_like(y)
    out[large] = _erfc_large(xp, y[large])
    mid = ~large
    out[mid] = _erfc_mid(xp, y[mid])
    return out


def _in_working_precision(fn):
    # Half precision computes in single, then rounds back, as PyTorch's kernels do; a 0-dim
    # array computes as one element, since NumPy turns 0-dim results into scalars.
    def wrapped(xp, x):
        if x.ndim == 0:
            return wrapped(xp, x.reshape(1)).reshape(())
        if x.dtype.itemsize >= 4:
            return fn(xp, x)
        return fn(xp, x.astype("float32")).astype(x.dtype)
    return wrapped


def _erf_single(xp, x):
    x = xp.clip(x, -_SINGLE_LIMIT, _SINGLE_LIMIT)  # NaN stays NaN
    t = x * x
    num = _polynomial(xp, _SINGLE_P, t)
    num *= x
    num /= _polynomial(xp, _SINGLE_Q, t)
    return xp.clip(num, -1, 1, out=num)


@_in_working_precision
def erf(xp, x):
    """The error function of a float array."""
    if x.dtype.itemsize == 4:
        return _erf_single(xp, x)
    small = xp.abs(x) <= _SMALL
    if small.all():
        return _erf_small(x)
    out = xp.empty_like(x)
    out[small] = _erf_small(x[small])
    big = ~small
    rest = x[big]
    out[big] = xp.copysign(1 - _erfc_positive(xp, xp.abs(rest)), rest)
    return out


@_in_working_precision
def erfc(xp, x):
    """The complementary error function ``1 - erf(x)`` of a float array."""
    small = xp.abs(x) <= _SMALL
    out = xp.empty_like(x)
    out[small] = 1 - _erf_small(x[small])
    big = ~small
    rest = x[big]
    tail = _erfc_positive(xp, xp.abs(rest))
    out[big] = xp.where(rest < 0, 2 - tail, tail)
    return out


def _polynomial(xp, coefficients, t):
    """Horner's rule in one buffer; coefficients highest degree first."""
    p = xp.full_like(t, coefficients[0])
    for c in coefficients[1:]:
        p *= t
        p += c
    return p


@_in_working_precision
def erfinv(xp, x):
    """The inverse error function of a float array (±inf at ±1, NaN outside [-1, 1])."""
    a = xp.abs(x)
    w = -xp.log((1 - a) * (1 + a))
    y = a * xp.where(w < 5, _polynomial(xp, _CENTRAL, w - 2.5),
                     _polynomial(xp, _TAIL, xp.sqrt(w) - 3))
    far = w > _GILES_LIMIT
    if far.any():
        # beyond single precision's reach Giles' tail drifts; erfc(y) ~ exp(-y*y)/(y*sqrt(pi))
        # inverts to y*y ~ t - log(sqrt(pi*t)) with t = -log(1 - a)
        t = -xp.log1p(-a[far])
        y[far] = xp.sqrt(t - xp.log(xp.sqrt(math.pi * t)))
    near_one = a > 0.5
    for _ in range(2):
        # Halley's method on f(y) = erf(y) - a; near 1, f = (1 - a) - erfc(y) keeps its digits
        f = xp.where(near_one, (1 - a) - erfc(xp, y), erf(xp, y) - a)
        step = f / (2 * _INV_SQRT_PI * xp.exp(-y * y))
        y = y - step / (1 + y * step)
    y = xp.where(a == 1, xp.inf, y)
    return xp.copysign(y, x).astype(x.dtype)


@_in_working_precision
def erfcx(xp, x):
    """The scaled complementary error function ``exp(x*x) * erfc(x)`` (no underflow)."""
    y = xp.abs(x)
    small = y <= _SMALL
    out = xp.empty_like(x)
    out[small] = xp.exp(x[small] ** 2) * (1 - _erf_small(x[small]))
    mid = ~small & (y <= _LARGE)
    for part, scaled in ((mid, _erfcx_mid), (~small & ~mid, _erfcx_large)):  # NaN: large
        out[part] = scaled(y[part])
    negative = (x < 0) & ~small
    # erfcx(-y) = 2 exp(y*y) - erfcx(y)
    out[negative] = 2 * xp.exp(y[negative] ** 2) - out[negative]
    return out


def _ndtr(xp, y):
    return 0.5 * erfc(xp, -y * _INV_SQRT_2)


@_in_working_precision
def ndtri(xp, p):
    """The inverse of the standard normal CDF (-inf at 0, inf at 1, NaN outside [0, 1])."""
    lower = xp.minimum(p, 1 - p)  # solve in the lower tail, where ndtr keeps its digits
    t = xp.sqrt(-2 * xp.log(lower))
    # Abramowitz & Stegun 26.2.23 (error below 4.5e-4), then Halley's method on ndtr
    y = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
          (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))))
    finite = xp.isfinite(y)
    y = xp.where(finite, y, 0)
    for _ in range(3):
        density = xp.exp(-0.5 * y * y) * (_INV_SQRT_PI * _INV_SQRT_2)
        step = (_ndtr(xp, y) - lower) / density
        y = y - step / (1 + 0.5 * y * step)
    y = xp.where(finite, y, -xp.inf)
    y = xp.where(p > 0.5, -y, y)
    return xp.where((p >= 0) & (p <= 1), y, xp.nan).astype(p.dtype)
