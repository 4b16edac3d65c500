"""Dropout layers and functions: against torch where determined, by their defining
properties where random (mask, scale, gradient, rate, channels, seeds)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

from .helpers import assert_close, assert_raises_like_torch

LAYERS = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
          "FeatureAlphaDropout"]


@pytest.mark.parametrize("name", LAYERS)
def test_dropout_layers_repr_and_eval_identity(name, rng):
    for kwargs in ({}, {"p": 0.2, "inplace": True}):
        e_mod, t_mod = getattr(ember.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
        assert repr(e_mod) == repr(t_mod)
    x = rng.standard_normal({"Dropout1d": (2, 3, 4), "Dropout2d": (2, 3, 4, 5)}.get(
        name, (2, 3, 4, 5, 2)))
    ex = ember.tensor(x)
    assert_close(e_mod.eval()(ex), t_mod.eval()(torch.tensor(x)))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_scales_kept_elements_and_gradient_uses_the_same_mask(p, rng):
    x = ember.tensor(rng.uniform(1, 2, (200, 50)).astype(np.float32), requires_grad=True)
    y = F.dropout(x, p)
    assert y.dtype == ember.float32
    out, xs = y.detach().numpy(), x.detach().numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], xs[kept] / (1 - p), rtol=1e-6)
    n = kept.size
    assert abs((~kept).mean() - p) < 5 * math.sqrt(p * (1 - p) / n)
    y.backward(ember.ones_like(y))
    np.testing.assert_allclose(x.grad.numpy(), kept / np.float32(1 - p), rtol=1e-6)


@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (4, 8, 5)), (F.dropout1d, (8, 5)),
                                      (F.dropout2d, (4, 8, 3, 3)), (F.dropout3d, (8, 2, 3, 3)),
                                      (F.dropout3d, (4, 8, 2, 3, 3))])
def test_channel_dropout_zeroes_whole_channels(fn, shape, rng):
    x = ember.tensor(rng.uniform(1, 2, shape))
    out = fn(x, 0.5).numpy()
    channels = out.reshape(-1, *shape[-3 if fn is F.dropout3d else -2 if fn is F.dropout2d
                                       else -1:])
    per_channel = channels.reshape(channels.shape[0], -1)
    dropped = (per_channel == 0).all(1)
    assert dropped.any() and not dropped.all()
    assert ((per_channel != 0).all(1) | dropped).all()


def test_same_seed_same_mask():
    x = ember.ones(1000)
    ember.manual_seed(3)
    a = F.dropout(x, 0.5)
    ember.manual_seed(3)
    b = F.dropout(x, 0.5)
    assert_close(a, b)
    assert not np.array_equal(a.numpy(), F.dropout(x, 0.5).numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.3, 1.0])
def test_elementwise_dropout_applies_the_mask_its_draws_give(dtype, p, rng):
    """The one-pass kernel gives what the mask drawn the plain way gives, bit for bit."""
    from ember.ops.dropout import keep_mask
    from ember.random import generator_for
    x = rng.standard_normal((37, 29)).astype(dtype)
    leaf = ember.tensor(x, requires_grad=True)
    ember.manual_seed(3)
    y = F.dropout(leaf, p)
    ember.manual_seed(3)
    mask = keep_mask(np, generator_for(ember.device("cpu")).rng, x.shape, p, x.dtype)
    mask *= dtype(1 / (1 - p) if p < 1 else 0)
    np.testing.assert_array_equal(y.detach().numpy(), x * mask)
    y.backward(ember.ones(y.shape, dtype=y.dtype))
    np.testing.assert_array_equal(leaf.grad.numpy(), mask)


def test_inplace_dropout_writes_into_input(rng):
    x = ember.tensor(rng.uniform(1, 2, (50, 4)), requires_grad=True)
    h = x * 1
    y = F.dropout(h, 0.5, inplace=True)
    assert y is h
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (h.detach().numpy() != 0) * 2.0)
    u = ember.tensor(rng.uniform(1, 2, (8, 50)))
    assert F.dropout1d(u, 0.5, inplace=True) is u and (u.numpy() == 0).any()


def test_alpha_dropout_keeps_mean_and_variance_like_torch(rng):
    x = rng.standard_normal(200_000).astype(np.float32)
    for p in (0.2, 0.5):
        e = F.alpha_dropout(ember.tensor(x), p, training=True).numpy()
        t = TF.alpha_dropout(torch.tensor(x), p, training=True).numpy()
        assert abs(e.mean() - t.mean()) < 0.02 and abs(e.std() - t.std()) < 0.02
        # kept units are x * a + b, dropped ones all take one value: SELU's saturation, moved
        alpha = 1.7580993408473766
        a = 1 / math.sqrt((alpha ** 2 * p + 1) * (1 - p))
        dropped_value = a * alpha * (p - 1)
        dropped = np.isclose(e, dropped_value, atol=1e-6)
        np.testing.assert_allclose(e[~dropped], x[~dropped] * a + alpha * a * p, rtol=1e-5,
                                   atol=1e-6)
        assert abs(dropped.mean() - p) < 0.01


def test_feature_alpha_dropout_drops_whole_channels(rng):
    x = rng.standard_normal((20, 6, 5)).astype(np.float32)
    e = F.feature_alpha_dropout(ember.tensor(x), 0.5, training=True).numpy()
    same = np.isclose(e, e[..., :1], atol=1e-6).all(-1)
    p, alpha = 0.5, 1.7580993408473766
    a = 1 / math.sqrt((alpha ** 2 * p + 1) * (1 - p))
    assert (same == np.isclose(e[..., 0], a * alpha * (p - 1), atol=1e-6)).all()
    assert same.any() and not same.all()


@pytest.mark.parametrize("fn", [
    lambda lib, f, x: f.dropout(x, 1.5),
    lambda lib, f, x: f.dropout(x, -0.1, training=False),
    lambda lib, f, x: f.alpha_dropout(x, 2.0),
    lambda lib, f, x: lib.nn.Dropout(-0.5),
    lambda lib, f, x: lib.nn.Dropout2d(1.1),
    lambda lib, f, x: f.dropout1d(x.reshape(1, 1, 2, 3)),
    lambda lib, f, x: lib.feature_dropout(x.reshape(6), 0.5, True),
])
def test_dropout_errors_like_torch(fn):
    x = np.ones((2, 3))
    assert_raises_like_torch(lambda: fn(ember, F, ember.tensor(x)),
                             lambda: fn(torch, TF, torch.tensor(x)))
