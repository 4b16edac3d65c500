"""OpInfos for the fused normalizations (ember/ops/norm.py), against torch.nn.functional."""
from __future__ import annotations

import torch.nn.functional as TF

from ember.ops import TABLE

from . import OpInfo, Sample
from . import samples as S


def _batch_samples(rng, dt):
    out = []
    for shape in ((6, 3), (4, 3, 5), (2, 3, 4, 5), (2, 2, 3, 2, 2), (3, 7, 5, 3)):
        c = shape[1]
        x = S.randn(rng, shape, dt) * 3 + 1
        out.append(Sample((x, S.randn(rng, (c,), dt), S.randn(rng, (c,), dt)), {"eps": 1e-5}))
    return out


def _affine_samples(rng, dt):
    """batch norm's samples, with the scale and shift an eval-mode batch norm folds to"""
    return [Sample(s.args, {}) for s in _batch_samples(rng, dt)]


def _channel_view(t, ndim):
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _layer_samples(rng, dt):
    out = []
    for shape, k in (((4, 6), 1), ((2, 3, 5), 2), ((7,), 1), ((2, 3, 4), 3)):
        x = S.randn(rng, shape, dt) * 2 - 1
        normalized = shape[len(shape) - k:]
        out.append(Sample((x, S.randn(rng, normalized, dt), S.randn(rng, normalized, dt)),
                          {"k": k, "eps": 1e-5}))
    return out


OPINFOS = [
    OpInfo("batch_norm", _batch_samples, gradgradcheck=True,
           ember_fn=lambda x, w, b, eps: TABLE["batch_norm"].fn(x, w, b, eps)[0],
           torch_fn=lambda x, w, b, eps: TF.batch_norm(x, None, None, w, b, True, 0.1, eps)),
    # eval-mode batch norm: the running statistics as one scale and shift
    OpInfo("channel_affine", _affine_samples, gradgradcheck=True,
           ember_fn=lambda x, s, b: TABLE["channel_affine"].fn(x, s, b),
           torch_fn=lambda x, s, b: x * _channel_view(s, x.dim()) + _channel_view(b, x.dim())),
    OpInfo("layer_norm", _layer_samples, gradgradcheck=True,
           ember_fn=lambda x, w, b, k, eps: TABLE["layer_norm"].fn(x, w, b, k, eps)[0],
           torch_fn=lambda x, w, b, k, eps: TF.layer_norm(x, x.shape[x.dim() - k:], w, b,
                                                          eps)),
]
