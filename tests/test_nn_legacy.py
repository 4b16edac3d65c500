"""Legacy and single-process layers against PyTorch: CrossMapLRN2d (values and its own
gradient), NLLLoss2d, Container, SyncBatchNorm."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch, compare_modules


@pytest.mark.parametrize("size, channels", [(5, 9), (3, 4), (4, 7), (2, 3), (6, 3), (5, 1)])
def test_cross_map_lrn2d_matches_torch(size, channels, rng):
    args = (size, 0.3, 0.6, 1.5)
    t_mod, e_mod = torch.nn.CrossMapLRN2d(*args), ember.nn.CrossMapLRN2d(*args)
    assert repr(e_mod) == repr(t_mod)
    compare_modules(t_mod, e_mod, (2, channels, 3, 2), rng)


def test_cross_map_lrn2d_rejects_non_4d():
    assert_raises_like_torch(lambda: ember.nn.CrossMapLRN2d(3)(ember.zeros(2, 3, 4)),
                             lambda: torch.nn.CrossMapLRN2d(3)(torch.zeros(2, 3, 4)))


def test_nll_loss2d_is_nll_loss(rng):
    x = rng.standard_normal((2, 4, 3, 3))
    target = rng.integers(0, 4, (2, 3, 3))
    w = rng.random(4)
    with pytest.warns(FutureWarning):
        t_mod = torch.nn.NLLLoss2d(torch.tensor(w), ignore_index=1)
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        e_mod = ember.nn.NLLLoss2d(ember.tensor(w), ignore_index=1)
    assert isinstance(e_mod, ember.nn.NLLLoss)
    assert_close(e_mod(ember.tensor(x), ember.tensor(target)),
                 t_mod(torch.tensor(x), torch.tensor(target)))


def test_container_holds_modules_and_warns():
    with pytest.warns(FutureWarning, match="Container"):
        box = ember.nn.Container(a=ember.nn.Linear(2, 3), b=ember.nn.ReLU())
    with pytest.warns(FutureWarning):
        t_box = torch.nn.Container(a=torch.nn.Linear(2, 3), b=torch.nn.ReLU())
    assert list(box.state_dict()) == list(t_box.state_dict())
    assert repr(box) == repr(t_box)


@pytest.mark.parametrize("training", [True, False])
def test_sync_batch_norm_acts_as_batch_norm(training, rng):
    t_mod, e_mod = torch.nn.SyncBatchNorm(3).double(), ember.nn.SyncBatchNorm(3).double()
    assert repr(e_mod) == repr(t_mod)
    t_mod.running_mean.fill_(0.5)
    e_mod.running_mean.fill_(0.5)
    t_mod.train(training)
    e_mod.train(training)
    compare_modules(t_mod, e_mod, (4, 3, 5), rng)
    assert_close(e_mod.running_mean, t_mod.running_mean)
    assert_close(e_mod.running_var, t_mod.running_var)


@pytest.mark.parametrize("shape", [(4,), (4, 0)])
def test_sync_batch_norm_bad_inputs_raise_like_torch(shape):
    assert_raises_like_torch(lambda: ember.nn.SyncBatchNorm(3)(ember.zeros(shape)),
                             lambda: torch.nn.SyncBatchNorm(3)(torch.zeros(shape)))


def test_convert_sync_batchnorm_shares_state():
    def build(nn):
        net = nn.Sequential(nn.BatchNorm2d(3, affine=False),
                            nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
        net[1][1].eval()
        return net

    t_net = torch.nn.SyncBatchNorm.convert_sync_batchnorm(build(torch.nn))
    e_plain = build(ember.nn)
    e_net = ember.nn.SyncBatchNorm.convert_sync_batchnorm(e_plain)
    assert repr(e_net) == repr(t_net)
    assert isinstance(e_net[1][1], ember.nn.SyncBatchNorm)
    assert e_net[1][1].training is False
    assert e_net[1][1].weight is e_plain[1][1].weight
    assert list(e_net.state_dict()) == list(t_net.state_dict())
    lone = ember.nn.BatchNorm1d(4)
    assert type(ember.nn.SyncBatchNorm.convert_sync_batchnorm(lone)) is ember.nn.SyncBatchNorm
    np.testing.assert_array_equal(lone.running_var.numpy(), np.ones(4))
