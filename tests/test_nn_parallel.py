"""nn.DataParallel on a machine without GPUs: PyTorch's wrapper calls the module directly."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch


def test_data_parallel_wraps_the_module_like_torch(rng):
    t_inner = torch.nn.Linear(3, 2)
    e_inner = ember.nn.Linear(3, 2)
    e_inner.load_state_dict({k: ember.tensor(v.detach().numpy())
                             for k, v in t_inner.state_dict().items()})
    t_model, e_model = torch.nn.DataParallel(t_inner), ember.nn.DataParallel(e_inner)
    assert list(e_model.state_dict()) == list(t_model.state_dict())
    assert e_model.module is e_inner and e_model.device_ids == t_model.device_ids == []
    assert repr(e_model) == repr(t_model)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    ye, yt = e_model(ember.tensor(x)), t_model(torch.tensor(x))
    assert_close(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_close(e_inner.weight.grad, t_inner.weight.grad)
    # a checkpoint saved from the wrapper loads into the wrapper
    e_model.load_state_dict(e_model.state_dict())


def test_functional_data_parallel_needs_a_device_like_torch():
    assert_raises_like_torch(
        lambda: ember.nn.parallel.data_parallel(ember.nn.Linear(2, 2), ember.ones(1, 2)),
        lambda: torch.nn.parallel.data_parallel(torch.nn.Linear(2, 2), torch.ones(1, 2)))


@pytest.mark.parametrize("m", [ember, torch], ids=["ember", "torch"])
def test_data_parallel_is_exported_like_torch(m):
    assert m.nn.DataParallel is m.nn.parallel.DataParallel
