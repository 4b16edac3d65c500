"""OpInfos for shapes and conversions defined in the core skeleton."""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S


OPINFOS = [
    OpInfo("view", lambda rng, dt: [Sample((S.randn(rng, (3, 4), dt), 4, 3)),
                                    Sample((S.randn(rng, (2, 3, 4), dt), (-1, 4)))],
           ember_fn=lambda x, *s: x.view(*s), torch_fn=lambda x, *s: x.view(*s),
           noncontiguous=False),
    OpInfo("reshape", lambda rng, dt: [Sample((S.randn(rng, (3, 4), dt), (4, 3))),
                                       Sample((S.randn(rng, (2, 3, 4), dt), (-1,)))]),
    OpInfo("expand", lambda rng, dt: [Sample((S.randn(rng, (3, 1), dt), 3, 4)),
                                      Sample((S.randn(rng, (4,), dt), (2, 3, 4)))],
           ember_fn=lambda x, *s: x.expand(*s), torch_fn=lambda x, *s: x.expand(*s)),
    OpInfo("unsqueeze", lambda rng, dt: [Sample((S.randn(rng, (3, 4), dt), 1)),
                                         Sample((S.randn(rng, (3, 4), dt), -1))]),
    OpInfo("clone", S.unary()),
    OpInfo("squeeze", lambda rng, dt: [Sample((S.randn(rng, (3, 1, 4, 1), dt),)),
                                       Sample((S.randn(rng, (3, 1, 4), dt), 1)),
                                       Sample((S.randn(rng, (3, 1, 4, 1), dt), (1, -1)))]),
    OpInfo("permute", lambda rng, dt: [Sample((S.randn(rng, (2, 3, 4), dt), (2, 0, 1)))]),
    OpInfo("transpose", lambda rng, dt: [Sample((S.randn(rng, (2, 3, 4), dt), 0, 2)),
                                         Sample((S.randn(rng, (3, 4), dt), -1, 0))]),
    OpInfo("_to_copy", lambda rng, dt: [Sample((S.randn(rng, (3, 4), dt),))],
           ember_fn=lambda x: x.to(__import__("ember").float64 if x.dtype.name == "float32"
                                   else __import__("ember").float32),
           torch_fn=lambda x: x.to(__import__("torch").float64 if x.dtype == __import__(
               "torch").float32 else __import__("torch").float32),
           # the float32 side rounds: finite differences through it can't reach 1e-5
           atol=1e-6, rtol=1e-6, gradcheck=False),
]
