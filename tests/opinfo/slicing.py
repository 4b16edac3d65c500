"""OpInfos for partial views and their scatters (`ember/ops/slicing.py`)."""
from __future__ import annotations

import ember

from . import OpInfo, Sample
from . import samples as S
from .samples import shaped


def _scatter_samples(*cases):
    """``(input_shape, src_shape, *args)`` cases for the ``*_scatter`` ops."""
    def samples(rng, dtype):
        return [Sample((S.randn(rng, a, dtype), S.randn(rng, b, dtype), *args))
                for a, b, *args in cases]
    return samples


def _torch_slice(x, dim=0, start=None, end=None, step=1):
    return x[(slice(None),) * (dim % x.dim()) + (slice(start, end, step),)]


OPINFOS = [
    OpInfo("narrow", shaped(((4, 5), 0, 1, 2), ((4, 5), -1, -3, 3), ((4, 5), 1, 5, 0),
                            ((3, 4, 5), 1, 0, 4))),
    OpInfo("select", shaped(((4, 5), 0, 1), ((4, 5), -1, -2), ((3, 4, 5), 1, 3), ((4,), 0, 2))),
    OpInfo("_slice", shaped(((6, 4), 0, 1, 5, 2), ((4, 6), -1, None, -1), ((5,),)),
           ember_fn=ember.ops.TABLE["_slice"].fn, torch_fn=_torch_slice),
    OpInfo("unbind", shaped(((3, 4),), ((3, 4, 2), 1), ((3, 4), -1), ((1, 3), 0))),
    OpInfo("split_with_sizes", shaped(((6, 4), [2, 3, 1]), ((3, 6), [4, 0, 2], 1),
                                      ((3, 6), [6], -1))),
    OpInfo("split", shaped(((7, 4), 2), ((7, 4), [3, 4]), ((3, 7), 3, 1), ((3, 6), 6, 1),
                           ((0, 2), 2))),
    OpInfo("chunk", shaped(((7, 4), 3), ((6, 5), 4), ((3, 7), 2, 1), ((3, 7), 10, -1),
                           ((0, 2), 3))),
    OpInfo("tensor_split", shaped(((7, 4), 3), ((7, 4), [1, 5]), ((3, 7), [5, 2, 12], 1),
                                  ((3, 7), 10, -1), ((3, 7), [-2], 1))),
    OpInfo("hsplit", shaped(((3, 6), 3), ((3, 6), [1, 4]), ((6,), 2), ((2, 4, 3), [1]))),
    OpInfo("vsplit", shaped(((6, 3), 2), ((6, 3), [2, 5]))),
    OpInfo("dsplit", shaped(((2, 3, 4), 2), ((2, 3, 4), [1, 3]))),
    OpInfo("diagonal", shaped(((4, 5),), ((4, 5), 1), ((4, 5), -2), ((4, 5), 7),
                              ((2, 3, 4), 1, 0, 2), ((2, 3, 4), -1, -1, 1))),
    OpInfo("slice_scatter", _scatter_samples(((6, 4), (2, 4), 0, 1, 3),
                                             ((4, 6), (4, 3), 1, 0, None, 2),
                                             ((4, 6), (4, 2), -1, -2))),
    OpInfo("select_scatter", _scatter_samples(((4, 5), (5,), 0, 1), ((4, 5), (4,), -1, -2))),
    OpInfo("diagonal_scatter", _scatter_samples(((4, 5), (4,)), ((4, 5), (4,), 1),
                                                ((2, 3, 4), (2, 2), -1, 1, 2))),
]
