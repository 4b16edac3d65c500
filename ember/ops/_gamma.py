"""Gamma-family and Bessel functions on backend arrays (NumPy has none of them).

lgamma uses Lanczos' approximation (g = 7, nine terms) with the reflection formula below 0.5;
digamma climbs by recurrence to x >= 10 and finishes with the asymptotic series; polygamma
of order n >= 1 is ``(-1)**(n+1) n! zeta(n+1, x)`` with the Hurwitz zeta summed directly and
closed by Euler-Maclaurin (as Cephes does); the modified Bessel functions I0 and I1 use their
power series up to |x| = 20 and Hankel's asymptotic series beyond. All compute in double
precision and round back to the input's type.
"""
from __future__ import annotations

import math

_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)

# Bernoulli numbers B_2k / 2k for digamma's asymptotic series in 1/x**2
_DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
_DIGAMMA_FROM = 10.0

# (2k)! / B_2k, the Euler-Maclaurin coefficients of the Hurwitz zeta's tail
_ZETA_TAIL = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
              7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
              -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)
_ZETA_DIRECT = 9

_BESSEL_SERIES_TO = 20.0
_BESSEL_TERMS = 48


def in_double(fn):
    """``fn`` computed in float64 on a 1-d copy, returned in the first input's float type."""
    def wrapped(xp, x, *rest):
        shape, dtype = x.shape, x.dtype
        out = fn(xp, x.astype("float64").reshape(-1), *rest)
        return out.reshape(shape).astype(dtype, copy=False)
    return wrapped


def _pi_times_fraction(xp, x):
    """pi * (x - round(x)): where sin(pi x) and tan(pi x) are exact zeros at integers, up to
    sign for sin."""
    return math.pi * (x - xp.round(x))


def _lgamma_positive(xp, x):
    """lgamma for x >= 0.5."""
    z = x - 1
    series = xp.full_like(z, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], 1):
        series += c / (z + k)
    t = z + _LANCZOS_G + 0.5
    return _HALF_LOG_2PI + (z + 0.5) * xp.log(t) - t + xp.log(series)


@in_double
def lgamma(xp, x):
    """log|Gamma(x)|: +inf at the poles 0, -1, -2, ...; +inf at +-inf."""
    reflect = x < 0.5
    out = _lgamma_positive(xp, xp.where(reflect, 1 - x, x))
    if reflect.any():
        xr = x[reflect]
        out[reflect] = xp.log(math.pi / xp.abs(xp.sin(_pi_times_fraction(xp, xr)))) - out[reflect]
    out[xp.isinf(x)] = xp.inf
    out[(x == 1) | (x == 2)] = 0
    return out


def _digamma_from(xp, x):
    """digamma for x >= 0 (0 gives -inf)."""
    shift = xp.zeros_like(x)
    for _ in range(int(_DIGAMMA_FROM)):
        low = x < _DIGAMMA_FROM
        shift -= xp.where(low, 1 / xp.where(low, x, 1), 0)
        x = xp.where(low, x + 1, x)
    inv2 = 1 / (x * x)
    tail = xp.zeros_like(x)
    for c in reversed(_DIGAMMA_SERIES):
        tail = (tail + c) * inv2
    return shift + xp.log(x) - 0.5 / x - tail


@in_double
def digamma(xp, x):
    """The logarithmic derivative of Gamma: -inf at 0, NaN at the negative integers."""
    negative = x < 0
    out = _digamma_from(xp, xp.where(negative, 1 - x, x))
    if negative.any():
        xn = x[negative]
        pole = xn == xp.floor(xn)
        # psi(x) = psi(1 - x) - pi / tan(pi x)
        tan = xp.tan(_pi_times_fraction(xp, xn))
        out[negative] = xp.where(pole, xp.nan, out[negative] - math.pi / tan)
    out[x == 0] = -xp.copysign(xp.inf, x[x == 0])  # -inf at +0, +inf at -0
    return out


