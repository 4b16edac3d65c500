"""OpInfos for the Tensor API's table ops: fill_, zero_, fill_diagonal_, copy_
(ember/ops/fill.py).

Each runs on a clone, so the gradient reaching the original input is the in-place op's
(zero where the values were overwritten) and a tensor source receives the written gradient.
"""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S


def _fill_samples(rng, dt):
    return [Sample((S.randn(rng, (3, 4), dt), 2.5)),
            Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (), dt))),
            Sample((S.randn(rng, (), dt), S.randn(rng, (), dt)))]


def _copy_samples(rng, dt):
    other = np.float64 if dt == np.float32 else np.float32
    return [Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (3, 4), dt))),
            Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (4,), dt))),
            Sample((S.randn(rng, (2, 3, 4), dt), S.randn(rng, (3, 1), dt))),
            Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (3, 4), other)))]



def _fill_diagonal_samples(rng, dt):
    return [Sample((S.randn(rng, (3, 4), dt), 2.5)),
            Sample((S.randn(rng, (7, 3), dt), -1.0), {"wrap": True}),
            Sample((S.randn(rng, (7, 3), dt), 0.5)),
            Sample((S.randn(rng, (3, 3, 3), dt), 1.0))]


OPINFOS = [
    OpInfo("fill", _fill_samples, ember_fn=lambda x, v: x.clone().fill_(v),
           torch_fn=lambda x, v: x.clone().fill_(v)),
    OpInfo("zero", S.unary(), ember_fn=lambda x: x.clone().zero_(),
           torch_fn=lambda x: x.clone().zero_()),
    OpInfo("fill_diagonal", _fill_diagonal_samples,
           ember_fn=lambda x, *a, **k: x.clone().fill_diagonal_(*a, **k),
           torch_fn=lambda x, *a, **k: x.clone().fill_diagonal_(*a, **k)),
    OpInfo("copy", _copy_samples, ember_fn=lambda x, s: x.clone().copy_(s),
           torch_fn=lambda x, s: x.clone().copy_(s),
           # float32 sources round the copy, so finite differences can't reach 1e-5 there
           gradcheck=False),
]


def _parts(rng, dt):
    return [Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (3, 4), dt))),
            Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (4,), dt))),
            Sample((S.randn(rng, (), dt), S.randn(rng, (2,), dt)))]


def _magnitudes_and_angles(rng, dt):
    # polar's magnitudes are non-negative (its gradient assumes so, as PyTorch's does)
    return [Sample((S.randn(rng, (3, 4), dt, 0.1, 2.0), S.randn(rng, (3, 4), dt))),
            Sample((S.randn(rng, (3, 4), dt, 0.1, 2.0), S.randn(rng, (4,), dt)))]


OPINFOS += [OpInfo("complex", _parts),
            OpInfo("polar", _magnitudes_and_angles, gradgradcheck=True,
                   extra={"domain": (0.1, 2.0)})]
