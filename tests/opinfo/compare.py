"""OpInfos for comparisons, value tests, logic and bitwise ops (ember/ops/compare.py)."""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S
from .piecewise import mask, on_grid
from .pointwise import ints

INTEGERS = (np.int64, np.int32)


def _relation(rng, dt):
    a, b = on_grid(rng, (3, 4), dt), on_grid(rng, (4,), dt)
    return [Sample((a, b)), Sample((a, 0.5)), Sample((a, 1)),
            Sample((S.randn(rng, (2, 1, 4), dt), S.randn(rng, (3, 1), dt))),
            Sample((ints(rng, (5,)), on_grid(rng, (5,), dt))), Sample((mask(rng, (5,)), 1))]


def _specials(rng, dt):
    x = S.randn(rng, (3, 4), dt)
    x[0, 0], x[1, 1], x[2, 2], x[0, 3] = np.nan, np.inf, -np.inf, -0.0
    return [Sample((x,)), Sample((S.randn(rng, (), dt),)), Sample((ints(rng, (4,)),)),
            Sample((mask(rng, (4,)),))]


def _isclose(rng, dt):
    a = S.randn(rng, (3, 4), dt)
    b = a + (rng.standard_normal((3, 4)) * 1e-5).astype(dt)
    a[0, 0] = b[0, 0] = np.nan
    a[1, 1] = b[1, 1] = np.inf
    return [Sample((a, b)), Sample((a, b), {"equal_nan": True}),
            Sample((a, b), {"rtol": 0.0, "atol": 1e-5}), Sample((a, b[0]), {"rtol": 1e-3})]


def _logical(rng, dt):
    a, b = on_grid(rng, (3, 4), dt), on_grid(rng, (4,), dt)
    return [Sample((a, b)), Sample((ints(rng, (3, 4), -1, 2), a)), Sample((mask(rng, (4,)), b))]


def _logical_not(rng, dt):
    return [Sample((on_grid(rng, (3, 4), dt),)), Sample((ints(rng, (4,), -1, 2),)),
            Sample((mask(rng, (4,)),))]


def _bitwise(rng, dt):
    a, b = ints(rng, (3, 4), -50, 50, dt), ints(rng, (4,), -50, 50, dt)
    return [Sample((a, b)), Sample((a, 6)), Sample((mask(rng, (4,)), mask(rng, (4,)))),
            Sample((ints(rng, (4,), 0, 200, np.uint8), ints(rng, (4,), -5, 5, np.int8)))]


def _bitwise_not(rng, dt):
    return [Sample((ints(rng, (3, 4), -50, 50, dt),)), Sample((mask(rng, (4,)),)),
            Sample((ints(rng, (4,), 0, 200, np.uint8),))]


def _shift(rng, dt):
    a = ints(rng, (3, 4), -50, 50, dt)
    bits = np.dtype(dt).itemsize * 8
    return [Sample((a, ints(rng, (4,), 0, 6, dt))), Sample((a, 3)),
            Sample((2, ints(rng, (4,), 0, 6, dt))),
            Sample((a, np.array([0, bits - 1, bits, bits + 5], dtype=dt)))]


def _predicate(name):
    return OpInfo(name, _specials, grad=False)


OPINFOS = [
    *(OpInfo(name, _relation, grad=False) for name in ("eq", "ne", "lt", "le", "gt", "ge")),
    OpInfo("isclose", _isclose, grad=False),
    OpInfo("allclose", _isclose, grad=False),
    OpInfo("equal", lambda rng, dt: [Sample((x, x.copy())) for x in (S.randn(rng, (3,), dt),)]
           + [Sample((S.randn(rng, (3,), dt), S.randn(rng, (3,), dt))),
              Sample((S.randn(rng, (3,), dt), S.randn(rng, (2, 3), dt))),
              Sample((ints(rng, (3,)), ints(rng, (3,))))], grad=False),
    *(_predicate(name) for name in ("isnan", "isinf", "isposinf", "isneginf", "isfinite",
                                    "isreal", "signbit")),
    *(OpInfo(name, _logical, grad=False) for name in ("logical_and", "logical_or",
                                                       "logical_xor")),
    OpInfo("logical_not", _logical_not, grad=False),
    *(OpInfo(name, _bitwise, dtypes=INTEGERS, grad=False)
      for name in ("bitwise_and", "bitwise_or", "bitwise_xor")),
    OpInfo("bitwise_not", _bitwise_not, dtypes=INTEGERS, grad=False),
    OpInfo("bitwise_left_shift", _shift, dtypes=INTEGERS, grad=False),
    OpInfo("bitwise_right_shift", _shift, dtypes=INTEGERS, grad=False),
]
