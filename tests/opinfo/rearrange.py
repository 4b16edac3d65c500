"""OpInfos for rearranging and repeating entries (`ember/ops/rearrange.py`)."""
from __future__ import annotations

import numpy as np
import torch

import ember

from . import OpInfo, Sample
from . import samples as S
from .samples import shaped


def _repeat_interleave_samples(rng, dtype):
    x = S.randn(rng, (3, 4), dtype)
    counts = rng.integers(0, 3, size=4)
    return [Sample((x, 2)), Sample((x, 3, 0)), Sample((x, counts, 1)), Sample((x, counts[:3], 0)),
            Sample((S.randn(rng, (5,), dtype), np.array([2]))),
            Sample((x, counts[:3], -2), {"output_size": int(counts[:3].sum())})]


def _segment_sum_samples(rng, dtype):
    return [Sample((S.randn(rng, (6, 3), dtype), [2, 0, 3, 1], 0)),
            Sample((S.randn(rng, (2, 5), dtype), [0, 5, 0], 1)),
            Sample((S.randn(rng, (4,), dtype), [1, 1, 2, 0], -1))]


def _torch_segment_sum(x, counts, dim):
    groups = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    shape = list(x.shape)
    shape[dim] = len(counts)
    return torch.zeros(shape, dtype=x.dtype).index_add(dim, groups, x)


def _kron_samples(rng, dtype):
    pairs = [((2, 3), (3, 2)), ((2,), (3,)), ((2, 3), (4,)), ((), (2, 2)), ((2, 1, 2), (3, 2))]
    return [Sample((S.randn(rng, a, dtype), S.randn(rng, b, dtype))) for a, b in pairs]


OPINFOS = [
    OpInfo("flip", shaped(((3, 4), (0,)), ((2, 3, 4), (0, -1)), ((3, 4), (1,)), ((), ()))),
    OpInfo("fliplr", shaped(((3, 4),), ((2, 3, 4),))),
    OpInfo("flipud", shaped(((3, 4),), ((5,),))),
    OpInfo("roll", shaped(((3, 4), 1), ((3, 4), -5, 0), ((2, 3, 4), (1, 2), (0, -1)),
                          ((3, 4), (7,)))),
    OpInfo("rot90", shaped(((3, 4),), ((3, 4), 2), ((3, 4), -1), ((2, 3, 4), 3, (2, 0)),
                           ((3, 4), 4))),
    OpInfo("repeat", shaped(((3, 4), (2, 1)), ((3,), (2, 2)), ((2, 3), (1, 2, 3)), ((), (2,)),
                            ((), ())),
           ember_fn=lambda x, *s: x.repeat(*s), torch_fn=lambda x, *s: x.repeat(*s)),
    OpInfo("tile", shaped(((3, 4), (2,)), ((3,), (2, 2)), ((2, 3), (1, 2, 3)), ((2, 3), (2,)))),
    OpInfo("repeat_interleave", _repeat_interleave_samples),
    OpInfo("_segment_sum", _segment_sum_samples, ember_fn=ember.ops.TABLE["_segment_sum"].fn,
           torch_fn=_torch_segment_sum),
    OpInfo("tril", shaped(((4, 5),), ((4, 5), 1), ((2, 4, 3), -1), ((3, 3), 5))),
    OpInfo("triu", shaped(((4, 5),), ((4, 5), 1), ((2, 4, 3), -1), ((3, 3), -5))),
    OpInfo("tril_indices", lambda rng, dt: [Sample((3, 4)), Sample((4, 3, 1)), Sample((3, 3, -5)),
                                            Sample((0, 2))], grad=False),
    OpInfo("triu_indices", lambda rng, dt: [Sample((3, 4)), Sample((4, 3, -1)), Sample((3, 3, 5))],
           grad=False),
    OpInfo("diag_embed", shaped(((3,),), ((2, 3), 1), ((2, 3), -2, 0, 2), ((2, 3), 0, -1, 0))),
    OpInfo("diag", shaped(((3,),), ((3,), 1), ((3,), -2), ((3, 4),), ((3, 4), 1), ((4, 3), -2))),
    OpInfo("diagflat", shaped(((3,),), ((2, 2), 1), ((2, 3), -1))),
    OpInfo("trace", shaped(((3, 3),), ((3, 5),), ((4, 2),))),
    # torch.kron itself raises on some non-contiguous layouts ("view size is not compatible").
    OpInfo("kron", _kron_samples, noncontiguous=False),
]
