"""OpInfos for the fused class losses (ember/ops/loss.py), against torch.nn.functional."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF

from ember.ops import TABLE

from . import OpInfo, Sample
from . import samples as S

# (input shape, weight?, ignore_index, label_smoothing, reduction)
CASES = [((6, 5), False, -100, 0.0, "mean"), ((6, 5), True, 2, 0.0, "sum"),
         ((6, 5), True, -100, 0.2, "mean"), ((2, 4, 3, 2), False, 1, 0.1, "none"),
         ((5,), False, -100, 0.0, "mean"), ((2, 4, 3), True, 0, 0.3, "mean")]


def _samples(smoothing):
    def samples(rng, dt):
        out = []
        for shape, weighted, ignore, eps, reduction in CASES:
            if eps and not smoothing:
                continue
            classes = shape[1] if len(shape) > 1 else shape[0]
            target = rng.integers(0, classes, (shape[0],) + shape[2:] if len(shape) > 1 else ())
            weight = S.randn(rng, (classes,), dt, 0.5, 2.0) if weighted else None
            args = (S.randn(rng, shape, dt), target, weight, ignore)
            out.append(Sample(args + ((eps,) if smoothing else ()) + (reduction,), no_grad=(2,)))
        return out
    return samples


def _torch_cross_entropy(x, t, w, ignore, eps, reduction):
    loss = TF.cross_entropy(x, t, w, ignore_index=ignore, label_smoothing=eps,
                            reduction=reduction)
    return loss, torch.softmax(x, 1 if x.dim() > 1 else 0)


def _torch_nll(x, t, w, ignore, reduction):
    return TF.nll_loss(x, t, w, ignore_index=ignore, reduction=reduction)


def _bce_samples(rng, dt):
    shapes = [(4, 3), (5,), ()]
    return [Sample((S.randn(rng, s, dt, 0.05, 0.95), S.randn(rng, s, dt, 0.0, 1.0)))
            for s in shapes]


def _ctc_samples(rng, dt):
    out = []
    for t_max, n, classes, s in ((8, 2, 4, 3), (5, 3, 3, 2)):
        logits = rng.standard_normal((t_max, n, classes))
        log_probs = (logits - np.log(np.exp(logits).sum(-1, keepdims=True))).astype(dt)
        targets = rng.integers(1, classes, (n, s))
        targets[0, :2] = 1  # a repeated label
        inputs = (t_max,) + (t_max - 1,) * (n - 1)
        out.append(Sample((log_probs, targets, inputs, (s,) + (s - 1,) * (n - 1))))
    return out


def _torch_ctc(log_probs, targets, input_lengths, target_lengths):
    return TF.ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction="none")


OPINFOS = [
    OpInfo("cross_entropy_loss", _samples(True), ember_fn=TABLE["cross_entropy_loss"].fn,
           torch_fn=_torch_cross_entropy, gradgradcheck=True),
    OpInfo("nll_loss", _samples(False), ember_fn=TABLE["nll_loss"].fn, torch_fn=_torch_nll,
           gradgradcheck=True),
    OpInfo("binary_cross_entropy", _bce_samples, ember_fn=TABLE["binary_cross_entropy"].fn,
           torch_fn=lambda x, y: TF.binary_cross_entropy(x, y, reduction="none"),
           gradgradcheck=True),
    # PyTorch's CTC gradient assumes normalized log-probabilities (see ember/ops/ctc.py), so
    # it is no finite difference of the loss; tests/test_nn_loss.py gradchecks it through a
    # log_softmax instead.
    OpInfo("ctc_loss", _ctc_samples, ember_fn=TABLE["ctc_loss"].fn, torch_fn=_torch_ctc,
           gradcheck=False),
]
