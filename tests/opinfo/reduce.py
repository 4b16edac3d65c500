"""OpInfos for reductions, statistics and norms (ember/ops/reduce.py, ember/ops/stats.py)."""
from __future__ import annotations

import numpy as np
import torch

import ember

from . import OpInfo, Sample
from . import samples as S

INF = float("inf")


def _over_dims(extra=()):
    """dim None / int / negative / tuple, keepdim both ways, and a 0-d input."""
    def samples(rng, dt):
        x = S.randn(rng, (3, 4, 5), dt)
        return [Sample((x,) + extra), Sample((x, 1) + extra), Sample((x, (0, 2), True) + extra),
                Sample((x, -1, False) + extra), Sample((S.randn(rng, (), dt),) + extra),
                Sample((S.randn(rng, (), dt), 0) + extra)]
    return samples


def _with_nans(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    x[0, 1, 2] = x[2, 0, 0] = x[2, 0, 3] = np.nan
    all_nan = x.copy()
    all_nan[1, 2] = np.nan  # a whole slice: its gradient is NaN in torch, last for gradcheck
    return [Sample((x,)), Sample((x, 2)), Sample((x, (0, 1), True)),
            Sample((all_nan,), {"dim": -1}), Sample((all_nan, (0, 2)))]


def _sum_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    ints = rng.integers(-5, 5, (3, 4))
    return _over_dims()(rng, dt) + [Sample((x,), {"dim": [0, 1]}),
                                     Sample((ints,)), Sample((ints > 0, 1))]


def _prod_samples(rng, dt):
    x = S.randn(rng, (3, 4), dt, 0.5, 1.5)
    one_zero, two_zeros = x.copy(), x.copy()
    one_zero[1, 2] = 0
    two_zeros[1, 2] = two_zeros[1, 0] = two_zeros[2, 3] = 0
    return [Sample((x,)), Sample((x, 1)), Sample((x, -1, True)), Sample((one_zero,)),
            Sample((one_zero, 1)), Sample((two_zeros, 1)), Sample((two_zeros, 0, True)),
            Sample((two_zeros,)), Sample((S.randn(rng, (), dt),)),
            Sample((rng.integers(1, 4, (3, 4)), 0))]


def _ties(rng, dt):
    x = rng.integers(0, 3, (4, 5)).astype(dt)
    return [Sample((x,)), Sample((x, 1)), Sample((x, (0, 1), True))]


def _extreme_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return [Sample((x,)), Sample((x, 1)), Sample((x, -1, True)), Sample((x,), {"dim": 0}),
            Sample((S.randn(rng, (), dt), 0)), Sample((rng.integers(0, 9, (3, 4)), 1))]


def _whole_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    nans = x.copy()
    nans[0, 1, 2] = nans[2, 2, 2] = np.nan  # the NaNs share the gradient
    ties = rng.integers(0, 3, (4, 5)).astype(dt)  # past the 3 samples gradcheck takes
    return [Sample((x,)), Sample((S.randn(rng, (), dt),)), Sample((rng.integers(0, 9, (3, 4)),)),
            Sample((ties,)), Sample((nans,))]


def _arg_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return [Sample((x,)), Sample((x, 1)), Sample((x, -1, True)), Sample((x, None, True)),
            Sample((S.randn(rng, (), dt),)), Sample((S.randn(rng, (), dt), 0)),
            Sample((rng.integers(0, 3, (4, 5)), 1))]


def _logical_samples(rng, dt):
    x = S.randn(rng, (3, 4), dt)
    x[1, 2] = x[0] = 0
    mask = rng.random((3, 4)) > 0.3
    return [Sample((x,)), Sample((x, 1)), Sample((mask, (0, 1), True)), Sample((mask, -1)),
            Sample((mask.astype(np.uint8),)), Sample((np.ones((2, 0), bool), 1))]


def _count_samples(rng, dt):
    x = S.randn(rng, (3, 4), dt)
    x[1, 2] = x[0] = 0
    return [Sample((x,)), Sample((x, 1)), Sample((x, (0, 1))), Sample((x > 0, -1))]


def _aminmax_samples(rng, dt):
    x = S.randn(rng, (3, 4), dt)
    return [Sample((x,)), Sample((x,), {"dim": 1}), Sample((x,), {"dim": -1, "keepdim": True})]


def _moment_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return [Sample((x,)), Sample((x, 1)), Sample((x,), {"dim": (0, 2), "keepdim": True}),
            Sample((x, -1), {"correction": 0}), Sample((x, 1, False, True)),
            Sample((x, True)), Sample((x,), {"unbiased": False}),
            Sample((x,), {"dim": 1, "correction": 2})]


def _norm_samples(rng, dt):
    x = S.randn(rng, (3, 4), dt)
    zero_row = x.copy()
    zero_row[1] = 0
    return [Sample((x,)), Sample((x, 1)), Sample((x, INF, 1)), Sample((x, -INF)),
            Sample((x, 3, (0, 1), True)), Sample((x, "fro", (0, 1))), Sample((x, 0.5, 1)),
            Sample((x, 0, 0)), Sample((x, 2, -1, True)), Sample((zero_row, 2, 1)),
            Sample((x,), {"p": 1.5, "dim": 0, "dtype": None})]


def _logsumexp_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    big = x * 300
    ints = [Sample((rng.integers(0, 5, (3, 4)), 1))] if dt == np.float32 else []  # -> float32
    return [Sample((x, 1)), Sample((x, (0, 2), True)), Sample((big, -1)),
            Sample((S.randn(rng, (), dt), 0))] + ints


OPINFOS = [
    OpInfo("sum", _sum_samples),
    OpInfo("nansum", _with_nans),
    OpInfo("mean", _over_dims()),
    OpInfo("nanmean", _with_nans),
    OpInfo("prod", _prod_samples),
    OpInfo("amax", lambda rng, dt: _over_dims()(rng, dt) + _ties(rng, dt)),
    OpInfo("amin", lambda rng, dt: _over_dims()(rng, dt) + _ties(rng, dt)),
    OpInfo("max", _extreme_samples),
    OpInfo("_max_all", _whole_samples, ember_fn=ember.max, torch_fn=torch.max),
    OpInfo("_min_all", _whole_samples, ember_fn=ember.min, torch_fn=torch.min),
    OpInfo("min", _extreme_samples),
    OpInfo("aminmax", _aminmax_samples),
    OpInfo("argmax", _arg_samples, grad=False),
    OpInfo("argmin", _arg_samples, grad=False),
    OpInfo("all", _logical_samples, grad=False),
    OpInfo("any", _logical_samples, grad=False),
    OpInfo("count_nonzero", _count_samples, grad=False),
    OpInfo("var", _moment_samples),
    OpInfo("std", _moment_samples),
    OpInfo("var_mean", _moment_samples),
    OpInfo("std_mean", _moment_samples),
    OpInfo("norm", _norm_samples),
    OpInfo("logsumexp", _logsumexp_samples),
]
