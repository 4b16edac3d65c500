"""OpInfos for exponentials, logarithms, trigonometry and erf (ember/ops/transcendental.py)."""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S
from .pointwise import ints


def unary(low=None, high=None):
    """Every sample shape within [low, high); with float32, also an int tensor (computed as
    float32, so compared with float32's tolerance)."""
    def samples(rng, dtype):
        lo, hi = (low, high) if low is not None else (-2, 2)
        integers = ints(rng, (4,), int(np.ceil(lo)), int(np.floor(hi)) + 1)
        return S.unary(low, high)(rng, dtype) + (
            [Sample((integers,))] if dtype == np.float32 else [])
    return samples


def _xlogy(rng, dt):
    x = S.randn(rng, (3, 4), dt)
    x[0, :2] = 0
    y = S.randn(rng, (4,), dt, 0.5, 2.0)
    return [Sample((x, y)), Sample((2.0, y)), Sample((x, 1.5))]


def _logit(rng, dt):
    p = S.randn(rng, (3, 4), dt, 0.02, 0.98)
    # with eps=0.1 the input is clamped to [0.1, 0.9]: kinks a finite difference must not straddle
    near_edge = (np.abs(p - 0.1) < 1e-3) | (np.abs(p - 0.9) < 1e-3)
    clamped = np.where(near_edge, 0.5, p).astype(p.dtype)
    return [Sample((p,)), Sample((clamped,), {"eps": 0.1}),
            Sample((S.randn(rng, (5,), dt, 0.1, 0.9),))]


def _erf_range(rng, dt):
    # every branch of the approximation: |x| < 0.47, up to 4, beyond 4, and far tails
    x = np.concatenate([rng.uniform(-0.47, 0.47, 8), rng.uniform(-4, 4, 8),
                        rng.uniform(4, 7, 4), -rng.uniform(4, 7, 4)]).astype(dt)
    return [Sample((x,)), Sample((S.randn(rng, (3, 4), dt),))] + (
        [Sample((ints(rng, (4,)),))] if dt == np.float32 else [])


OPINFOS = [
    OpInfo("exp", unary(), gradgradcheck=True),
    OpInfo("exp2", unary()),
    OpInfo("expm1", unary()),
    OpInfo("log", unary(0.1, 5.0), gradgradcheck=True),
    OpInfo("log2", unary(0.1, 5.0)),
    OpInfo("log10", unary(0.1, 5.0)),
    OpInfo("log1p", unary(-0.5, 3.0)),
    OpInfo("sqrt", unary(0.1, 5.0), gradgradcheck=True),
    OpInfo("rsqrt", unary(0.1, 5.0)),
    OpInfo("sigmoid", unary(), gradgradcheck=True),
    OpInfo("logit", _logit),
    OpInfo("logaddexp", S.binary(scalars=()), gradgradcheck=True),
    OpInfo("logaddexp2", S.binary(scalars=())),
    OpInfo("xlogy", _xlogy, extra={"domain": (0.5, 2.0)}),
    OpInfo("sin", unary(), gradgradcheck=True),
    OpInfo("cos", unary()),
    OpInfo("tan", unary(-1.2, 1.2)),
    OpInfo("asin", unary(-0.9, 0.9)),
    OpInfo("acos", unary(-0.9, 0.9)),
    OpInfo("atan", unary()),
    OpInfo("sinh", unary()),
    OpInfo("cosh", unary()),
    OpInfo("tanh", unary(), gradgradcheck=True),
    OpInfo("asinh", unary()),
    OpInfo("acosh", unary(1.1, 4.0)),
    OpInfo("atanh", unary(-0.9, 0.9)),
    OpInfo("deg2rad", unary()),
    OpInfo("rad2deg", unary()),
    OpInfo("atan2", S.binary(0.5, 2.0, scalars=())),
    OpInfo("hypot", S.binary(0.5, 2.0, scalars=())),
    OpInfo("erf", _erf_range, gradgradcheck=True),
    OpInfo("erfc", _erf_range),
    OpInfo("erfinv", unary(-0.95, 0.95)),
]
