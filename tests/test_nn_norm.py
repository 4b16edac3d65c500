"""Normalization layers against PyTorch: forward, gradients, running statistics, eval mode,
state dicts, reprs, errors; and the fused batch/layer norm ops against their composites."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember.ops import TABLE

from .helpers import assert_close, assert_raises_like_torch, compare_modules, copy_params

F = ember.nn.functional

LAYER_CASES = [
    ("BatchNorm1d", (3,), {}, (6, 3)),
    ("BatchNorm1d", (3,), {"affine": False}, (4, 3, 5)),
    ("BatchNorm2d", (4,), {"momentum": None}, (3, 4, 5, 6)),
    ("BatchNorm2d", (4,), {"bias": False, "eps": 1e-3}, (3, 4, 2, 3)),
    ("BatchNorm3d", (2,), {"track_running_stats": False}, (2, 2, 3, 2, 4)),
    ("InstanceNorm1d", (3,), {}, (2, 3, 7)),
    ("InstanceNorm2d", (3,), {"affine": True}, (2, 3, 4, 5)),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}, (3, 4, 5)),
    ("InstanceNorm3d", (2,), {"track_running_stats": True}, (2, 2, 3, 3, 2)),
    ("LayerNorm", (5,), {}, (3, 4, 5)),
    ("LayerNorm", ((4, 5),), {"bias": False}, (3, 4, 5)),
    ("LayerNorm", (5,), {"elementwise_affine": False}, (2, 5)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)),
    ("GroupNorm", (3, 6), {"affine": False}, (2, 6, 2, 3)),
    ("GroupNorm", (1, 4), {"bias": False}, (2, 4)),
    ("RMSNorm", (5,), {}, (3, 4, 5)),
    ("RMSNorm", ((4, 5),), {"eps": 1e-3, "elementwise_affine": False}, (3, 4, 5)),
    ("LocalResponseNorm", (3,), {}, (2, 6, 5)),
    ("LocalResponseNorm", (2,), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, (2, 5, 3, 4)),
    ("LocalResponseNorm", (4,), {}, (2, 5, 3, 2, 2)),
]


def _pair(name, args, kwargs, dtype=torch.float64):
    t_mod = getattr(torch.nn, name)(*args, **kwargs).to(dtype)
    e_mod = getattr(ember.nn, name)(*args, **kwargs).to(getattr(ember, str(dtype)[6:]))
    return t_mod, e_mod


@pytest.mark.parametrize("name,args,kwargs,shape", LAYER_CASES)
def test_layers_match_torch(name, args, kwargs, shape, rng):
    t_mod, e_mod = _pair(name, args, kwargs)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    with torch.no_grad():  # non-trivial affine parameters
        for p in t_mod.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    compare_modules(t_mod, e_mod, shape, rng)


@pytest.mark.parametrize("name,args,kwargs,shape",
                         [c for c in LAYER_CASES if "Norm" in c[0] and c[0][:5] in
                          ("Batch", "Insta")])
def test_running_stats_and_eval_match_torch(name, args, kwargs, shape, rng):
    t_mod, e_mod = _pair(name, args, kwargs, torch.float32)
    copy_params(t_mod, e_mod)
    for _ in range(3):
        x = (rng.standard_normal(shape) * 2 + 0.5).astype(np.float32)
        assert_close(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)))
    for key, t in t_mod.state_dict().items():
        assert_close(e_mod.state_dict()[key], t, what=key)
    t_mod.eval()
    e_mod.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    assert_close(e_mod(ember.tensor(x)), t_mod(torch.tensor(x)))


def test_batch_norm_eval_gradients_match_torch(rng):
    t_mod, e_mod = _pair("BatchNorm2d", (3,), {})
    with torch.no_grad():
        t_mod.running_mean.copy_(torch.tensor(rng.standard_normal(3)))
        t_mod.running_var.copy_(torch.tensor(rng.uniform(0.5, 2, 3)))
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    t_mod.eval()
    e_mod.eval()
    compare_modules(t_mod, e_mod, (2, 3, 4, 4), rng)


def test_batch_norm_functional_with_running_stats(rng):
    x = rng.standard_normal((5, 3, 4)).astype(np.float32)
    stats = [rng.standard_normal(3).astype(np.float32), rng.uniform(1, 2, 3).astype(np.float32)]
    e_stats = [ember.tensor(s.copy()) for s in stats]
    t_stats = [torch.tensor(s.copy()) for s in stats]
    ey = F.batch_norm(ember.tensor(x), *e_stats, training=True, momentum=0.3)
    ty = TF.batch_norm(torch.tensor(x), *t_stats, training=True, momentum=0.3)
    assert_close(ey, ty)
    for e, t in zip(e_stats, t_stats):
        assert_close(e, t)


def _composite_batch_norm(x, w, b, eps):
    dims = (0,) + tuple(range(2, x.dim()))
    shape = (1, -1) + (1,) * (x.dim() - 2)
    mean = x.mean(dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dims, keepdim=True)
    return (x - mean) / (var + eps).sqrt() * w.reshape(shape) + b.reshape(shape)


def _composite_layer_norm(x, w, b, k, eps):
    dims = tuple(range(x.dim() - k, x.dim()))
    mean = x.mean(dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dims, keepdim=True)
    return (x - mean) / (var + eps).sqrt() * w + b


FUSED = [
    ("batch_norm", lambda x, w, b: TABLE["batch_norm"].fn(x, w, b, 1e-5)[0],
     lambda x, w, b: _composite_batch_norm(x, w, b, 1e-5), (4, 3, 5), (3,)),
    ("layer_norm", lambda x, w, b: TABLE["layer_norm"].fn(x, w, b, 2, 1e-5)[0],
     lambda x, w, b: _composite_layer_norm(x, w, b, 2, 1e-5), (3, 4, 5), (4, 5)),
]


@pytest.mark.parametrize("name,fused,composite,shape,param_shape", FUSED)
def test_fused_op_matches_its_composite(name, fused, composite, shape, param_shape, rng):
    """Outputs, gradients and second derivatives of the fused op equal the composite's."""
    arrays = [rng.standard_normal(shape) * 2, rng.standard_normal(param_shape),
              rng.standard_normal(param_shape)]
    a = [ember.tensor(v, requires_grad=True) for v in arrays]
    b = [ember.tensor(v, requires_grad=True) for v in arrays]
    ya, yb = fused(*a), composite(*b)
    assert_close(ya.detach(), yb.detach().numpy())
    g = ember.tensor(rng.standard_normal(shape))
    ga = ember.autograd.grad([ya], a, [g], create_graph=True)
    gb = ember.autograd.grad([yb], b, [g], create_graph=True)
    for x, y in zip(ga, gb):
        assert_close(x.detach(), y.detach().numpy())
    # without create_graph, batch_norm takes its in-place path: the same gradients
    plain = ember.autograd.grad([fused(*a)], a, [g])
    for x, y in zip(plain, gb):
        assert_close(x, y.detach().numpy())
    # second derivatives: differentiate a weighted sum of the first ones
    weights = [ember.tensor(rng.standard_normal(t.shape)) for t in ga]
    sa = sum((x * w).sum() for x, w in zip(ga, weights))
    sb = sum((x * w).sum() for x, w in zip(gb, weights))
    for x, y in zip(ember.autograd.grad([sa], a, allow_unused=True),
                    ember.autograd.grad([sb], b, allow_unused=True)):
        if x is None or y is None:  # (the bias's gradient doesn't depend on anything)
            assert x is y or not (x if y is None else y).numpy().any()
            continue
        assert_close(x, y.numpy(), atol=1e-9, rtol=1e-9)


