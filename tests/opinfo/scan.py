"""OpInfos for cumulative ops (ember/ops/scan.py)."""
from __future__ import annotations

from . import OpInfo, Sample
from . import samples as S


def _scan_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return [Sample((x, 1)), Sample((x, -1)), Sample((x, 0)), Sample((x,), {"dim": 2}),
            Sample((S.randn(rng, (), dt), 0)), Sample((S.randn(rng, (7,), dt), 0))]


def _cumsum_samples(rng, dt):
    return _scan_samples(rng, dt) + [Sample((rng.integers(-5, 5, (3, 4)), 1)),
                                     Sample((rng.random((3, 4)) > 0.5, 0))]


def _cumprod_samples(rng, dt):
    x = S.randn(rng, (3, 5), dt, 0.5, 1.5)
    one_zero, two_zeros = x.copy(), x.copy()
    one_zero[0, 2] = one_zero[2, 0] = 0
    two_zeros[1, 1] = two_zeros[1, 3] = two_zeros[2, 4] = 0
    return _scan_samples(rng, dt) + [Sample((one_zero, 1)), Sample((two_zeros, 1)),
                                     Sample((two_zeros, 0)), Sample((one_zero, -1)),
                                     Sample((rng.integers(1, 4, (3, 4)), 1))]


def _ties_samples(rng, dt):
    return _scan_samples(rng, dt) + [Sample((rng.integers(0, 3, (4, 6)).astype(dt), 1)),
                                     Sample((rng.integers(0, 9, (3, 4)), 0))]


def _logcumsumexp_samples(rng, dt):
    x = S.randn(rng, (3, 4, 5), dt)
    return _scan_samples(rng, dt) + [Sample((x * 300, 1))]


OPINFOS = [
    OpInfo("cumsum", _cumsum_samples, gradgradcheck=True),
    OpInfo("cumprod", _cumprod_samples),
    OpInfo("cummax", _ties_samples),
    OpInfo("cummin", _ties_samples),
    # The x * 300 sample's gradient cancels positive and negative parts: float32 gets about
    # 3e-4 absolute error on either side (both measured against float64), so the two can
    # differ by more than the default 1e-4; float64 is held exactly by gradcheck.
    OpInfo("logcumsumexp", _logcumsumexp_samples, atol=1e-3),
]
