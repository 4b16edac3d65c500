"""OpInfos for elementwise arithmetic (ember/ops/pointwise.py).

Samples mix broadcasting pairs, Python numbers on either side, and integer tensors (which
check PyTorch's result dtypes; the harness gives gradients to float arrays only).
"""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S


def ints(rng, shape, low=-5, high=6, dtype=np.int64):
    return rng.integers(low, high, size=shape).astype(dtype)


def away_from_zero(rng, shape, dtype, low=0.5, high=2.0):
    """Values of random sign whose magnitude lies in [low, high)."""
    magnitude = rng.uniform(low, high, size=shape)
    return np.asarray(magnitude * rng.choice([-1.0, 1.0], size=shape), dtype=dtype)


def _with(samples, extra):
    def both(rng, dtype):
        return samples(rng, dtype) + extra(rng, dtype)
    return both


def _alpha(rng, dt):
    return [Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (4,), dt)), {"alpha": 2}),
            Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (3, 4), dt)), {"alpha": -0.5}),
            Sample((ints(rng, (3,)), ints(rng, (3,))), {"alpha": 3}),
            Sample((ints(rng, (3,)), S.randn(rng, (3,), dt)))]


def _integer_pairs(rng, dt):
    return [Sample((ints(rng, (3, 4)), ints(rng, (4,), 1, 4))),
            Sample((ints(rng, (5,), dtype=np.int32), 3)),
            Sample((ints(rng, (5,), dtype=np.uint8, low=0), ints(rng, (5,), 1, dtype=np.int8)))]


def _div(rng, dt):
    x, y = away_from_zero(rng, (3, 4), dt), away_from_zero(rng, (4,), dt)
    i, j = ints(rng, (6,), -9, 10), ints(rng, (6,), 1, 4) * rng.choice([-1, 1], size=6)
    return [Sample((x, y)), Sample((x, 2.5)), Sample((2.0, y)),
            Sample((x, y), {"rounding_mode": "floor"}), Sample((x, y), {"rounding_mode": "trunc"}),
            Sample((i, j)), Sample((i, j), {"rounding_mode": "floor"}),
            Sample((i, j), {"rounding_mode": "trunc"}), Sample((i, 2.5))]


def _modulo(rng, dt):
    # |a / b| < 1 keeps the quotient's floor constant near every sample: gradients are smooth
    a = away_from_zero(rng, (3, 4), dt, 0.5, 2.0)
    b = rng.uniform(2.5, 4.0, size=(4,)).astype(dt)
    i, j = ints(rng, (6,), -9, 10), ints(rng, (6,), 1, 4) * rng.choice([-1, 1], size=6)
    return [Sample((a, b)), Sample((a, 3.0)), Sample((i, j)), Sample((i, 3))]


def _pow(rng, dt):
    base = S.randn(rng, (3, 4), dt, 0.5, 2.0)
    return [Sample((base, S.randn(rng, (3, 4), dt))),
            Sample((base, S.randn(rng, (4,), dt))),
            Sample((S.randn(rng, (3, 4), dt), 2)),
            Sample((base, 0.5)),
            Sample((2.0, S.randn(rng, (3, 4), dt))),
            Sample((S.randn(rng, (5,), dt), 0)),
            Sample((ints(rng, (5,)), 2)), Sample((2, ints(rng, (5,), 0, 5))),
            Sample((ints(rng, (5,)), 0.5))]


def _addc(positive_divisor):
    def samples(rng, dt):
        t2 = (away_from_zero(rng, (4,), dt) if positive_divisor else S.randn(rng, (4,), dt))
        return [Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (3, 1), dt), t2)),
                Sample((S.randn(rng, (4,), dt), S.randn(rng, (2, 4), dt), t2), {"value": 0.5}),
                Sample((S.randn(rng, (), dt), S.randn(rng, (3,), dt), S.randn(rng, (3,), dt)
                        if not positive_divisor else away_from_zero(rng, (3,), dt)),
                       {"value": -2})]
    return samples


def _lerp(rng, dt):
    return [Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (3, 4), dt), 0.3)),
            Sample((S.randn(rng, (3, 4), dt), S.randn(rng, (4,), dt), S.randn(rng, (3, 1), dt))),
            Sample((S.randn(rng, (4,), dt), S.randn(rng, (4,), dt), S.randn(rng, (), dt)))]


def _unary_with_ints(low=None, high=None):
    return _with(S.unary(low, high), lambda rng, dt: [Sample((ints(rng, (4,)),))])


def _complex_samples(rng, dt):
    shape = (3, 4)
    return [Sample(((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt),))]


OPINFOS = [
    OpInfo("add", _with(S.binary(), _alpha), gradgradcheck=True),
    OpInfo("sub", _with(S.binary(), _alpha)),
    OpInfo("rsub", _with(S.binary(), _alpha)),
    OpInfo("mul", _with(S.binary(), _integer_pairs), gradgradcheck=True),
    OpInfo("div", _div, gradgradcheck=True),
    OpInfo("floor_divide", _with(lambda rng, dt: [s for s in _div(rng, dt) if not s.kwargs],
                                 _integer_pairs), grad=False),
    OpInfo("remainder", _modulo, extra={"domain": (2.5, 4.0)}),
    OpInfo("fmod", _modulo, extra={"domain": (2.5, 4.0)}),
    OpInfo("neg", _unary_with_ints()),
    OpInfo("pow", _pow, gradgradcheck=True),
    OpInfo("float_power", lambda rng, dt: [
        Sample((S.randn(rng, (3, 4), dt, 0.5, 2.0), S.randn(rng, (4,), dt))),
        Sample((S.randn(rng, (3,), dt, 0.5, 2.0), 3)), Sample((ints(rng, (4,)), 2))],
        atol=1e-6, rtol=1e-6),
    OpInfo("addcmul", _addc(False), gradgradcheck=True),
    OpInfo("addcdiv", _addc(True)),
    OpInfo("lerp", _lerp),
    OpInfo("square", _unary_with_ints(), gradgradcheck=True),
    OpInfo("reciprocal", lambda rng, dt: [Sample((away_from_zero(rng, s, dt),))
                                          for s in S.SHAPES] + [Sample((ints(rng, (4,), 1),))]),
    OpInfo("abs", _unary_with_ints()),
    OpInfo("sign", _unary_with_ints()),
    OpInfo("sgn", _unary_with_ints()),
    OpInfo("conj", S.unary()),
    OpInfo("real", S.unary()),
    OpInfo("imag", _complex_samples, dtypes=(np.complex64, np.complex128), grad=False),
]
