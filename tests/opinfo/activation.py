"""OpInfos for the activation ops (ember/ops/activation.py), against torch's kernels."""
from __future__ import annotations

import torch
import torch.nn.functional as TF

from ember.ops import TABLE, COMPOSITES

from . import OpInfo, Sample
from . import samples as S


def _spread(*kwargs_list):
    """Every sample shape scaled to [-4, 4] (past every kink), with each kwargs dict."""
    def samples(rng, dt):
        out = []
        for kwargs in kwargs_list or ({},):
            out += [Sample((S.randn(rng, s, dt, -4, 4),), dict(kwargs)) for s in S.SHAPES]
        return out
    return samples


def _grad_and_input(rng, dt):
    return [Sample((S.randn(rng, s, dt), S.randn(rng, s, dt, -4, 4)), kwargs)
            for kwargs in ({}, {"approximate": "tanh"}) for s in S.SHAPES]


def _op(name):
    return TABLE[name].fn


def _prelu_samples(rng, dt):
    return [Sample((S.randn(rng, (2, 3, 4), dt), S.randn(rng, (3,), dt))),
            Sample((S.randn(rng, (2, 3), dt), S.randn(rng, (1,), dt))),
            Sample((S.randn(rng, (5,), dt), S.randn(rng, (1,), dt))),
            Sample((S.randn(rng, (2, 4, 3, 3), dt), S.randn(rng, (4,), dt)))]


OPINFOS = [
    OpInfo("gelu", _spread({}, {"approximate": "tanh"}), ember_fn=_op("gelu"),
           torch_fn=TF.gelu, gradgradcheck=True),
    OpInfo("gelu_backward", _grad_and_input, ember_fn=_op("gelu_backward"),
           torch_fn=torch.ops.aten.gelu_backward, gradgradcheck=True),
    OpInfo("silu", _spread(), ember_fn=_op("silu"), torch_fn=TF.silu, gradgradcheck=True),
    OpInfo("softplus", _spread({}, {"beta": 2.0, "threshold": 3.0}), ember_fn=_op("softplus"),
           torch_fn=TF.softplus, gradgradcheck=True),
    OpInfo("mish", _spread(), ember_fn=_op("mish"), torch_fn=TF.mish, gradgradcheck=True),
    OpInfo("log_sigmoid", _spread(), ember_fn=_op("log_sigmoid"), torch_fn=TF.logsigmoid),
    OpInfo("elu", _spread({}, {"alpha": 0.5, "scale": 2.0, "input_scale": 1.5}),
           ember_fn=_op("elu"), torch_fn=lambda x, **kw: torch._C._nn.elu(x, **kw),
           gradgradcheck=True),
    OpInfo("selu", _spread(), ember_fn=COMPOSITES["selu"].fn, torch_fn=torch.selu),
    # torch's celu backward rounds 1/alpha to float32: alphas with exact inverses compare
    OpInfo("celu", _spread({}, {"alpha": 0.5}), ember_fn=COMPOSITES["celu"].fn,
           torch_fn=torch.celu),
    OpInfo("leaky_relu", _spread({}, {"negative_slope": 0.2}), ember_fn=_op("leaky_relu"),
           torch_fn=TF.leaky_relu),
    OpInfo("hardtanh", _spread({}, {"min_val": -0.5, "max_val": 2.0}),
           ember_fn=_op("hardtanh"), torch_fn=TF.hardtanh),
    OpInfo("hardsigmoid", _spread(), ember_fn=_op("hardsigmoid"), torch_fn=TF.hardsigmoid),
    OpInfo("hardswish", _spread(), ember_fn=_op("hardswish"), torch_fn=TF.hardswish),
    OpInfo("softshrink", _spread({}, {"lambd": 1.0}), ember_fn=_op("softshrink"),
           torch_fn=TF.softshrink),
    OpInfo("hardshrink", _spread({}, {"lambd": 1.0})),
    OpInfo("threshold", _spread({"threshold": 0.3, "value": -2.0}),
           ember_fn=lambda x, threshold, value: _op("threshold")(x, threshold, value),
           torch_fn=lambda x, threshold, value: torch.threshold(x, threshold, value)),
    OpInfo("prelu", _prelu_samples, gradgradcheck=True),
    OpInfo("rrelu", _spread({}, {"lower": 0.1, "upper": 0.3}), ember_fn=COMPOSITES["rrelu"].fn,
           torch_fn=torch.rrelu),
]
