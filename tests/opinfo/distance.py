"""OpInfos for pairwise distances (`ember/ops/distance.py`)."""
from __future__ import annotations

import math

from . import OpInfo, Sample
from . import samples as S


def _cdist_samples(rng, dtype):
    pairs = [((4, 3), (5, 3), {}), ((2, 4, 3), (2, 5, 3), {"p": 1.0}),
             ((2, 1, 4, 3), (3, 5, 3), {"p": 3.0}), ((4, 3), (5, 3), {"p": math.inf}),
             ((4, 3), (5, 3), {"p": 0.5}), ((30, 3), (6, 3), {}),
             ((4, 3), (6, 3), {"compute_mode": "use_mm_for_euclid_dist"}),
             ((4, 3), (2, 3), {"p": 0.0})]
    return [Sample((S.randn(rng, a, dtype), S.randn(rng, b, dtype)), kw) for a, b, kw in pairs]


OPINFOS = [OpInfo("cdist", _cdist_samples)]
