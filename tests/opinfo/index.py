"""OpInfos for indexing, gather/scatter and the index_* ops (ember/ops/index.py, scatter.py).

Index arguments are int64 arrays drawn with ``rng.integers``; they never get gradients.
Where PyTorch leaves the result of repeated indices unspecified (plain writes), samples use
distinct indices; where repeats accumulate, samples include them on purpose.
"""
from __future__ import annotations

import numpy as np

import ember
from ember.ops import TABLE

from . import OpInfo, Sample
from . import samples as S


def _ints(rng, high, shape):
    return rng.integers(0, high, size=shape).astype(np.int64)


def _distinct(rng, n, k):
    return rng.permutation(n)[:k].astype(np.int64)


def _getitem_samples(rng, dt):
    x = S.randn(rng, (4, 5, 6), dt)
    keys = [1, -1, (slice(None), 2), (Ellipsis, 1), (None, 1, slice(1, None, 2)), ()]
    return [Sample((x, k)) for k in keys] + [Sample((S.randn(rng, (), dt), ()))]


def _index_samples(rng, dt):
    x = S.randn(rng, (4, 5, 6), dt)
    keys = [([0, 2, 2],), (slice(None), [1, 1, 4], slice(0, 3)), ([0, 3], slice(None), [5, 0]),
            (1, slice(None), [0, 0, 3]), (x[..., 0] > 0,)]
    return [Sample((x, k)) for k in keys] + [Sample((x, _ints(rng, 4, (2, 3))))]


def _getitem(x, key):
    return x[key]


def _index_put_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    repeated = (_ints(rng, 4, (6,)), _ints(rng, 5, (6,)))
    return [
        Sample((x, (_distinct(rng, 4, 3),), S.randn(rng, (3, 5), dt))),
        Sample((x, (_distinct(rng, 4, 2),), S.randn(rng, (5,), dt))),
        Sample((x, repeated, S.randn(rng, (6,), dt), True)),
        Sample((x, (_ints(rng, 4, (3,)),), S.randn(rng, (1, 5), dt), True)),
    ]


def _index_put(x, indices, values, accumulate=False):
    return x.index_put(tuple(indices), values, accumulate)


def _dim_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, 0, _ints(rng, 4, (6,)))), Sample((x, -1, _ints(rng, 5, (3,)))),
            Sample((S.randn(rng, (), dt), 0, np.zeros(1, dtype=np.int64)))]


def _gather_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, 0, _ints(rng, 4, (6, 5)))), Sample((x, 1, _ints(rng, 5, (3, 2)))),
            Sample((S.randn(rng, (2, 3, 4), dt), -1, _ints(rng, 4, (2, 3, 7))))]


def _scatter_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    rows = np.stack([_distinct(rng, 4, 3) for _ in range(5)], axis=1)
    return [Sample((x, 0, rows, S.randn(rng, (3, 5), dt))),
            # PyTorch cannot differentiate a source larger than the index: compare x's only
            Sample((x, 0, rows[:2, :3], S.randn(rng, (3, 5), dt)), no_grad=(3,)),
            Sample((x, 1, np.stack([_distinct(rng, 5, 2) for _ in range(4)]), 2.5)),
            # PyTorch has no derivative for reduce=: test_indexing checks ours
            Sample((x, 0, _ints(rng, 4, (6, 5)), S.randn(rng, (6, 5), dt)),
                   {"reduce": "add"}, no_grad=(0, 3))]


def _scatter_add_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, 0, _ints(rng, 4, (6, 5)), S.randn(rng, (6, 5), dt))),
            Sample((x, 1, _ints(rng, 5, (2, 7)), S.randn(rng, (3, 8), dt)), no_grad=(3,))]


def _scatter_reduce_samples(rng, dt):
    out = []
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            x = S.randn(rng, (4, 5), dt)
            src = S.randn(rng, (6, 5), dt)
            if reduce in ("amax", "amin"):  # ties share the gradient: make some
                src[0] = x[0]
                src[1, :] = src[2, :]
            out.append(Sample((x, 0, _ints(rng, 4, (6, 5)), src, reduce),
                              {"include_self": include_self}))
    return out


def _index_add_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, 0, _ints(rng, 4, (6,)), S.randn(rng, (6, 5), dt))),
            Sample((x, 1, _ints(rng, 5, (3,)), S.randn(rng, (4, 3), dt)), {"alpha": 2.0})]


def _index_copy_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, 0, _distinct(rng, 4, 3), S.randn(rng, (3, 5), dt))),
            Sample((x, 1, _distinct(rng, 5, 2), S.randn(rng, (4, 2), dt)))]


def _index_fill_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, 0, _ints(rng, 4, (3,)), -1.5)),
            Sample((x, 1, _ints(rng, 5, (2,)), S.randn(rng, (), dt)))]


