"""OpInfos for standard gamma draws (ember/ops/random_gamma.py).

`_standard_gamma` gets a seeded NumPy stream, as `_dropout` does; torch sees the draws that
stream defines and differentiates them with its own ``torch._standard_gamma_grad``, which
approximates the implicit derivative (ember sums it exactly; hence the looser tolerance).
`_standard_gamma_grad` is compared directly on gamma draws of its concentrations, over
small, moderate and large concentrations. Neither is finite-difference checked: a seeded
draw moves with its concentration differently from a draw at a fixed CDF.
"""
from __future__ import annotations

import numpy as np
import torch

from ember.ops import TABLE

from . import OpInfo, Sample


def _stream():
    return np.random.Generator(np.random.Philox(7))


def _concentrations(rng, dt):
    return [rng.uniform(0.05, 0.5, (3, 4)).astype(dt), rng.uniform(0.5, 6.0, (2, 5)).astype(dt),
            rng.uniform(6.0, 200.0, (7,)).astype(dt)]


def _draw_samples(rng, dt):
    return [Sample((alpha,)) for alpha in _concentrations(rng, dt)]


def _draw_ember(alpha):
    return TABLE["_standard_gamma"].fn(alpha, _stream())


class _TorchGamma(torch.autograd.Function):
    @staticmethod
    def forward(ctx, alpha):
        x = torch.from_numpy(_stream().standard_gamma(alpha.detach().numpy())
                             .astype(alpha.detach().numpy().dtype))
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        return grad * torch._standard_gamma_grad(alpha, x)


def _grad_samples(rng, dt):
    return [Sample((alpha, rng.standard_gamma(alpha).astype(dt)))
            for alpha in _concentrations(rng, dt)]


OPINFOS = [
    OpInfo("_standard_gamma", _draw_samples, ember_fn=_draw_ember, torch_fn=_TorchGamma.apply,
           gradcheck=False, atol=1e-4, rtol=2e-3),
    OpInfo("_standard_gamma_grad", _grad_samples, ember_fn=TABLE["_standard_gamma_grad"].fn,
           grad=False, gradcheck=False,
           atol=1e-4, rtol=2e-3),
]