def zeta(xp, s, q):
    """The Hurwitz zeta function sum over k >= 0 of (q + k) ** -s, for s > 1 (NaN below 1, inf
    at 1 and at the poles q = 0, -1, -2, ...); arrays of one float type, broadcast."""
    s, q = xp.broadcast_arrays(s, q)
    dtype = q.dtype
    return _hurwitz(xp, s.astype("float64").reshape(-1),
                    q.astype("float64").reshape(-1)).reshape(q.shape).astype(dtype, copy=False)


def _hurwitz(xp, s, q):
    """zeta(s, q) on flat float64 arrays."""
    negative = (q < 0) & xp.isfinite(q) & (q != xp.floor(q))
    if not negative.any():
        return _hurwitz_from(xp, s, q)
    out = _hurwitz_from(xp, s, xp.where(negative, 1, q))
    sn, qn = s[negative], q[negative]
    # Summing up from a negative q takes |q| terms; for integer s, the terms below 0 are
    # (-1)**s times those of zeta(s, 1 - f) up to m, with q = f - m and 0 < f < 1
    m = xp.ceil(-qn)
    f = qn + m
    parity = xp.where(sn % 2 == 0, 1.0, -1.0)
    below = _hurwitz_from(xp, sn, 1 - f) - _hurwitz_from(xp, sn, m + 1 - f)
    value = parity * below + _hurwitz_from(xp, sn, f)
    out[negative] = xp.where(sn == xp.floor(sn), value, xp.nan)  # (q+k)**-s is complex
    return out


def _hurwitz_from(xp, s, q):
    """zeta(s, q) by direct summation until q + k > 9, then Euler-Maclaurin."""
    total = xp.power(q, -s)
    finite_q = xp.where(xp.isfinite(q) & (q >= 0), q, _ZETA_DIRECT)  # q < 0: a pole here
    steps = xp.maximum(_ZETA_DIRECT, xp.floor(_ZETA_DIRECT - finite_q) + 1)
    a = q.copy()
    for i in range(1, int(steps.max()) + 1):
        more = i <= steps
        a = xp.where(more, a + 1, a)
        total += xp.where(more, xp.power(a, -s), 0)
    w = a
    b = xp.power(a, -s)
    total += b * w / (s - 1) - 0.5 * b
    rising = xp.ones_like(s)
    k = 0.0
    for coefficient in _ZETA_TAIL:
        rising = rising * (s + k)
        b = b / w
        total += rising * b / coefficient
        rising = rising * (s + k + 1)
        b = b / w
        k += 2
    total = xp.where(s == 1, xp.inf, xp.where(s < 1, xp.nan, total))
    pole = (q <= 0) & (q == xp.floor(q))
    return xp.where(pole, xp.inf, total)


@in_double
def polygamma(xp, x, n: int):
    """The n-th derivative of digamma (n >= 0)."""
    if n == 0:
        return digamma(xp, x)
    order = xp.full_like(x, n + 1)
    sign = 1.0 if n % 2 else -1.0
    out = sign * math.factorial(n) * _hurwitz(xp, order, x)
    if n == 1:  # PyTorch's trigamma: 0 at +inf, NaN at -inf
        out = xp.where(xp.isinf(x), xp.where(x > 0, 0.0, xp.nan), out)
    return out


def _bessel_series(xp, x, order: int):
    """I_order(x) by its power series (|x| <= 20), times exp(-|x|)."""
    quarter = x * x / 4
    term = (x / 2) ** order / math.factorial(order)
    total = term.copy()
    for k in range(1, _BESSEL_TERMS):
        term = term * quarter / (k * (k + order))
        total += term
    return total * xp.exp(-xp.abs(x))


def _bessel_asymptotic(xp, x, order: int):
    """exp(-|x|) I_order(x) by Hankel's series (|x| > 20)."""
    y = xp.abs(x)
    mu = 4.0 * order * order
    term = xp.ones_like(y)
    total = term.copy()
    for k in range(1, 30):
        term = term * -(mu - (2 * k - 1) ** 2) / (8 * k * y)
        total += term
    out = total / xp.sqrt(2 * math.pi * y)
    return xp.copysign(out, x) if order % 2 else out


