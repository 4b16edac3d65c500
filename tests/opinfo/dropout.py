"""OpInfos for dropout (ember/ops/dropout.py).

The random ops are compared where their result is determined (eval mode, p = 0, p = 1);
the fused `_dropout` op gets a seeded NumPy stream, and torch applies the mask that stream
defines (keep where the uniform draw is >= p) so forward and gradients can be compared.
"""
from __future__ import annotations

import numpy as np
import torch

from ember.ops import TABLE, COMPOSITES

from . import OpInfo, Sample
from . import samples as S


def _fused_samples(rng, dt):
    return [Sample((S.randn(rng, (3, 4), dt), 0.3, (3, 4))),
            Sample((S.randn(rng, (2, 3, 4), dt), 0.5, (2, 3, 1))),
            Sample((S.randn(rng, (5,), dt), 1.0, (5,)))]


def _fused_ember(x, p, shape):
    return TABLE["_dropout"].fn(x, p, shape, np.random.Generator(np.random.Philox(7)))


def _fused_torch(x, p, shape):
    draw = "float64" if x.dtype == torch.float64 else "float32"
    u = np.random.Generator(np.random.Philox(7)).random(shape, dtype=draw)
    scale = 0.0 if p == 1 else 1 / (1 - p)
    return x * torch.from_numpy((u >= p).astype(u.dtype) * scale)


def _determined(rng, dt):
    x = S.randn(rng, (2, 3, 4), dt)
    return [Sample((x, 0.4, False)), Sample((x, 0.0, True)), Sample((x, 1.0, True))]


def _composite(name):
    return OpInfo(name, _determined, ember_fn=COMPOSITES[name].fn,
                  torch_fn=getattr(torch, name))


OPINFOS = [
    OpInfo("_dropout", _fused_samples, ember_fn=_fused_ember, torch_fn=_fused_torch,
           gradgradcheck=True),
    _composite("dropout"), _composite("feature_dropout"), _composite("alpha_dropout"),
    _composite("feature_alpha_dropout"),
]
