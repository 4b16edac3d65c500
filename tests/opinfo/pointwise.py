"""OpInfos for elementwise math (ember/ops/pointwise.py)."""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S

OPINFOS = [
    OpInfo("add", S.binary()),
    OpInfo("sub", S.binary()),
    OpInfo("mul", S.binary()),
    OpInfo("div", S.binary(low=0.5, high=2.0)),
    OpInfo("neg", S.unary()),
    OpInfo("pow", lambda rng, dt: [
        Sample((S.randn(rng, (3, 4), dt, 0.5, 2.0), S.randn(rng, (3, 4), dt))),
        Sample((S.randn(rng, (3, 4), dt, 0.5, 2.0), S.randn(rng, (4,), dt))),
        Sample((S.randn(rng, (3, 4), dt), 2)),
        Sample((S.randn(rng, (3, 4), dt, 0.5, 2.0), 0.5)),
    ]),
    OpInfo("exp", S.unary()),
    OpInfo("log", S.unary(0.1, 5.0)),
    OpInfo("sqrt", S.unary(0.1, 5.0)),
    OpInfo("sin", S.unary()),
    OpInfo("cos", S.unary()),
    OpInfo("tanh", S.unary()),
    OpInfo("abs", S.unary()),
    OpInfo("sign", S.unary()),
    OpInfo("relu", S.unary()),
]
