"""OpInfos for sorting, ranks, uniques, histograms and search (ember/ops/sorting.py)."""
from __future__ import annotations

import numpy as np
import torch

import ember

from . import OpInfo, Sample
from . import samples as S


def _ties(rng, dt, shape=(4, 6)):
    return rng.integers(0, 3, shape).astype(dt)


def _sort_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return [Sample((x,)), Sample((x, 0)), Sample((x, -1, True)), Sample((x, 1, False)),
            Sample((x,), {"dim": 1, "descending": True, "stable": True}),
            Sample((_ties(rng, dt),), {"stable": True}),
            Sample((_ties(rng, dt),), {"dim": 0, "descending": True, "stable": True}),
            Sample((S.randn(rng, (), dt),)), Sample((rng.integers(0, 9, (3, 4)),))]


def _argsort_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return [Sample((x,)), Sample((x, 0)), Sample((x, -1, True)),
            Sample((_ties(rng, dt),), {"dim": 1, "descending": True, "stable": True}),
            Sample((_ties(rng, dt),), {"dim": 0, "stable": True})]


def _topk_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return [Sample((x, 2)), Sample((x, 3, 0)), Sample((x, 1, -1, False)),
            Sample((x, 5), {"largest": False}), Sample((x, 0, 1)),
            Sample((S.randn(rng, (6,), dt), 6))]


def _kthvalue_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return [Sample((x, 2)), Sample((x, 1, 0, True)), Sample((x, 3, -1)),
            Sample((x, 4), {"dim": 1, "keepdim": True}), Sample((S.randn(rng, (), dt), 1))]


def _median_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return [Sample((x, 1)), Sample((x, -1, True)), Sample((x, 0)), Sample((x,), {"dim": 2}),
            Sample((S.randn(rng, (), dt), 0))]


def _with_nans(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    x[0, 1] = x[2, 0] = x[2, 3] = np.nan
    x[3] = np.nan
    return x


def _nanmedian_samples(rng, dt):
    return _median_samples(rng, dt) + [Sample((_with_nans(rng, dt), 1)),
                                       Sample((_with_nans(rng, dt), 0, True))]


def _whole_median_samples(rng, dt):
    return [Sample((S.randn(rng, (3, 4, 5), dt),)), Sample((S.randn(rng, (6,), dt),)),
            Sample((S.randn(rng, (), dt),)), Sample((_ties(rng, dt),))]


def _mode_samples(rng, dt):
    return [Sample((_ties(rng, dt),)), Sample((_ties(rng, dt), 0)),
            Sample((_ties(rng, dt, (3, 4, 5)), 1, True)), Sample((S.randn(rng, (), dt),)),
            Sample((rng.integers(0, 3, (4, 6)),))]


def _unique_samples(rng, dt):
    ints = rng.integers(0, 4, (3, 5))
    rows = rng.integers(0, 2, (6, 2))
    return [Sample((ints,)), Sample((ints,), {"return_inverse": True}),
            Sample((ints,), {"return_counts": True, "return_inverse": True}),
            Sample((rows,), {"dim": 0, "return_inverse": True, "return_counts": True}),
            Sample((rows.T.copy(),), {"dim": 1, "return_counts": True}),
            Sample((_ties(rng, dt),)), Sample((np.array(3),)), Sample((np.zeros(0, dt),))]


def _unique_consecutive_samples(rng, dt):
    ints = np.repeat(rng.integers(0, 3, 8), rng.integers(1, 3, 8))
    rows = np.repeat(rng.integers(0, 2, (4, 2)), 2, axis=0)
    return [Sample((ints,)), Sample((ints,), {"return_inverse": True, "return_counts": True}),
            Sample((ints.reshape(-1, 1) if len(ints) else ints,), {"return_inverse": True}),
            Sample((rows,), {"dim": 0, "return_inverse": True, "return_counts": True}),
            Sample((_ties(rng, dt),), {"dim": 1}), Sample((np.zeros(0, np.int64),))]


def _bincount_samples(rng, dt):
    ints = rng.integers(0, 6, 10)
    return [Sample((ints,)), Sample((ints, S.randn(rng, (10,), dt))), Sample((ints, None, 9)),
            Sample((np.zeros(0, np.int64),)), Sample((ints, rng.integers(0, 3, 10)))]


def _histc_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x,)), Sample((x, 7)), Sample((x, 4, -1.0, 1.0)),
            Sample((x,), {"bins": 3, "min": 0, "max": 2}), Sample((np.full(3, 2.0, dt), 4))]


def _histogram_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, 4)), Sample((x, 3), {"range": (-1.0, 1.0)}),
            Sample((x, 5), {"density": True}),
            Sample((x, np.array([-2.0, -0.5, 0.0, 3.0], dt)))]


def _sorted_rows(rng, dt, shape):
    return np.sort(S.randn(rng, shape, dt), axis=-1)


def _searchsorted_samples(rng, dt):
    seq = _sorted_rows(rng, dt, (7,))
    values = S.randn(rng, (3, 4), dt)
    batched = _sorted_rows(rng, dt, (2, 3, 6))
    return [Sample((seq, values)), Sample((seq, values), {"right": True}),
            Sample((seq, seq), {"side": "right"}), Sample((seq, seq), {"out_int32": True}),
            Sample((batched, S.randn(rng, (2, 3, 4), dt))), Sample((seq, 0.25)),
            Sample((np.array([1, 3, 5, 7]), np.array([0, 3, 4, 8])), {"right": True})]


def _bucketize_samples(rng, dt):
    edges = _sorted_rows(rng, dt, (5,))
    values = S.randn(rng, (3, 4), dt)
    return [Sample((values, edges)), Sample((values, edges), {"right": True}),
            Sample((edges, edges)), Sample((edges, edges), {"right": True, "out_int32": True})]


OPINFOS = [
    OpInfo("sort", _sort_samples),
    OpInfo("argsort", _argsort_samples, grad=False),
    OpInfo("topk", _topk_samples),
    OpInfo("kthvalue", _kthvalue_samples),
    OpInfo("median", _median_samples),
    OpInfo("nanmedian", _nanmedian_samples),
    OpInfo("_median_all", _whole_median_samples, ember_fn=ember.median,
           torch_fn=torch.median),
    OpInfo("_nanmedian_all", _whole_median_samples, ember_fn=ember.nanmedian,
           torch_fn=torch.nanmedian),
    # Every mode sample has ties, where finite differences move the mode itself.
    OpInfo("mode", _mode_samples, gradcheck=False),
    OpInfo("unique", _unique_samples, grad=False),
    OpInfo("unique_consecutive", _unique_consecutive_samples, grad=False),
    OpInfo("bincount", _bincount_samples, grad=False, noncontiguous=False),
    OpInfo("histc", _histc_samples, grad=False),
    OpInfo("histogram", _histogram_samples, grad=False),
    OpInfo("searchsorted", _searchsorted_samples, grad=False),
    OpInfo("bucketize", _bucketize_samples, grad=False),
]


def _histogramdd_samples(rng, dt):
    points = rng.uniform(0, 1, (30, 2)).astype(dt)
    edges = [np.array([0.0, 0.3, 1.0], dt), np.array([0.0, 0.5, 0.8, 1.0], dt)]
    return [Sample((points, [3, 4])), Sample((points, 3), {"range": [0.0, 1.0, 0.0, 2.0],
                                                          "density": True}),
            Sample((rng.uniform(0, 1, (2, 10, 3)).astype(dt), 2)), Sample((points, edges))]


OPINFOS.append(OpInfo("histogramdd", _histogramdd_samples, grad=False))