def _masked_select_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, rng.random((4, 5)) > 0.5)), Sample((x, rng.random((5,)) > 0.3)),
            Sample((S.randn(rng, (4, 1), dt), rng.random((4, 5)) > 0.5))]


def _masked_scatter_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, rng.random((4, 5)) > 0.5, S.randn(rng, (4, 5), dt))),
            Sample((x, rng.random((5,)) > 0.5, S.randn(rng, (30,), dt)))]


def _take_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, _ints(rng, 20, (7,)))), Sample((x, -_ints(rng, 20, (2, 3)) - 1))]


def _put_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, _distinct(rng, 20, 6).reshape(2, 3), S.randn(rng, (6,), dt))),
            Sample((x, _ints(rng, 20, (8,)), S.randn(rng, (2, 4), dt), True))]


def _take_along_dim_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    return [Sample((x, _ints(rng, 4, (6, 5)), 0)), Sample((x, _ints(rng, 5, (4, 2)), 1)),
            Sample((S.randn(rng, (4, 1), dt), _ints(rng, 4, (2, 3)), 0))]


def _nonzero_samples(rng, dt):
    x = S.randn(rng, (4, 5), dt)
    x[x < 0.3] = 0
    return [Sample((x,)), Sample((np.zeros((2, 0, 3), dtype=dt),)),
            Sample((np.array(2, dtype=dt),))]


def _region_samples(rng, dt):
    a = S.randn(rng, (4, 5), dt)
    return [Sample((a, (2, 3), (5, 1), 6)), Sample((a, (5,), (1,), 15)),
            Sample((a, (4,), (6,), 0)), Sample((a, (2, 2), (1, 5), 3))]


def _scatter_region_samples(rng, dt):
    out = []
    for sample in _region_samples(rng, dt):
        a, shape, strides, offset = sample.args
        out.append(Sample((a, S.randn(rng, shape, dt), shape, strides, offset)))
    return out


def _view_region(a, shape, strides, offset):
    return TABLE["_view_region"].fn(a, ("strided", shape, strides, offset))


def _scatter_region(a, src, shape, strides, offset):
    return TABLE["_scatter_region"].fn(a, src, ("strided", shape, strides, offset))


def _torch_as_strided(a, shape, strides, offset):
    return a.as_strided(shape, strides, offset)


def _torch_as_strided_scatter(a, src, shape, strides, offset):
    # torch.as_strided_scatter's own gradient for `a` is wrong (it keeps only the region);
    # the in-place composite gives the true one.
    out = a.clone()
    out.as_strided(shape, strides, offset).copy_(src)
    return out


FLOATS = (np.float32, np.float64)
ALL = FLOATS + (np.int64, np.bool_)

OPINFOS = [
    OpInfo("getitem", _getitem_samples, ember_fn=_getitem, torch_fn=_getitem,
           gradgradcheck=True),
    OpInfo("index", _index_samples, ember_fn=_getitem, torch_fn=_getitem, gradgradcheck=True),
    OpInfo("index_put", _index_put_samples, ember_fn=_index_put, torch_fn=_index_put,
           gradgradcheck=True),
    OpInfo("index_select", _dim_samples, gradgradcheck=True),
    OpInfo("gather", _gather_samples, gradgradcheck=True),
    OpInfo("scatter", _scatter_samples, gradgradcheck=True),
    OpInfo("scatter_add", _scatter_add_samples, gradgradcheck=True),
    OpInfo("scatter_reduce", _scatter_reduce_samples),
    OpInfo("index_add", _index_add_samples, gradgradcheck=True),
    OpInfo("index_copy", _index_copy_samples, gradgradcheck=True),
    OpInfo("index_fill", _index_fill_samples, gradgradcheck=True),
    OpInfo("masked_select", _masked_select_samples, gradgradcheck=True),
    OpInfo("masked_scatter", _masked_scatter_samples, gradgradcheck=True),
    OpInfo("take", _take_samples, gradgradcheck=True),
    OpInfo("put", _put_samples, gradgradcheck=True),
    OpInfo("take_along_dim", _take_along_dim_samples, gradgradcheck=True),
    OpInfo("nonzero", _nonzero_samples, dtypes=ALL, grad=False),
    OpInfo("argwhere", _nonzero_samples, dtypes=ALL, grad=False),
    # The regions behind in-place ops on views: as_strided on a contiguous base.
    OpInfo("_view_region", _region_samples, ember_fn=_view_region,
           torch_fn=_torch_as_strided, noncontiguous=False, gradgradcheck=True),
    OpInfo("_scatter_region", _scatter_region_samples, ember_fn=_scatter_region,
           torch_fn=_torch_as_strided_scatter, noncontiguous=False, gradgradcheck=True),
]
