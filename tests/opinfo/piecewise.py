"""OpInfos for where, masked_fill, clamps, extrema and rounding (ember/ops/piecewise.py).

Samples put values exactly on the edges (ties, clamp bounds) since that is where the
gradient conventions differ between libraries; those come after the first three samples,
which gradcheck's finite differences use and which must stay off the kinks.
"""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S
from .pointwise import ints


def mask(rng, shape):
    return rng.random(shape) < 0.5


def _where(rng, dt):
    return [Sample((mask(rng, (3, 4)), S.randn(rng, (3, 4), dt), S.randn(rng, (3, 4), dt))),
            Sample((mask(rng, (3, 1)), S.randn(rng, (4,), dt), S.randn(rng, (2, 1, 1), dt))),
            Sample((mask(rng, (5,)), S.randn(rng, (5,), dt), 0.0)),
            Sample((mask(rng, (5,)), 1.5, S.randn(rng, (5,), dt))),
            Sample((mask(rng, (5,)), ints(rng, (5,)), 2.5)),
            Sample((mask(rng, (5,)), ints(rng, (5,)), S.randn(rng, (), np.float64)))]


def _masked_fill(rng, dt):
    return [Sample((S.randn(rng, (3, 4), dt), mask(rng, (3, 4)), 2.5)),
            Sample((S.randn(rng, (3, 4), dt), mask(rng, (4,)), S.randn(rng, (), dt))),
            Sample((S.randn(rng, (4,), dt), mask(rng, (2, 4)), -1)),
            Sample((ints(rng, (5,)), mask(rng, (5,)), 1.5))]


def on_grid(rng, shape, dt):
    """Values on a coarse grid, so that ties and exact bounds happen."""
    return (rng.integers(-4, 5, size=shape) / 2).astype(dt)


def _clamp(rng, dt):
    x, grid = S.randn(rng, (3, 4), dt), on_grid(rng, (3, 4), dt)
    return [Sample((x, -0.5, 1.0)),
            Sample((x, S.randn(rng, (4,), dt) - 1, S.randn(rng, (3, 1), dt) + 1)),
            Sample((S.randn(rng, (5,), dt), S.randn(rng, (), dt), None)),
            Sample((grid, -0.5, 1.0)), Sample((grid, None, 0.5)), Sample((grid, 0.0)),
            Sample((grid, on_grid(rng, (4,), dt) - 1, on_grid(rng, (3, 1), dt) + 1.5)),
            Sample((ints(rng, (5,)), -1, 2)), Sample((ints(rng, (5,)), 0.5, None))]


def _one_bound(rng, dt):
    grid = on_grid(rng, (3, 4), dt)
    return [Sample((S.randn(rng, (3, 4), dt), 0.5)),
            Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (4,), dt))),
            Sample((ints(rng, (5,)), 1)), Sample((grid, 0.5)),
            Sample((grid, on_grid(rng, (4,), dt)))]


def _extrema(rng, dt):
    a, b = on_grid(rng, (3, 4), dt), on_grid(rng, (3, 4), dt)
    return [Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (3, 4), dt))),
            Sample((S.randn(rng, (2, 1, 4), dt), S.randn(rng, (3, 1), dt))),
            Sample((ints(rng, (5,)), S.randn(rng, (5,), dt))),
            Sample((a, b)), Sample((a, on_grid(rng, (4,), dt)))]


def _with_nans(rng, dt):
    a, b = S.randn(rng, (3, 4), dt), S.randn(rng, (3, 4), dt)
    a[0, 0] = b[1, 1] = a[2, 2] = b[2, 2] = np.nan
    return _extrema(rng, dt) + [Sample((a, b))]


def _rounding(rng, dt):
    halves = (rng.integers(-8, 9, size=(3, 4)) / 2 + 0.25 * rng.choice([0, 1], (3, 4)))
    return [Sample((S.randn(rng, (5,), dt) * 5,)), Sample((S.randn(rng, (), dt),)),
            Sample((ints(rng, (4,)),)), Sample((halves.astype(dt),))]


def _round(rng, dt):
    return _rounding(rng, dt) + [Sample((S.randn(rng, (3, 4), dt) * 50,), {"decimals": 1}),
                                 Sample((S.randn(rng, (3, 4), dt) * 50,), {"decimals": -1})]


def _frac(rng, dt):
    return [Sample((S.randn(rng, (3, 4), dt) * 5,)), Sample((S.randn(rng, (), dt),))]


def _nan_to_num(rng, dt):
    x = S.randn(rng, (3, 4), dt)
    finite = x.copy()
    x[0, 0], x[1, 1], x[2, 2] = np.nan, np.inf, -np.inf
    return [Sample((finite,)), Sample((ints(rng, (4,)),)), Sample((ints(rng, (4,)),)),
            Sample((x,)), Sample((x,), {"nan": 1.5, "posinf": 10.0, "neginf": -10.0})]


def _copysign(rng, dt):
    a = S.randn(rng, (3, 4), dt)
    a[0, 0] = 0
    return [Sample((a, S.randn(rng, (4,), dt))), Sample((a, -1.0)), Sample((ints(rng, (4,)), -1))]


OPINFOS = [
    OpInfo("where", _where),
    OpInfo("masked_fill", _masked_fill),
    OpInfo("relu", lambda rng, dt: [Sample((S.randn(rng, (5,), dt),)), Sample((ints(rng, (4,)),)),
                                    Sample((ints(rng, (4,)),)),
                                    Sample((on_grid(rng, (3, 4), dt),))],
           gradgradcheck=True),
    OpInfo("clamp", _clamp),
    OpInfo("clamp_min", _one_bound),
    OpInfo("clamp_max", _one_bound),
    OpInfo("maximum", _extrema),
    OpInfo("minimum", _extrema),
    OpInfo("fmax", _with_nans),
    OpInfo("fmin", _with_nans),
    OpInfo("floor", _rounding),
    OpInfo("ceil", _rounding),
    OpInfo("trunc", _rounding),
    OpInfo("round", _round),
    OpInfo("frac", _frac),
    OpInfo("nan_to_num", _nan_to_num),
    OpInfo("copysign", _copysign),
]
