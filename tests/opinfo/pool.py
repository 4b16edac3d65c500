"""OpInfos for pooling (ember/ops/pool.py), against torch.nn.functional's pools."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF

from ember.ops import TABLE
from ember.ops.pool import pooled_size

from . import OpInfo, Sample
from . import samples as S

# (kernel, stride, padding, dilation, ceil_mode) for 2-d pools; 1-d uses the same numbers
CONFIGS = [(2, 2, 0, 1, False), (3, 2, 1, 1, True), (3, 1, 1, 2, False), (2, 3, 1, 1, True)]
TORCH_MAX = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}
TORCH_AVG = {1: TF.avg_pool1d, 2: TF.avg_pool2d, 3: TF.avg_pool3d}


def _geometry(spatial, k, s, p, d, ceil):
    pads, extra = [], []
    for n in spatial:
        _, hi = pooled_size(n, k, s, p, p, d, ceil)
        pads.append((p, p))
        extra.append(hi - p)
    return tuple(pads), tuple(extra)


def _samples(rng, dt, dilation=True):
    out = []
    for dims, spatial in ((1, (9,)), (2, (7, 8)), (3, (5, 4, 6))):
        for k, s, p, d, ceil in CONFIGS:
            if d > 1 and not dilation:
                continue
            # distinct values: the gradient of a max with ties is not unique
            x = rng.permutation(np.prod((2, 3) + spatial)).reshape((2, 3) + spatial)
            x = (x / 7.0).astype(dt)
            out.append(Sample((x,), {"k": k, "s": s, "p": p, "d": d, "ceil": ceil}))
    return out


def _max_ember(x, k, s, p, d, ceil):
    n = x.dim() - 2
    pads, extra = _geometry(x.shape[2:], k, s, p, d, ceil)
    full = tuple((lo, hi + e) for (lo, hi), e in zip(pads, extra))
    return TABLE["max_pool"].fn(x, (k,) * n, (s,) * n, full, (d,) * n)


def _max_torch(x, k, s, p, d, ceil):
    return TORCH_MAX[x.dim() - 2](x, k, s, p, d, ceil_mode=ceil, return_indices=True)


def _avg_samples(rng, dt):
    return [Sample(smp.args, dict(smp.kwargs, cip=cip))
            for smp in _samples(rng, dt, dilation=False) for cip in (True, False)]


def _avg_ember(x, k, s, p, d, ceil, cip):
    n = x.dim() - 2
    pads, extra = _geometry(x.shape[2:], k, s, p, 1, ceil)
    return TABLE["avg_pool"].fn(x, (k,) * n, (s,) * n, pads, extra, cip, None)


def _avg_torch(x, k, s, p, d, ceil, cip):
    return TORCH_AVG[x.dim() - 2](x, k, s, p, ceil_mode=ceil, count_include_pad=cip)


def _index_samples(rng, dt):
    out = []
    for _ in range(2):
        x = S.randn(rng, (2, 3, 5, 4), dt)
        index = rng.integers(0, 20, size=(2, 3, 3, 2))
        out.append(Sample((x, index)))
    return out


def _take_torch(x, index):
    return torch.gather(x.flatten(2), 2, index.flatten(2)).reshape(index.shape)


def _grad_samples(rng, dt):
    out = []
    for _ in range(2):
        g = S.randn(rng, (2, 3, 3, 2), dt)
        index = rng.integers(0, 20, size=(2, 3, 3, 2))   # repeats must accumulate
        out.append(Sample((g, index), {"shape": (2, 3, 5, 4)}))
    return out


def _scatter_torch(g, index, shape):
    flat = torch.zeros(shape[:2] + (int(np.prod(shape[2:])),), dtype=g.dtype)
    return flat.scatter_add(2, index.flatten(2), g.flatten(2)).reshape(shape)


TORCH_ADAPTIVE_MAX = {1: TF.adaptive_max_pool1d, 2: TF.adaptive_max_pool2d,
                     3: TF.adaptive_max_pool3d}


def _adaptive_samples(rng, dt):
    out = []
    for spatial, size in (((9,), (4,)), ((7, 8), (3, 8)), ((7, 5), (10, 2)), ((4, 5, 6), (2, 3, 4))):
        x = rng.permutation(np.prod((2, 3) + spatial)).reshape((2, 3) + spatial)
        out.append(Sample(((x / 7.0).astype(dt),), {"size": size}))
    return out


OPINFOS = [
    OpInfo("adaptive_max_pool", _adaptive_samples,
           ember_fn=lambda x, size: TABLE["adaptive_max_pool"].fn(x, size),
           torch_fn=lambda x, size: TORCH_ADAPTIVE_MAX[x.dim() - 2](x, size, True)),
    OpInfo("max_pool", _samples, ember_fn=_max_ember, torch_fn=_max_torch),
    OpInfo("avg_pool", _avg_samples, ember_fn=_avg_ember, torch_fn=_avg_torch),
    OpInfo("_take_windows", _index_samples, torch_fn=_take_torch,
           ember_fn=lambda x, i: TABLE["_take_windows"].fn(x, i)),
    OpInfo("_max_pool_grad", _grad_samples, torch_fn=_scatter_torch,
           ember_fn=lambda g, i, shape: TABLE["_max_pool_grad"].fn(g, i, shape)),
]
