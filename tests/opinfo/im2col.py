"""OpInfos for sliding blocks (ember/ops/im2col.py) against torch's unfold and fold."""
from __future__ import annotations

import torch.nn.functional as TF

from ember.ops import TABLE

from . import OpInfo, Sample
from . import samples as S

# (kernel_size, dilation, padding, stride)
GEOMETRIES = [((2, 2), (1, 1), (0, 0), (1, 1)), ((2, 3), (1, 2), (1, 0), (2, 1)),
              ((3, 3), (1, 1), (1, 1), (2, 2))]


def _unfold_samples(rng, dt):
    return [Sample((S.randn(rng, (2, 3, 5, 6), dt), *g)) for g in GEOMETRIES]


def _fold_samples(rng, dt):
    out = []
    for g in GEOMETRIES:
        n_cols = TF.unfold(__import__("torch").zeros(1, 1, 5, 6), *g).shape
        out.append(Sample((S.randn(rng, (2, 3 * n_cols[1], n_cols[2]), dt), (5, 6), *g)))
    return out


OPINFOS = [
    OpInfo("im2col", _unfold_samples, ember_fn=TABLE["im2col"].fn, torch_fn=TF.unfold,
           gradgradcheck=True),
    OpInfo("col2im", _fold_samples, ember_fn=TABLE["col2im"].fn, torch_fn=TF.fold,
           gradgradcheck=True),
]
