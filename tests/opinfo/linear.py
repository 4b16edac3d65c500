"""OpInfo for the fused affine map (ember/ops/linear.py), against torch.nn.functional.linear."""
from __future__ import annotations

import torch.nn.functional as TF

from ember.ops import TABLE

from . import OpInfo, Sample
from . import samples as S


def _samples(rng, dt):
    return [Sample((S.randn(rng, lead + (5,), dt), S.randn(rng, (3, 5), dt),
                    S.randn(rng, (3,), dt))) for lead in ((), (1,), (4,), (2, 3))]


OPINFOS = [
    OpInfo("linear", _samples, ember_fn=TABLE["linear"].fn, torch_fn=TF.linear,
           gradgradcheck=True),
]
