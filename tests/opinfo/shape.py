"""OpInfos for views and shape changes (`ember/ops/shape.py`)."""
from __future__ import annotations

import numpy as np
import torch

import ember

from . import OpInfo, Sample
from . import samples as S
from .samples import shaped


def _method(name, *args):
    """Call the tensor method ``name`` (for ops PyTorch has only as methods)."""
    return lambda x, *a, **k: getattr(x, name)(*a, *args, **k)


def _pairs(*cases):
    """Samples of two tensors ``(shape_a, shape_b)``."""
    def samples(rng, dtype):
        return [Sample((S.randn(rng, a, dtype), S.randn(rng, b, dtype))) for a, b in cases]
    return samples


def _storage_positions(shape, strides, offset):
    at = np.full(shape, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        at += (np.arange(n) * s).reshape((n,) + (1,) * (len(shape) - d - 1))
    return torch.from_numpy(at)


def _torch_restride(x, source, target):
    source_at, target_at = _storage_positions(*source), _storage_positions(*target)
    length = int(max(source_at.max(), target_at.max())) + 1
    storage = torch.zeros(length, dtype=x.dtype).index_add(0, source_at.reshape(-1),
                                                            x.reshape(-1))
    return storage[target_at]


OPINFOS = [
    OpInfo("view", shaped(((3, 4), 4, 3), ((2, 3, 4), (-1, 4)), ((2, 3, 4), 24),
                          ((), 1, 1), ((0, 3), 3, 0)),
           ember_fn=_method("view"), torch_fn=_method("view"), noncontiguous=False),
    OpInfo("_view_dtype", shaped(((3, 4),), ((2, 3, 4),)), grad=False,
           ember_fn=lambda x: x.view(ember.int32 if x.dtype == ember.float32 else ember.int64),
           torch_fn=lambda x: x.view(torch.int32 if x.dtype == torch.float32 else torch.int64)),
    OpInfo("reshape", shaped(((3, 4), (4, 3)), ((2, 3, 4), (-1,)), ((2, 3, 4), (4, -1, 3)),
                             ((), ()), ((1,), ()))),
    OpInfo("expand", shaped(((3, 1), 3, 4), ((4,), (2, 3, 4)), ((3, 1), -1, 5),
                            ((), (2, 2)), ((1, 4), 1, 4)),
           ember_fn=_method("expand"), torch_fn=_method("expand")),
    OpInfo("unsqueeze", shaped(((3, 4), 1), ((3, 4), -1), ((3, 4), 0), ((), 0), ((3, 4), 2))),
    OpInfo("squeeze", shaped(((3, 1, 4, 1),), ((3, 1, 4), 1), ((3, 1, 4, 1), (1, -1)),
                             ((3, 4), 0), ((1,), 0), ((), 0))),
    OpInfo("permute", shaped(((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (-1, 0, 1)), ((), ()))),
    OpInfo("transpose", shaped(((2, 3, 4), 0, 2), ((3, 4), -1, 0), ((), 0, -1))),
    OpInfo("as_strided", shaped(((4, 5), (3, 3), (1, 2)), ((4, 5), (2, 2), (5, 1), 3),
                                ((12,), (4, 3), (2, 1), 1), ((3, 4), (4, 3), (1, 4))),
           noncontiguous=False),
    OpInfo("_restride", shaped(((3, 3), ((3, 3), (1, 2), 1), ((5, 2), (2, 1), 0)),
                               ((4, 2), ((4, 2), (2, 1), 0), ((2, 3), (3, 1), 1))),
           ember_fn=ember.ops.TABLE["_restride"].fn, torch_fn=_torch_restride),
    OpInfo("unfold", shaped(((4, 6), 1, 3, 2), ((7,), 0, 2, 1), ((3, 4, 5), -1, 5, 1),
                            ((3, 4), 0, 1, 2), ((), 0, 1, 1)),
           ember_fn=_method("unfold"), torch_fn=_method("unfold")),
    OpInfo("view_as", _pairs(((3, 4), (2, 6)), ((6,), (1, 2, 3))), noncontiguous=False,
           ember_fn=_method("view_as"), torch_fn=_method("view_as")),
    OpInfo("reshape_as", _pairs(((3, 4), (2, 6)), ((6,), (1, 2, 3))),
           ember_fn=_method("reshape_as"), torch_fn=_method("reshape_as")),
    OpInfo("expand_as", _pairs(((3, 1), (2, 3, 4)), ((), (2, 2))),
           ember_fn=_method("expand_as"), torch_fn=_method("expand_as")),
    OpInfo("broadcast_to", shaped(((3, 1), (2, 3, 4)), ((4,), (3, 4)), ((), (2,)))),
    OpInfo("broadcast_shapes", lambda rng, dt: [Sample(((3, 1), (1, 4))),
                                                Sample(((2, 1, 1), (4,), ())), Sample((5, 1))],
           grad=False),
    OpInfo("broadcast_tensors", _pairs(((3, 1), (1, 4)), ((2, 1, 4), (3, 1)), ((), (2,)))),
    OpInfo("swapaxes", shaped(((2, 3, 4), 0, 2), ((3, 4), -1, 0))),
    OpInfo("swapdims", shaped(((2, 3, 4), 1, -1))),
    OpInfo("t", shaped(((3, 4),), ((4,),), ((),))),
    OpInfo("adjoint", shaped(((3, 4),), ((2, 3, 4),))),
    OpInfo("movedim", shaped(((2, 3, 4), 0, -1), ((2, 3, 4, 5), (0, 1), (3, 0)),
                             ((2, 3, 4), (2,), (0,)))),
    OpInfo("moveaxis", shaped(((2, 3, 4), -1, 0))),
    OpInfo("flatten", shaped(((2, 3, 4),), ((2, 3, 4), 1), ((2, 3, 4, 5), 1, 2), ((),),
                             ((2, 3), 0, 0))),
    OpInfo("unflatten", shaped(((2, 12), 1, (3, 4)), ((12,), 0, (2, -1, 3)),
                               ((2, 6, 3), -2, (3, 2)))),
    OpInfo("ravel", shaped(((2, 3, 4),), ((),))),
    OpInfo("contiguous", shaped(((2, 3, 4),), ((5,),)),
           ember_fn=_method("contiguous"), torch_fn=_method("contiguous")),
    OpInfo("atleast_1d", shaped(((),), ((3,),), ((2, 3),))),
    OpInfo("atleast_2d", shaped(((),), ((3,),), ((2, 3),), ((2, 3, 4),))),
    OpInfo("atleast_3d", shaped(((),), ((3,),), ((2, 3),), ((2, 3, 4),))),
]
