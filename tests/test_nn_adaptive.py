"""AdaptiveLogSoftmaxWithLoss against PyTorch with the same weights: outputs, loss,
gradients, log_prob, predict, state_dict interchange and errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch, copy_params


def _pair(*args, **kwargs):
    t_mod = torch.nn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs).double()
    e_mod = ember.nn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs).double()
    copy_params(t_mod, e_mod)
    return t_mod, e_mod


@pytest.mark.parametrize("kwargs", [{"cutoffs": [4, 10]}, {"cutoffs": [3], "head_bias": True},
                                    {"cutoffs": [2, 5, 9], "div_value": 2.0}])
def test_forward_and_gradients_match_torch(kwargs, rng):
    t_mod, e_mod = _pair(16, 14, **kwargs)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    x = rng.standard_normal((12, 16))
    target = rng.integers(0, 14, 12)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    t_out, e_out = t_mod(tx, torch.tensor(target)), e_mod(ex, ember.tensor(target))
    assert e_out._fields == ("output", "loss")
    assert_close(e_out.output, t_out.output)
    assert_close(e_out.loss, t_out.loss)
    g = rng.standard_normal(12)
    (t_out.loss + (t_out.output * torch.tensor(g)).sum()).backward()
    (e_out.loss + (e_out.output * ember.tensor(g)).sum()).backward()
    assert_close(ex.grad, tx.grad)
    for (name, p), (_, q) in zip(t_mod.named_parameters(), e_mod.named_parameters()):
        assert_close(q.grad, p.grad, what=f"grad of {name}")


def test_unbatched_log_prob_and_predict_match_torch(rng):
    t_mod, e_mod = _pair(16, 20, [5, 12], head_bias=True)
    x = rng.standard_normal((30, 16)) * 3
    assert_close(e_mod.log_prob(ember.tensor(x)), t_mod.log_prob(torch.tensor(x)))
    assert_close(e_mod.predict(ember.tensor(x)), t_mod.predict(torch.tensor(x)))
    t_out = t_mod(torch.tensor(x[0]), torch.tensor(15))
    e_out = e_mod(ember.tensor(x[0]), ember.tensor(15))
    assert_close(e_out.output, t_out.output)
    assert_close(e_out.loss, t_out.loss)


def test_state_dict_interchanges(rng):
    t_mod = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 12])
    e_mod = ember.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 12])
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    x = rng.standard_normal((4, 8)).astype(np.float32)
    assert_close(e_mod.log_prob(ember.tensor(x)), t_mod.log_prob(torch.tensor(x)))
    assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("cutoffs", [[], [5, 3], [0, 4], [4, 20], [3, 3]])
def test_bad_cutoffs_raise_like_torch(cutoffs):
    assert_raises_like_torch(lambda: ember.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs),
                             lambda: torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs))


@pytest.mark.parametrize("shapes", [((4, 8), (3,)), ((4, 8), (4, 1)), ((2, 4, 8), (4,)),
                                    ((4,), ())])
def test_bad_shapes_raise_like_torch(shapes):
    (xs, ts) = shapes
    t_mod, e_mod = _pair(8, 20, [5])
    assert_raises_like_torch(
        lambda: e_mod(ember.zeros(xs, dtype=ember.float64), ember.zeros(ts, dtype=ember.int64)),
        lambda: t_mod(torch.zeros(xs, dtype=torch.float64), torch.zeros(ts, dtype=torch.int64)))


def test_target_out_of_range_raises_like_torch():
    t_mod, e_mod = _pair(8, 20, [5])
    assert_raises_like_torch(lambda: e_mod(ember.zeros(2, 8, dtype=ember.float64),
                                           ember.tensor([1, 20])),
                             lambda: t_mod(torch.zeros(2, 8, dtype=torch.float64),
                                           torch.tensor([1, 20])))