def test_functional_norms_match_torch(rng):
    x = rng.standard_normal((2, 6, 3, 4))
    w, b = rng.standard_normal(6), rng.standard_normal(6)
    e, t = ember.tensor(x), torch.tensor(x)
    assert_close(F.group_norm(e, 3, ember.tensor(w), ember.tensor(b)),
                 TF.group_norm(t, 3, torch.tensor(w), torch.tensor(b)))
    assert_close(F.instance_norm(e), TF.instance_norm(t))
    assert_close(F.layer_norm(e, (3, 4)), TF.layer_norm(t, (3, 4)))
    assert_close(F.rms_norm(e, [4]), TF.rms_norm(t, [4]))
    assert_close(F.local_response_norm(e, 3), TF.local_response_norm(t, 3))
    assert_close(F.batch_norm(e, None, None, training=True),
                 TF.batch_norm(t, None, None, training=True))


def test_float32_stays_float32(rng):
    x = ember.tensor(rng.standard_normal((4, 3, 5)).astype(np.float32))
    for layer in (ember.nn.BatchNorm1d(3), ember.nn.LayerNorm(5), ember.nn.GroupNorm(3, 3),
                  ember.nn.InstanceNorm1d(3), ember.nn.RMSNorm(5),
                  ember.nn.LocalResponseNorm(2)):
        assert layer(x).dtype == ember.float32, type(layer).__name__


