"""OpInfos for view_as_real and view_as_complex (ember/ops/complexview.py)."""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S


def _complex(rng, dt):
    kind = np.complex64 if dt == np.float32 else np.complex128
    return [Sample((np.asarray(S.randn(rng, s, dt) + 1j * S.randn(rng, s, dt), kind),))
            for s in ((), (4,), (2, 3))]


OPINFOS = [
    OpInfo("view_as_real", _complex),
    # PyTorch refuses a last dimension with a stride other than 1, so no strided layouts
    OpInfo("view_as_complex", S.shaped(((2,),), ((4, 2),), ((2, 3, 2),)), noncontiguous=False),
]
