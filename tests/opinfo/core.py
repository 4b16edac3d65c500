"""OpInfos for the conversions defined in the core skeleton."""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S


OPINFOS = [
    OpInfo("clone", S.unary()),
    OpInfo("detach", S.unary(), ember_fn=__import__("ember").ops.TABLE["detach"].fn,
           grad=False, gradcheck=False),
    OpInfo("_to_copy", lambda rng, dt: [Sample((S.randn(rng, (3, 4), dt),))],
           ember_fn=lambda x: x.to(__import__("ember").float64 if x.dtype.name == "float32"
                                   else __import__("ember").float32),
           torch_fn=lambda x: x.to(__import__("torch").float64 if x.dtype == __import__(
               "torch").float32 else __import__("torch").float32),
           # the float32 side rounds: finite differences through it can't reach 1e-5
           atol=1e-6, rtol=1e-6, gradcheck=False),
    # the op a traced graph records for Tensor.detach: same values, no gradient
    OpInfo("detach", S.unary(),
           ember_fn=lambda x: __import__("ember").ops.TABLE["detach"].fn(x),
           torch_fn=lambda x: x.detach(), grad=False, gradcheck=False),
]
