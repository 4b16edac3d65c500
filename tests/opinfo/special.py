"""OpInfos for the special functions (ember/ops/special.py): gamma family, Bessel, zeta..."""
from __future__ import annotations

import numpy as np
import torch

import ember

from . import OpInfo, Sample
from . import samples as S


def _gamma_range(rng, dt):
    # positive, near the zeros of lgamma and digamma's root, large, and negative non-integers
    x = np.concatenate([rng.uniform(0.1, 12, 8), [0.9, 1.1, 1.46, 2.0, 30.5],
                        -rng.uniform(0.1, 5, 6) - 0.05]).astype(dt)
    x = np.where(np.abs(x - np.round(x)) < 0.05, x + 0.1, x).astype(dt)  # off the poles
    return [Sample((x,)), Sample((S.randn(rng, (3, 4), dt, 0.2, 6.0),))]


def _polygamma(rng, dt):
    x = S.randn(rng, (3, 4), dt, 0.3, 8.0)
    neg = (-rng.uniform(0.2, 0.8, 5) - rng.integers(0, 4, 5)).astype(dt)
    return [Sample((n, x)) for n in (0, 1, 2, 3)] + [Sample((2, neg))]


def _bessel(rng, dt):
    x = np.concatenate([rng.uniform(-5, 5, 8), rng.uniform(15, 25, 3), -rng.uniform(15, 30, 3),
                        [0.0]]).astype(dt)
    return [Sample((x,)), Sample((S.randn(rng, (2, 3), dt),))]


def _positive_pairs(rng, dt):
    x = S.randn(rng, (3, 4), dt)
    x[0, :2] = 0
    return [Sample((x, S.randn(rng, (4,), dt, 0.5, 2.0))), Sample((x, 1.5)),
            Sample((2.0, S.randn(rng, (4,), dt, -0.5, 2.0)))]


def _zeta(rng, dt):
    return [Sample((S.randn(rng, (3, 4), dt, 1.5, 5.0), S.randn(rng, (4,), dt, 0.3, 4.0))),
            Sample((S.randn(rng, (5,), dt, 2.0, 3.0), 2.5))]


def _special(name):
    return {"ember_fn": getattr(ember.special, name), "torch_fn": getattr(torch.special, name)}


def _mvlgamma(name):
    def samples(rng, dt):
        return [Sample((S.randn(rng, (3, 4), dt, 2.0, 6.0), p)) for p in (1, 3)]
    return samples


OPINFOS = [
    OpInfo("lgamma", _gamma_range, gradgradcheck=True),
    OpInfo("digamma", _gamma_range),
    OpInfo("polygamma", _polygamma, rtol=1e-6),  # torch computes float32 in float32
    OpInfo("mvlgamma", _mvlgamma("mvlgamma")),
    OpInfo("special_multigammaln", _mvlgamma("multigammaln"), **_special("multigammaln")),
    OpInfo("i0", _bessel, gradgradcheck=True),
    OpInfo("special_i0e", _bessel, **_special("i0e")),
    OpInfo("special_i1", _bessel, **_special("i1")),
    OpInfo("special_i1e", _bessel, **_special("i1e")),
    OpInfo("sinc", lambda rng, dt: S.unary()(rng, dt) + [Sample((np.array([0.0, 1.0, -2.5],
                                                                          dt),))]),
    OpInfo("special_erfcx", lambda rng, dt: [Sample((np.concatenate(
        [rng.uniform(-3, 3, 8), rng.uniform(4, 30, 4)]).astype(dt),))], **_special("erfcx")),
    OpInfo("special_ndtri", lambda rng, dt: [Sample((np.concatenate(
        [rng.uniform(0.02, 0.98, 8), [1e-3, 1 - 1e-4]]).astype(dt),))], **_special("ndtri")),
    OpInfo("special_ndtr", S.unary(-4, 4), **_special("ndtr")),
    OpInfo("special_log_ndtr", lambda rng, dt: [Sample((np.concatenate(
        [rng.uniform(-3, 3, 8), -rng.uniform(5, 30, 3)]).astype(dt),))], **_special("log_ndtr")),
    OpInfo("special_zeta", _zeta, grad=False, **_special("zeta")),
    OpInfo("special_xlog1py", _positive_pairs, extra={"domain": (0.5, 2.0)},
           **_special("xlog1py")),
    OpInfo("special_entr", S.unary(0.1, 3.0), **_special("entr")),
]


def _incomplete(rng, dt):
    a = S.randn(rng, (3, 4), dt, 0.3, 8.0)
    return [Sample((a, S.randn(rng, (4,), dt, 0.1, 12.0)), no_grad=(0,)),
            Sample((a, S.randn(rng, (3, 4), dt, 5.0, 20.0)), no_grad=(0,))]


# torch is good to ~1e-9 here. The shape parameter has no derivative (in PyTorch either), so
# the broadcasting check can't differentiate both inputs: the other's gradient is checked in
# tests/test_special.py
OPINFOS += [OpInfo("igamma", _incomplete, rtol=1e-8, grad=False),
            OpInfo("igammac", _incomplete, rtol=1e-8, grad=False)]
