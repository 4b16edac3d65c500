"""OpInfos for the embedding lookup and its table gradient (ember/ops/embedding.py)."""
from __future__ import annotations

import numpy as np
import torch

from ember.ops import TABLE

from . import OpInfo, Sample
from . import samples as S


def _lookups(rng, dt):
    w = S.randn(rng, (7, 3), dt)
    idx = rng.integers(0, 7, (4, 5))
    # padding_idx and scale_grad_by_freq change the gradient on purpose (it is no longer the
    # derivative), so the first three samples, the ones gradcheck takes, use neither
    return [Sample((w, idx)), Sample((w, np.array([6, 0, 6]))), Sample((w, np.array(3))),
            Sample((w, idx, 2)), Sample((w, idx, -1, True)), Sample((w, idx[0], 6, True))]


def _table_grads(rng, dt):
    # Without scale_grad_by_freq: torch's own derivative of this op ignores that flag (it
    # gathers unscaled); tests/test_nn_sparse.py checks the scaled case by gradgradcheck.
    idx = rng.integers(0, 6, (3, 4))
    g = S.randn(rng, (3, 4, 2), dt)
    return [Sample((g, idx, 6, -1, False)), Sample((g, idx, 6, int(idx[0, 0]), False)),
            Sample((g, idx, 9, -1, False))]


OPINFOS = [
    OpInfo("embedding", _lookups, gradgradcheck=True),
    OpInfo("embedding_backward", _table_grads, ember_fn=TABLE["embedding_backward"].fn,
           torch_fn=torch.ops.aten.embedding_dense_backward, gradgradcheck=True),
]
