"""Lazy layers against torch: shapes inferred from the first input, in-place materialization
(optimizers made earlier keep working), initialization bounds, state-dict loading."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember import nn
from tests.helpers import assert_close

CASES = [  # (class name, constructor args, kwargs, input shape)
    ("LazyLinear", (3,), {}, (4, 5)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 7)),
    ("LazyConv2d", (4, 3), {"stride": 2}, (2, 3, 7, 6)),
    ("LazyConv2d", (4, 3), {"groups": 2, "bias": False}, (2, 6, 5, 5)),
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5)),
    ("LazyConvTranspose2d", (6, 3), {"groups": 3}, (2, 3, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (6, 3)),
    ("LazyBatchNorm2d", (), {"momentum": None}, (4, 3, 5, 5)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {"affine": True}, (2, 3, 7)),
    ("LazyInstanceNorm2d", (), {"track_running_stats": True}, (2, 3, 5, 5)),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 2, 2, 2)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", CASES)
def test_lazy_module_matches_torch(rng, name, args, kwargs, shape):
    e, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(e).split("(")[0] == repr(t).split("(")[0]
    held = list(e.parameters())
    assert all(isinstance(p, nn.UninitializedParameter) for p in held)
    assert e.has_uninitialized_params() == t.has_uninitialized_params()
    opt = ember.optim.SGD(held, lr=0.1) if held else None
    x = rng.standard_normal(shape).astype(np.float32)
    e(ember.tensor(x)), t(torch.tensor(x))
    assert type(e).__name__ == type(t).__name__ == name[4:]
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert list(e.state_dict()) == list(t.state_dict())
    for p, q in zip(held, e.parameters()):
        assert p is q and type(p) is nn.Parameter
    for (n, pe), pt in zip(e.state_dict().items(), t.state_dict().values()):
        assert tuple(pe.shape) == tuple(pt.shape), n
        assert type(pe) is ember.Tensor, n
    for attr in ("in_features", "in_channels", "num_features"):
        assert getattr(e, attr, None) == getattr(t, attr, None)
    if "weight" in dict(t.named_parameters()) and "Norm" not in name:
        fan_in = t.weight.shape[1] * int(np.prod(t.weight.shape[2:]))
        assert np.abs(e.weight.detach().numpy()).max() <= 1 / np.sqrt(fan_in) + 1e-7
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = rng.standard_normal(shape).astype(np.float32)
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    assert_close(ye, yt, atol=1e-5, rtol=1e-4)
    if not held:
        return
    ye.square().sum().backward()
    yt.square().sum().backward()
    for (n, pe), pt in zip(e.named_parameters(), t.parameters()):
        assert_close(pe.grad, pt.grad, atol=1e-4, rtol=1e-4, what=n)
    before = held[0].detach().clone()
    opt.step()
    assert not bool((held[0] == before).all())


def test_lazy_norm_initial_state_matches_torch():
    e, t = nn.LazyBatchNorm1d(), torch.nn.LazyBatchNorm1d()
    e(ember.zeros(4, 3)), t(torch.zeros(4, 3))
    for (n, pe), pt in zip(e.state_dict().items(), t.state_dict().values()):
        assert_close(pe, pt, what=n)


def test_lazy_dtype_follows_to_before_first_call():
    m = nn.LazyConv1d(2, 3).double()
    assert m(ember.zeros(1, 4, 5).double()).dtype == ember.float64
    assert m.weight.dtype == ember.float64


def test_lazy_load_state_dict_materializes(rng):
    t = torch.nn.Linear(5, 3)
    e = nn.LazyLinear(3)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    assert not e.has_uninitialized_params()
    x = rng.standard_normal((2, 5)).astype(np.float32)
    assert_close(e(ember.tensor(x)), t(torch.tensor(x)), atol=1e-6, rtol=1e-5)
    assert type(e) is nn.Linear


def test_uninitialized_parameter_shape_error_and_groups_check():
    p = nn.UninitializedParameter()
    with pytest.raises(RuntimeError):
        p.shape
    with pytest.raises(ValueError):
        nn.LazyConv2d(4, 3, groups=2)(ember.zeros(1, 3, 5, 5))
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.requires_grad


def test_lazy_deepcopy_and_weight_norm_guard(rng):
    import copy
    m = nn.LazyLinear(2)
    clone = copy.deepcopy(m)
    assert isinstance(clone.weight, nn.UninitializedParameter) and clone.weight is not m.weight
    clone(ember.zeros(3, 4))
    assert type(clone) is nn.Linear and isinstance(m.weight, nn.UninitializedParameter)
    with pytest.raises(ValueError), pytest.warns(FutureWarning):
        nn.utils.weight_norm(nn.LazyLinear(2))
    for name in ("LazyConv2d", "LazyConvTranspose1d", "LazyBatchNorm1d"):
        assert issubclass(getattr(nn, name), nn.modules.lazy.LazyModuleMixin)


def test_lazy_conv_unbatched_and_bad_rank():
    m = nn.LazyConv1d(2, 3)
    assert m(ember.zeros(4, 6)).shape == (2, 4) and m.in_channels == 4
    e, t = nn.LazyConv2d(2, 3), torch.nn.LazyConv2d(2, 3)
    from tests.helpers import assert_raises_like_torch
    assert_raises_like_torch(lambda: e(ember.zeros(3, 5)), lambda: t(torch.zeros(3, 5)))
