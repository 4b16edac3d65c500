"""OpInfos for softmax and log_softmax (ember/ops/softmax.py)."""
from __future__ import annotations

from . import OpInfo, Sample
from . import samples as S


def _samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return [Sample((x, 0)), Sample((x, -1)), Sample((x * 50, 1)), Sample((S.randn(rng, (), dt), 0))]


OPINFOS = [
    OpInfo("softmax", _samples, gradgradcheck=True),
    OpInfo("log_softmax", _samples, gradgradcheck=True),
]
