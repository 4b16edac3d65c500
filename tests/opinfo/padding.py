"""OpInfo for constant padding (ember/ops/padding.py), negative amounts included."""
from __future__ import annotations

import torch

from . import OpInfo
from . import samples as S

OPINFOS = [
    OpInfo("constant_pad_nd", S.shaped(((3, 4), (1, 2)), ((3, 4), (1, -2, 0, 3), 1.5),
                                       ((2, 3, 4), (-1, -1, 2, 2, 1, 0)), ((5,), (0, 0)),
                                       ((2, 3), (2, 1), {"value": -1.0})),
           torch_fn=torch.constant_pad_nd, gradgradcheck=True),
]
