"""Activation layers and functions against PyTorch: forward, gradients, reprs, in-place, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

from .helpers import assert_close, assert_raises_like_torch

LAYERS = [
    ("ReLU", {}), ("ReLU", {"inplace": True}), ("ReLU6", {}), ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.2, "inplace": True}), ("PReLU", {}),
    ("PReLU", {"num_parameters": 3, "init": 0.1}), ("ELU", {"alpha": 0.5}), ("SELU", {}),
    ("CELU", {"alpha": 2.0}), ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("SiLU", {}),
    ("Mish", {}), ("Sigmoid", {}), ("Tanh", {}), ("Softplus", {"beta": 2.0, "threshold": 1.0}),
    ("Softsign", {}), ("Softshrink", {"lambd": 0.3}), ("Hardshrink", {}), ("Tanhshrink", {}),
    ("Hardtanh", {"min_val": -0.5, "max_val": 1.5}), ("Hardsigmoid", {}), ("Hardswish", {}),
    ("LogSigmoid", {}), ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": -1}),
    ("Softmin", {"dim": 0}), ("Softmax2d", {}), ("GLU", {"dim": 2}), ("Threshold", {
        "threshold": 0.1, "value": 20.0}), ("RReLU", {}), ("Hardswish", {"inplace": True}),
    ("SiLU", {"inplace": True}), ("ELU", {"inplace": True}), ("Hardtanh", {"inplace": True}),
]


def _layer_pair(name, kwargs):
    t_mod = getattr(torch.nn, name)(**kwargs).double()
    e_mod = getattr(ember.nn, name)(**kwargs).double()
    for p, q in zip(t_mod.parameters(), e_mod.parameters()):
        q.data = ember.tensor(p.detach().numpy())
    return t_mod.eval(), e_mod.eval()


@pytest.mark.parametrize("name,kwargs", LAYERS)
def test_activation_layers_match_torch(name, kwargs, rng):
    t_mod, e_mod = _layer_pair(name, kwargs)
    assert repr(e_mod) == repr(t_mod)
    x = rng.uniform(-4, 4, (2, 3, 4, 2))
    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    # in-place layers need a non-leaf input
    ty, ey = t_mod(tx * 1), e_mod(ex * 1)
    assert_close(ey, ty)
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g))
    assert_close(ex.grad, tx.grad)
    for (pname, p), (_, q) in zip(t_mod.named_parameters(), e_mod.named_parameters()):
        assert_close(q.grad, p.grad, what=f"grad of {pname}")


KINKS = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 20.0])
KINKED = [("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("elu", {}), ("celu", {}),
          ("hardtanh", {}), ("hardsigmoid", {}), ("hardswish", {}), ("softshrink", {}),
          ("hardshrink", {}), ("threshold", {"threshold": 0.5, "value": 2.0}),
          ("softplus", {"beta": 1.0, "threshold": 20.0}), ("selu", {})]


@pytest.mark.parametrize("name,kwargs", KINKED)
def test_gradients_at_kinks_match_torch(name, kwargs):
    for dtype in (np.float32, np.float64):
        x = KINKS.astype(dtype)
        tx = torch.tensor(x, requires_grad=True)
        ex = ember.tensor(x, requires_grad=True)
        ty, ey = getattr(TF, name)(tx, **kwargs), getattr(F, name)(ex, **kwargs)
        assert_close(ey, ty)
        ty.sum().backward()
        ey.sum().backward()
        assert_close(ex.grad, tx.grad)


INPLACE = [("relu_", ()), ("elu_", (0.5,)), ("leaky_relu_", (0.3,)), ("hardtanh_", (-0.2, 0.4)),
           ("threshold_", (0.1, -1.0)), ("selu_", ()), ("celu_", (2.0,))]


@pytest.mark.parametrize("name,args", INPLACE)
def test_inplace_functions_write_into_input_and_backprop(name, args, rng):
    x = rng.standard_normal((3, 4))
    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    th, eh = tx * 2, ex * 2
    ty, ey = getattr(TF, name)(th, *args), getattr(F, name)(eh, *args)
    assert ey is eh
    assert_close(eh, th)
    (ty * ty).sum().backward()
    (ey * ey).sum().backward()
    assert_close(ex.grad, tx.grad)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_of_large_float32_tensors_matches_torch(approximate, rng):
    # large enough that the formula runs block by block (ember/ops/_blocks.py), and with a
    # non-contiguous input; values spread past erf's single-precision range
    x = (rng.standard_normal((130, 1200)) * 3).astype(np.float32)
    g = rng.standard_normal((1200, 130)).astype(np.float32)
    e, t = ember.tensor(x.T, requires_grad=True), torch.tensor(x.T, requires_grad=True)
    ye, yt = F.gelu(e, approximate=approximate), TF.gelu(t, approximate=approximate)
    # the tanh form cancels (1 + tanh(u) with tanh(u) near -1): both lose digits there
    atol = 1e-6 if approximate == "none" else 1e-5
    assert ye.dtype == ember.float32
    assert_close(ye, yt, rtol=2e-6, atol=atol)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(e.grad, t.grad, rtol=2e-6, atol=atol)


def test_functional_activations_keep_float32(rng):
    x = ember.tensor(rng.standard_normal(5).astype(np.float32))
    for name in ["gelu", "silu", "elu", "softplus", "mish", "selu", "hardswish", "logsigmoid"]:
        assert getattr(F, name)(x).dtype == ember.float32, name


def test_softmax_implicit_dim_warns_and_follows_torch_rule(rng):
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x = rng.standard_normal(shape)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ey = F.softmax(ember.tensor(x))
            ty = TF.softmax(torch.tensor(x))
        assert any("Implicit dimension" in str(w.message) for w in caught)
        assert_close(ey, ty)


def test_softmax_dtype_argument(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    assert_close(F.log_softmax(ember.tensor(x), 1, dtype=ember.float64),
                 TF.log_softmax(torch.tensor(x), 1, dtype=torch.float64))
    assert_close(F.softmin(ember.tensor(x), 0, dtype=ember.float64),
                 TF.softmin(torch.tensor(x), 0, dtype=torch.float64))


def test_rrelu_training_draws_slopes_in_range(rng):
    x = ember.tensor(-rng.uniform(0.5, 2, (1000,)), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = (y / x).detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)
    m = ember.nn.RReLU(0.1, 0.3)
    assert not np.allclose((m(x) / x).detach().numpy(), 0.2)
    m.eval()
    np.testing.assert_allclose((m(x) / x).detach().numpy(), 0.2)


def test_prelu_weight_is_initialized_like_torch():
    m = ember.nn.PReLU(4, init=0.3)
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.full(4, 0.3, np.float32))
    assert m.weight.dtype == ember.float32


def _both(fn, *arrays):
    return (lambda: fn(ember, F, *[ember.tensor(a) for a in arrays]),
            lambda: fn(torch, TF, *[torch.tensor(a) for a in arrays]))


@pytest.mark.parametrize("fn", [
    lambda lib, f, x: f.glu(x, 1),                          # odd halving dim
    lambda lib, f, x: f.glu(x[0, 0], 0),                    # a scalar
    lambda lib, f, x: f.softshrink(x, -1.0),                # negative lambda
    lambda lib, f, x: f.prelu(x, lib.ones(2, dtype=x.dtype)),  # slopes vs channels
    lambda lib, f, x: f.hardtanh(x, 2.0, 1.0),              # min_val > max_val
    lambda lib, f, x: f.gelu(x, approximate="fast"),        # unknown approximation
    lambda lib, f, x: f.gelu(x.long()),                     # integer input
    lambda lib, f, x: f.silu(x.long()),
    lambda lib, f, x: f.celu(x, 0.0),                       # alpha = 0
    lambda lib, f, x: lib.nn.Softmax2d()(x[0, 0]),          # 1-d input
    lambda lib, f, x: lib.nn.Hardtanh(1.0, 0.0),            # max_val <= min_val
])
def test_activation_errors_like_torch(fn):
    x = np.random.default_rng(0).standard_normal((2, 3))
    assert_raises_like_torch(*_both(fn, x))


def test_gumbel_softmax_samples_and_straight_through_gradient(rng):
    logits = ember.tensor(rng.standard_normal((2000, 4)), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1.0)
    hard = F.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(-1) == 1).all()
    # the arg max follows softmax(logits) in distribution
    freq = h.mean(0)
    expected = TF.softmax(torch.tensor(logits.detach().numpy()), -1).mean(0).numpy()
    assert np.abs(freq - expected).max() < 0.05
    weights = ember.tensor(rng.standard_normal(4))
    (hard * weights).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
