"""Losses against PyTorch: values and input gradients for every option combination."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch

CE_OPTIONS = [dict(), dict(weight=True), dict(label_smoothing=0.1),
              dict(weight=True, label_smoothing=0.2), dict(reduction="sum"),
              dict(reduction="none"), dict(reduction="sum", label_smoothing=0.3),
              dict(ignore_index=1)]


def _weights(kw, w):
    e, t = dict(kw), dict(kw)
    if kw.get("weight"):
        e["weight"], t["weight"] = ember.tensor(w), torch.tensor(w)
    return e, t


@pytest.mark.parametrize("kw", CE_OPTIONS)
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3, 4), (5,)])
def test_cross_entropy_with_class_indices(kw, shape, rng):
    x = rng.standard_normal(shape)
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, shape[0 if len(shape) == 1 else 1], target_shape)
    if t.ndim:
        t.flat[0] = kw.get("ignore_index", -100)
    elif t == kw.get("ignore_index", -100):
        t = t + 1  # a lone ignored target makes the mean 0/0 (nan), with an undefined gradient
    w = rng.uniform(0.5, 2, shape[0 if len(shape) == 1 else 1])
    kwe, kwt = _weights(kw, w)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    el = ember.nn.functional.cross_entropy(ex, ember.tensor(t), **kwe)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(t), **kwt)
    assert_close(el, tl)
    el.sum().backward()
    tl.sum().backward()
    assert_close(ex.grad, tx.grad)


@pytest.mark.parametrize("kw", [dict(), dict(label_smoothing=0.2), dict(weight=True),
                                dict(reduction="none")])
def test_cross_entropy_with_probabilities(kw, rng):
    x = rng.standard_normal((6, 5))
    p = rng.dirichlet(np.ones(5), 6)
    kwe, kwt = _weights(kw, rng.uniform(0.5, 2, 5))
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    el = ember.nn.functional.cross_entropy(ex, ember.tensor(p), **kwe)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(p), **kwt)
    assert_close(el, tl)
    el.sum().backward()
    tl.sum().backward()
    assert_close(ex.grad, tx.grad)


def _composite_cross_entropy(x, t, weight=None, ignore_index=-100, label_smoothing=0.0,
                             reduction="mean"):
    """The reference the fused op must equal: log_softmax, then -sum(q * logp) over a dense
    target distribution q."""
    dim = 1 if x.dim() > 1 else 0
    classes = x.shape[dim]
    logp = x.log_softmax(dim)
    kept = (t != ignore_index)
    safe = t.masked_fill(kept.logical_not(), 0)
    w = ember.ones(classes, dtype=x.dtype) if weight is None else weight
    onehot = ember.zeros_like(logp).scatter(dim, safe.unsqueeze(dim), 1.0)
    w_view = w.reshape((1, -1) + (1,) * (x.dim() - 2)) if dim else w
    q = ((1 - label_smoothing) * onehot + label_smoothing / classes) * w_view
    loss = -(q * logp).sum(dim) * kept.to(x.dtype)
    if reduction == "mean":
        return loss.sum() / (w[safe] * kept.to(x.dtype)).sum()
    return loss.sum() if reduction == "sum" else loss


@pytest.mark.parametrize("kw", CE_OPTIONS)
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3, 4), (5,)])
def test_fused_cross_entropy_equals_its_composite(kw, shape, rng):
    x = ember.tensor(rng.standard_normal(shape), requires_grad=True)
    classes = shape[0 if len(shape) == 1 else 1]
    t = ember.tensor(rng.integers(0, classes, () if len(shape) == 1 else
                                  (shape[0],) + shape[2:]))
    kwe, _ = _weights(kw, rng.uniform(0.5, 2, classes))
    fused = ember.nn.functional.cross_entropy(x, t, **kwe)
    reference = _composite_cross_entropy(x, t, **kwe)
    assert_close(fused, reference)
    (g_fused,) = ember.autograd.grad(fused.sum(), x, create_graph=True)
    (g_ref,) = ember.autograd.grad(reference.sum(), x, create_graph=True)
    assert_close(g_fused, g_ref)
    v = ember.tensor(rng.standard_normal(shape))
    assert_close(ember.autograd.grad((g_fused * v).sum(), x)[0],
                 ember.autograd.grad((g_ref * v).sum(), x)[0])


def test_cross_entropy_is_stable_on_large_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype=np.float32)
    loss = ember.nn.CrossEntropyLoss()(ember.tensor(x, requires_grad=True), ember.tensor([0, 2]))
    expected = torch.nn.CrossEntropyLoss()(torch.tensor(x), torch.tensor([0, 2]))
    assert np.isfinite(loss.item())
    assert_close(loss, expected)


def test_nll_and_mse_modules_match_torch(rng):
    x = rng.standard_normal((4, 3))
    t = rng.integers(0, 3, 4)
    assert_close(ember.nn.NLLLoss(reduction="sum")(ember.tensor(x), ember.tensor(t)),
                 torch.nn.NLLLoss(reduction="sum")(torch.tensor(x), torch.tensor(t)))
    y = rng.standard_normal((4, 3))
    assert_close(ember.nn.MSELoss()(ember.tensor(x), ember.tensor(y)),
                 torch.nn.MSELoss()(torch.tensor(x), torch.tensor(y)))


def test_loss_errors_like_torch():
    x = np.zeros((3, 4), np.float32)
    for target in (np.array([0, 1]), np.array([0, 1, 7])):
        assert_raises_like_torch(
            lambda: ember.nn.functional.cross_entropy(ember.tensor(x), ember.tensor(target)),
            lambda: torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(target)))
    assert_raises_like_torch(
        lambda: ember.nn.functional.mse_loss(ember.tensor(x), ember.tensor(x), reduction="avg"),
        lambda: torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(x), reduction="avg"))