def bessel_scaled(xp, x, order: int):
    """exp(-|x|) I_order(x) for order 0 or 1, in double precision."""
    far = xp.abs(x) > _BESSEL_SERIES_TO
    out = _bessel_series(xp, xp.where(far, 0, x), order)
    if far.any():
        out[far] = _bessel_asymptotic(xp, x[far], order)
    return out


@in_double
def i0e(xp, x):
    return bessel_scaled(xp, x, 0)


@in_double
def i1e(xp, x):
    return bessel_scaled(xp, x, 1)


@in_double
def i0(xp, x):
    return bessel_scaled(xp, x, 0) * xp.exp(xp.abs(x))


@in_double
def i1(xp, x):
    return bessel_scaled(xp, x, 1) * xp.exp(xp.abs(x))


_INCOMPLETE_TERMS = 300
_TINY = 1e-300


def _incomplete_series(xp, a, x, log_prefix):
    """P(a, x) by its power series (x < a + 1)."""
    term = 1 / a
    total = term.copy()
    for n in range(1, _INCOMPLETE_TERMS):
        term = term * x / (a + n)
        total += term
    return total * xp.exp(log_prefix)


def _incomplete_fraction(xp, a, x, log_prefix):
    """Q(a, x) by Legendre's continued fraction, evaluated with Lentz's method (x >= a + 1)."""
    b = x + 1 - a
    c = xp.full_like(x, 1 / _TINY)
    d = 1 / b
    h = d.copy()
    for i in range(1, _INCOMPLETE_TERMS):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = xp.where(xp.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < _TINY, _TINY, c)
        d = 1 / d
        h = h * d * c
    return h * xp.exp(log_prefix)


def gamma_incomplete(xp, a, x, upper: bool):
    """The regularized lower (``upper=False``) or upper incomplete gamma function; arrays of
    one float type, broadcast. NaN for a <= 0 or x < 0."""
    a, x = xp.broadcast_arrays(a, x)
    shape, dtype = x.shape, x.dtype
    a = a.astype("float64").reshape(-1)
    x = x.astype("float64").reshape(-1)
    valid = (a > 0) & (x >= 0)
    safe_a, safe_x = xp.where(valid, a, 1.0), xp.where(valid & (x > 0), x, 1.0)
    safe_x = xp.where(xp.isinf(safe_x), 1.0, safe_x)
    log_prefix = safe_a * xp.log(safe_x) - safe_x - lgamma(xp, safe_a)
    by_series = safe_x < safe_a + 1
    lower = _incomplete_series(xp, safe_a, safe_x, log_prefix)
    upper_part = _incomplete_fraction(xp, safe_a, xp.where(by_series, safe_a + 2, safe_x),
                                      log_prefix)
    p = xp.where(by_series, lower, 1 - upper_part)
    q = xp.where(by_series, 1 - lower, upper_part)
    out = q if upper else p
    out = xp.where(x == 0, 1.0 if upper else 0.0, out)
    out = xp.where(xp.isposinf(x), 0.0 if upper else 1.0, out)
    # PyTorch's limits: a shape of 0 puts all the mass at 0, an infinite one at infinity.
    at_zero = (a == 0) & (x > 0)
    out = xp.where(at_zero, 0.0 if upper else 1.0, out)
    out = xp.where(xp.isposinf(a) & xp.isfinite(x), 1.0 if upper else 0.0, out)
    out = xp.where(xp.isposinf(a) & xp.isposinf(x), xp.nan, out)
    out = xp.where(valid | at_zero | xp.isnan(a) | xp.isnan(x), out, xp.nan)
    # x = 0 and x = inf decide the value even for a NaN shape
    out = xp.where(xp.isnan(x) | xp.isnan(a) & (x != 0) & ~xp.isposinf(x), xp.nan, out)
    return out.reshape(shape).astype(dtype, copy=False)