ERRORS = [
    # one value per channel in training
    (lambda m: m.BatchNorm1d(3), (1, 3)),
    # wrong number of dims for the layer
    (lambda m: m.BatchNorm2d(3), (2, 3, 4)),
    (lambda m: m.BatchNorm1d(3), (2, 3, 4, 5)),
    (lambda m: m.InstanceNorm2d(3), (3, 4)),
    # channels that don't match the parameters
    (lambda m: m.BatchNorm1d(4), (2, 3)),
    (lambda m: m.InstanceNorm1d(4, affine=True), (2, 3, 5)),
    (lambda m: m.GroupNorm(2, 4), (2, 3, 5)),
    (lambda m: m.LayerNorm(4), (2, 3)),
    (lambda m: m.RMSNorm((2, 3)), (2, 3, 2)),
    # one spatial element per instance
    (lambda m: m.InstanceNorm1d(3), (2, 3, 1)),
    (lambda m: m.LocalResponseNorm(2), (2, 3)),
]


@pytest.mark.parametrize("make,shape", ERRORS)
def test_errors_like_torch(make, shape):
    x = np.ones(shape, np.float32)
    assert_raises_like_torch(lambda: make(ember.nn)(ember.tensor(x)),
                             lambda: make(torch.nn)(torch.tensor(x)))


def test_group_norm_constructor_error():
    assert_raises_like_torch(lambda: ember.nn.GroupNorm(3, 4), lambda: torch.nn.GroupNorm(3, 4))
    assert_raises_like_torch(lambda: F.group_norm(ember.ones(2, 4, 3), 3),
                             lambda: TF.group_norm(torch.ones(2, 4, 3), 3))


def test_eval_without_running_stats_raises():
    assert_raises_like_torch(lambda: F.batch_norm(ember.ones(2, 3), None, None),
                             lambda: TF.batch_norm(torch.ones(2, 3), None, None))


@pytest.mark.parametrize("norm", ["BatchNorm2d", "LayerNorm"])
def test_in_place_activation_after_a_norm_trains(rng, norm):
    """The norm's backward needs its statistics, not its output: an in-place ReLU on the
    output (conv -> BN -> ReLU(inplace=True), as in ResNets) must not break it."""
    x = rng.standard_normal((4, 3, 5, 5))
    make = (lambda m: m.BatchNorm2d(3).double()) if norm == "BatchNorm2d" else \
        (lambda m: m.LayerNorm(5).double())
    t_mod = torch.nn.Sequential(make(torch.nn), torch.nn.ReLU(inplace=True))
    e_mod = ember.nn.Sequential(make(ember.nn), ember.nn.ReLU(inplace=True))
    compare_modules(t_mod, e_mod, x.shape, rng)
