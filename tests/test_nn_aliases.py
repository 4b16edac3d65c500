"""The layer functions exported at the top level (``torch.conv2d``, ``torch.batch_norm``,
``torch.kl_div``...) against PyTorch's, with ATen's argument orders and integer reductions."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close


def _r(*shape, positive=False):
    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)
    return np.abs(a) + 0.5 if positive else a


X = _r(4, 3, 6)
W3 = _r(3, positive=True)
B3 = _r(3)
T = np.sign(_r(4, 3, 6)).astype(np.float32)
CASES = {
    "conv1d": lambda m, x: m.conv1d(x, m.tensor(_r(2, 3, 2)), None, 1, 1),
    "conv2d": lambda m, x: m.conv2d(x.unsqueeze(-1), m.tensor(_r(2, 3, 2, 1))),
    "conv_transpose1d": lambda m, x: m.conv_transpose1d(x, m.tensor(_r(3, 2, 2)), None, 2),
    "avg_pool1d": lambda m, x: m.avg_pool1d(x, 2, 2, 1, False, False),
    "max_pool1d": lambda m, x: m.max_pool1d(x, 3, 2, 1),
    "max_pool2d": lambda m, x: m.max_pool2d(x.unsqueeze(0), 2),
    "adaptive_avg_pool1d": lambda m, x: m.adaptive_avg_pool1d(x, 4),
    "adaptive_max_pool1d": lambda m, x: m.adaptive_max_pool1d(x, 4),
    "layer_norm": lambda m, x: m.layer_norm(x, [6], m.tensor(_r(6)), None, 1e-5, False),
    "group_norm": lambda m, x: m.group_norm(x, 3, m.tensor(W3), m.tensor(B3), 1e-5, False),
    "batch_norm": lambda m, x: m.batch_norm(x, m.tensor(W3), m.tensor(B3), m.zeros(3),
                                            m.ones(3), True, 0.1, 1e-5, False),
    "batch_norm_eval": lambda m, x: m.batch_norm(x, m.tensor(W3), None, m.tensor(B3),
                                                 m.tensor(W3), False, 0.1, 1e-5, False),
    "instance_norm": lambda m, x: m.instance_norm(x, m.tensor(W3), m.tensor(B3), None, None,
                                                  True, 0.1, 1e-5, False),
    "rms_norm": lambda m, x: m.rms_norm(x, [6]),
    "bilinear": lambda m, x: m.bilinear(x, x, m.tensor(_r(2, 6, 6))),
    "pixel_shuffle": lambda m, x: m.pixel_shuffle(x.reshape(1, 4, 3, 6), 2),
    "pixel_unshuffle": lambda m, x: m.pixel_unshuffle(x.reshape(2, 1, 6, 6), 2),
    "channel_shuffle": lambda m, x: m.channel_shuffle(x.reshape(2, 6, 6), 3),
    "nn.ChannelShuffle": lambda m, x: m.nn.ChannelShuffle(2)(x.reshape(2, 6, 6, 1)),
    "cosine_similarity": lambda m, x: m.cosine_similarity(x, x.flip(0)),
    "pairwise_distance": lambda m, x: m.pairwise_distance(x, x.flip(0), 3.0),
    "pdist": lambda m, x: m.pdist(x.reshape(6, 12)),
    "kl_div": lambda m, x: m.kl_div(x.log_softmax(-1), x.softmax(0)),
    "kl_div_sum": lambda m, x: m.kl_div(x.log_softmax(-1), x.softmax(0).log(), 2, log_target=True),
    "bce_with_logits": lambda m, x: m.binary_cross_entropy_with_logits(
        x, (x * 2).sigmoid(), None, m.tensor(W3).reshape(3, 1), 1),
    "cosine_embedding_loss": lambda m, x: m.cosine_embedding_loss(
        x[0], x[1], m.tensor(T[0, :, 0]), 0.1),
    "hinge_embedding_loss": lambda m, x: m.hinge_embedding_loss(x, m.tensor(T), 0.5, 2),
    "margin_ranking_loss": lambda m, x: m.margin_ranking_loss(x, x.flip(1), m.tensor(T), 0.2, 1),
    "poisson_nll_loss": lambda m, x: m.poisson_nll_loss(x, x.abs(), True, True, 1e-8, 1),
    "triplet_margin_loss": lambda m, x: m.triplet_margin_loss(x[0], x[1], x[2], 1.0, 2, 1e-6,
                                                              True),
    "ctc_loss": lambda m, x: m.ctc_loss(x.permute(2, 0, 1).log_softmax(-1),
                                        m.tensor([[1, 2], [2, 2], [1, 1], [2, 1]]),
                                        [6, 6, 5, 6], [2, 2, 2, 1], 0, 1),
}


@pytest.mark.parametrize("name", list(CASES))
def test_top_level_layer_function_matches_torch(name):
    e_x = ember.tensor(X, requires_grad=True)
    t_x = torch.tensor(X, requires_grad=True)
    e_out, t_out = CASES[name](ember, e_x), CASES[name](torch, t_x)
    e_flat = e_out if isinstance(e_out, tuple) else (e_out,)
    t_flat = t_out if isinstance(t_out, tuple) else (t_out,)
    for e, t in zip(e_flat, t_flat, strict=True):
        assert_close(e, t, atol=1e-5, rtol=1e-4, what=name)
    e_flat[0].sum().backward()
    t_flat[0].sum().backward()
    assert_close(e_x.grad, t_x.grad, atol=1e-4, rtol=1e-4, what=f"{name} grad")


@pytest.mark.parametrize("name", ["selu_", "celu_", "threshold_", "rrelu_"])
def test_top_level_inplace_activations(name):
    args = {"threshold_": (0.1, -1.0), "celu_": (0.5,), "rrelu_": (0.1, 0.3)}.get(name, ())
    e, t = ember.tensor(X), torch.tensor(X)
    out = getattr(ember, name)(e, *args)
    getattr(torch, name)(t, *args)
    assert out is e
    assert_close(e, t)


def test_channel_shuffle_refuses_indivisible_channels():
    with pytest.raises(RuntimeError, match="divisible"):
        ember.channel_shuffle(ember.zeros(2, 5, 3), 2)
    with pytest.raises(RuntimeError):
        torch.channel_shuffle(torch.zeros(2, 5, 3), 2)
