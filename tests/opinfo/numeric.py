"""OpInfos for gcd, lcm, heaviside, nextafter, frexp, ldexp, angle, isin (ember/ops/numeric.py)."""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S


def _integer_pairs(rng, dt):
    a = rng.integers(-30, 30, (3, 4)).astype(dt)
    return [Sample((a, rng.integers(-30, 30, (4,)).astype(dt))),
            Sample((a, rng.integers(0, 5, (3, 1)).astype(dt)))]


def _heaviside(rng, dt):
    x = S.randn(rng, (3, 4), dt)
    x[0, :2] = 0
    return [Sample((x, S.randn(rng, (4,), dt))), Sample((x, np.array(0.5, dt)))]


def _frexp(rng, dt):
    return [Sample((np.concatenate([rng.standard_normal(6) * 100, [0.0, 1.0, -0.25]]).astype(dt),)),
            Sample((S.randn(rng, (3, 4), dt),))]


def _ldexp(rng, dt):
    x = S.randn(rng, (3, 4), dt)
    # negative int exponents are left out: torch's gradient for them is 0 (an integer power)
    return [Sample((x, rng.integers(0, 5, (4,)))), Sample((x, S.randn(rng, (3, 4), dt)))]


def _isin(rng, dt):
    a = rng.integers(0, 10, (3, 4)).astype(dt)
    return [Sample((a, rng.integers(0, 10, (5,)).astype(dt))),
            Sample((a, rng.integers(0, 10, (4,)).astype(dt)), {"invert": True}),
            Sample((a, rng.integers(0, 10, (3,)).astype(dt)), {"assume_unique": True})]


OPINFOS = [
    OpInfo("gcd", _integer_pairs, dtypes=(np.int64, np.int32), extra={"domain": (0, 20)}),
    OpInfo("lcm", _integer_pairs, dtypes=(np.int64, np.int32), extra={"domain": (0, 20)}),
    OpInfo("heaviside", _heaviside, grad=False),
    OpInfo("nextafter", S.binary(scalars=()), grad=False),
    OpInfo("frexp", _frexp, gradcheck=False),  # jumps at powers of two
    OpInfo("ldexp", _ldexp),
    OpInfo("angle", lambda rng, dt: S.unary()(rng, dt) + [
        Sample((np.array([-1.0, 0.0, 2.0, np.nan], dt),))]),
    OpInfo("isin", _isin, dtypes=(np.int64, np.float32), grad=False),
]


def _unravel(rng, dt):
    return [Sample((rng.integers(-24, 24, (5,)).astype(dt), (2, 3, 4))),
            Sample((np.array(7, dt), 10)), Sample((rng.integers(0, 12, (2, 3)).astype(dt), [3, 4]))]


OPINFOS.append(OpInfo("unravel_index", _unravel, dtypes=(np.int64, np.int32), grad=False))
