"""OpInfos for diff, cov, corrcoef, quantiles, msort, renorm, dist and the trapezoidal rule
(ember/ops/statistics.py)."""
from __future__ import annotations

import numpy as np
import torch

import ember

from . import OpInfo, Sample
from . import samples as S


def _diff(rng, dt):
    x = S.randn(rng, (3, 5), dt)
    return [Sample((x,)), Sample((x, 2, 0)), Sample((x,), {"n": 2, "dim": 1}),
            Sample((x, 1, -1, S.randn(rng, (3, 2), dt), S.randn(rng, (3, 1), dt))),
            Sample((S.randn(rng, (6,), dt), 3))]


def _cov(rng, dt):
    x = S.randn(rng, (3, 6), dt)
    f = rng.integers(1, 4, 6)
    a = rng.uniform(0.5, 2.0, 6).astype(dt)
    # the weights go positionally (see _weighted), so the harness turns them into tensors
    return [Sample((x,)), Sample((S.randn(rng, (7,), dt),)), Sample((x,), {"correction": 0}),
            Sample((x, f)), Sample((x, None, a)), Sample((x, f, a), {"correction": 2})]


def _weighted(module):
    def call(x, fweights=None, aweights=None, **kwargs):
        return module.cov(x, fweights=fweights, aweights=aweights, **kwargs)
    return call


def _quantile(rng, dt):
    x = S.randn(rng, (4, 6), dt)
    qs = np.array([0.0, 0.25, 0.6, 1.0], dt)
    out = [Sample((x, 0.3)), Sample((x, qs), no_grad=(1,)), Sample((x, 0.5, 1)),
           Sample((x, qs, 0, True), no_grad=(1,))]
    out += [Sample((x, qs, 1), {"interpolation": mode}, no_grad=(1,))
            for mode in ("lower", "higher", "midpoint", "nearest")]
    out.append(Sample((x, 0.7, None, True)))
    return out


def _nanquantile(rng, dt):
    x = S.randn(rng, (4, 6), dt)
    x[0, 1] = x[2, 3] = np.nan
    empty = x.copy()
    empty[3] = np.nan  # which NaN of an all-NaN row gets the gradient is arbitrary
    return [Sample((x, 0.3, 1)), Sample((x, np.array([0.1, 0.9], dt), 1, True), no_grad=(1,)),
            Sample((S.randn(rng, (5,), dt), 0.4)), Sample((empty, 0.5, 1), no_grad=(0,))]


def _quantile_with_nan(rng, dt):
    return _quantile(rng, dt) + [Sample((_nanquantile(rng, dt)[0].args[0], 0.5, 1))]


def _trapezoid(rng, dt):
    y = S.randn(rng, (3, 5), dt)
    x = np.cumsum(rng.uniform(0.1, 1.0, 5)).astype(dt)
    return [Sample((y,)), Sample((y,), {"dx": 0.5}), Sample((y, x)),
            Sample((y, S.randn(rng, (3, 5), dt)), {"dim": 1}), Sample((y,), {"dim": 0})]


OPINFOS = [
    OpInfo("diff", _diff),
    OpInfo("cov", _cov, ember_fn=_weighted(ember), torch_fn=_weighted(torch)),
    OpInfo("corrcoef", lambda rng, dt: [Sample((S.randn(rng, (3, 6), dt),)),
                                        Sample((S.randn(rng, (6,), dt),))]),
    OpInfo("quantile", _quantile_with_nan),
    OpInfo("nanquantile", _nanquantile),
    OpInfo("msort", S.shaped(((5,),), ((4, 3),))),
    OpInfo("renorm", S.shaped(((4, 3), 2, 0, 1.0), ((2, 3, 4), 1, 1, 0.5), ((3, 4), 3.0, -1, 5.0))),
    OpInfo("dist", lambda rng, dt: [Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (4,), dt), p))
                                    for p in (2, 1, 3.5, float("inf"))]),
    OpInfo("trapezoid", _trapezoid),
    OpInfo("trapz", lambda rng, dt: _trapezoid(rng, dt)[:3]),
    OpInfo("cumulative_trapezoid", _trapezoid),
]
