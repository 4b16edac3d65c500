"""nn.utils.parametrize / parametrizations and the legacy weight/spectral norm hooks,
against torch with the same weights (and the same power-iteration vectors)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.nn.utils import parametrize
from tests.helpers import assert_close


def twin_linear(rng, n_in=4, n_out=5):
    e, t = nn.Linear(n_in, n_out), torch.nn.Linear(n_in, n_out)
    copy_weights(e, t, rng)
    return e, t


def copy_weights(e, t, rng):
    for (name, te) in t.state_dict().items():
        value = rng.standard_normal(tuple(te.shape)).astype(np.float32)
        te.copy_(torch.tensor(value))
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})


def load_from_torch(e, t):
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})


def compare_forward_backward(e, t, rng, n_in=4):
    x = rng.standard_normal((3, n_in)).astype(np.float32)
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    assert_close(ye, yt, atol=1e-5, rtol=1e-4)
    ye.square().sum().backward()
    yt.square().sum().backward()
    grads_t = dict(t.named_parameters())
    for name, p in e.named_parameters():
        assert_close(p.grad, grads_t[name].grad, atol=1e-4, rtol=1e-4, what=name)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class TorchSymmetric(torch.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class Scale(nn.Module):
    def forward(self, X):
        return 2 * X

    def right_inverse(self, A):
        return A / 2


class TorchScale(torch.nn.Module):
    def forward(self, X):
        return 2 * X

    def right_inverse(self, A):
        return A / 2


def test_register_parametrization_matches_torch(rng):
    e, t = twin_linear(rng, 4, 4)
    parametrize.register_parametrization(e, "weight", Symmetric())
    torch.nn.utils.parametrize.register_parametrization(t, "weight", TorchSymmetric())
    assert list(e.state_dict()) == list(t.state_dict())
    assert type(e).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert isinstance(e, nn.Linear)
    assert parametrize.is_parametrized(e) and parametrize.is_parametrized(e, "weight")
    assert not parametrize.is_parametrized(e, "bias")
    assert_close(e.parametrizations.weight.original, t.parametrizations.weight.original)
    compare_forward_backward(e, t, rng)


def test_chained_parametrizations_and_assignment(rng):
    e, t = twin_linear(rng, 4, 4)
    for m, sym, scale, reg in ((e, Symmetric, Scale, parametrize.register_parametrization),
                               (t, TorchSymmetric, TorchScale,
                                torch.nn.utils.parametrize.register_parametrization)):
        reg(m, "weight", sym())
        reg(m, "weight", scale())
    assert list(e.state_dict()) == list(t.state_dict())
    value = rng.standard_normal((4, 4)).astype(np.float32)
    e.weight = ember.tensor(value)
    with torch.no_grad():
        t.weight = torch.tensor(value)
    assert_close(e.parametrizations.weight.original, t.parametrizations.weight.original)
    assert_close(e.weight, t.weight)
    compare_forward_backward(e, t, rng)


def test_remove_parametrizations(rng):
    for leave in (True, False):
        e, t = twin_linear(rng, 4, 4)
        parametrize.register_parametrization(e, "weight", Symmetric())
        torch.nn.utils.parametrize.register_parametrization(t, "weight", TorchSymmetric())
        original = e.parametrizations.weight.original
        parametrize.remove_parametrizations(e, "weight", leave_parametrized=leave)
        torch.nn.utils.parametrize.remove_parametrizations(t, "weight", leave_parametrized=leave)
        assert type(e) is nn.Linear and not hasattr(e, "parametrizations")
        assert e.weight is original and isinstance(e.weight, nn.Parameter)
        assert list(e.state_dict()) == list(t.state_dict())
        assert_close(e.weight, t.weight)
    with pytest.raises(ValueError):
        parametrize.remove_parametrizations(e, "weight")


def test_register_errors():
    class Shrink(nn.Module):
        def forward(self, X):
            return X[:1]
    with pytest.raises(ValueError):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Shrink())
    with pytest.raises(ValueError):
        parametrize.register_parametrization(nn.Linear(2, 2), "nope", Symmetric())
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Shrink(), unsafe=True)
    assert m.weight.shape == (1, 2)


def test_cached_evaluates_once():
    calls = []

    class Counting(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 1
    m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Counting())
    calls.clear()
    with parametrize.cached():
        first = m.weight
        assert m.weight is first
    assert len(calls) == 1
    m.weight
    assert len(calls) == 2


def test_parametrized_module_deepcopy_and_optimizer(rng):
    e = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
    clone = copy.deepcopy(e)
    np.testing.assert_allclose(clone.weight.detach().numpy(), e.weight.detach().numpy())
    opt = ember.optim.SGD(e.parameters(), lr=0.1)
    before = e.weight.detach().clone()
    e(ember.randn(2, 3)).sum().backward()
    opt.step()
    assert not bool((e.weight == before).all())
    assert bool((e.weight == e.weight.T).all())


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization(rng, dim):
    e, t = twin_linear(rng)
    nn.utils.parametrizations.weight_norm(e, dim=dim)
    torch.nn.utils.parametrizations.weight_norm(t, dim=dim)
    assert list(e.state_dict()) == list(t.state_dict())
    for name, value in t.state_dict().items():
        assert_close(e.state_dict()[name], value, atol=1e-6, rtol=1e-5, what=name)
    compare_forward_backward(e, t, rng)


def test_weight_norm_parametrization_loads_legacy_state_dict(rng):
    with pytest.warns(FutureWarning):
        t = torch.nn.utils.weight_norm(torch.nn.Linear(4, 5))
    e = nn.utils.parametrizations.weight_norm(nn.Linear(4, 5))
    load_from_torch(e, t)
    assert_close(e.weight, t.weight, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("n_iter", [1, 3])
def test_spectral_norm_parametrization(rng, n_iter):
    e, t = twin_linear(rng)
    nn.utils.parametrizations.spectral_norm(e, n_power_iterations=n_iter)
    torch.nn.utils.parametrizations.spectral_norm(t, n_power_iterations=n_iter)
    assert list(e.state_dict()) == list(t.state_dict())
    load_from_torch(e, t)  # the same random starting vectors
    compare_forward_backward(e, t, rng)
    for name, value in t.state_dict().items():
        assert_close(e.state_dict()[name], value, atol=1e-5, rtol=1e-4, what=name)
    e.eval(), t.eval()
    u = e.parametrizations.weight[0]._u.clone()
    assert_close(e.weight, t.weight, atol=1e-5, rtol=1e-4)
    np.testing.assert_array_equal(e.parametrizations.weight[0]._u.numpy(), u.numpy())


def test_spectral_norm_conv_transpose_dim_and_largest_singular_value():
    m = nn.utils.parametrizations.spectral_norm(nn.ConvTranspose2d(3, 4, 2))
    assert m.parametrizations.weight[0].dim == 1
    lin = nn.utils.parametrizations.spectral_norm(nn.Linear(6, 5), n_power_iterations=30)
    sigma = np.linalg.svd(lin.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(sigma - 1) < 1e-3
    with pytest.raises(ValueError):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


@pytest.mark.parametrize("shape,map_", [((4, 4), "matrix_exp"), ((4, 4), "cayley"),
                                        ((4, 4), "householder"), ((5, 3), None),
                                        ((3, 5), "householder"), ((5, 3), "matrix_exp")])
def test_orthogonal(rng, shape, map_):
    e, t = twin_linear(rng, shape[1], shape[0])
    nn.utils.parametrizations.orthogonal(e, orthogonal_map=map_)
    torch.nn.utils.parametrizations.orthogonal(t, orthogonal_map=map_)
    assert list(e.state_dict()) == list(t.state_dict())
    load_from_torch(e, t)
    compare_forward_backward(e, t, rng, n_in=shape[1])
    w = e.weight.detach().numpy()
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)


def test_orthogonal_assignment_without_trivialization(rng):
    e = nn.utils.parametrizations.orthogonal(nn.Linear(3, 5), orthogonal_map="householder",
                                             use_trivialization=False)
    q = np.linalg.qr(rng.standard_normal((5, 3)))[0].astype(np.float32)
    e.weight = ember.tensor(q)
    np.testing.assert_allclose(e.weight.detach().numpy(), q, atol=1e-5)
    with pytest.raises(ValueError):
        nn.utils.parametrizations.orthogonal(nn.Linear(3, 5), orthogonal_map="qr")


def test_legacy_weight_norm(rng):
    e, t = twin_linear(rng)
    with pytest.warns(FutureWarning):
        nn.utils.weight_norm(e)
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    compare_forward_backward(e, t, rng)
    with pytest.raises(RuntimeError), pytest.warns(FutureWarning):
        nn.utils.weight_norm(e)
    nn.utils.remove_weight_norm(e)
    torch.nn.utils.remove_weight_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert_close(e.weight, t.weight, atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError):
        nn.utils.remove_weight_norm(e)


def test_legacy_spectral_norm(rng):
    e, t = twin_linear(rng)
    nn.utils.spectral_norm(e)
    torch.nn.utils.spectral_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    load_from_torch(e, t)
    compare_forward_backward(e, t, rng)
    assert_close(e.weight_u, t.weight_u, atol=1e-5, rtol=1e-4)
    e.eval(), t.eval()
    x = rng.standard_normal((2, 4)).astype(np.float32)
    assert_close(e(ember.tensor(x)), t(torch.tensor(x)), atol=1e-5, rtol=1e-4)
    nn.utils.remove_spectral_norm(e)
    torch.nn.utils.remove_spectral_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert_close(e.weight, t.weight, atol=1e-5, rtol=1e-4)


def test_parametrized_buffer_and_dtype_move(rng):
    m = nn.BatchNorm1d(3)
    parametrize.register_parametrization(m, "running_var", Scale())
    assert "parametrizations.running_var.original" in m.state_dict()
    assert_close(m.running_var, torch.ones(3))
    m.double()
    assert m.running_var.dtype == ember.float64
    e = nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4)).double()
    assert e.parametrizations.weight[0]._u.dtype == ember.float64
    assert e(ember.zeros(2, 3).double()).dtype == ember.float64


def test_parametrized_module_pickles_as_its_original_class():
    """(PyTorch refuses to pickle these; Ember pickles the original class and the
    ``parametrizations`` child, and makes the parametrized class again on load.)"""
    import pickle
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Symmetric())
    copy = pickle.loads(pickle.dumps(m))
    assert parametrize.is_parametrized(copy, "weight")
    assert type(copy) is not type(m) and parametrize.type_before_parametrizations(copy) is nn.Linear
    x = ember.randn(3, 2)
    assert ember.equal(copy(x), m(x))
    assert ember.equal(copy.weight, copy.weight.T)


def test_bad_parametrization_inputs():
    with pytest.raises(ValueError):
        nn.utils.parametrizations.orthogonal(nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError):
        nn.utils.parametrizations.spectral_norm(nn.Linear(3, 3), "nope")
    with pytest.raises(IndexError):
        nn.utils.parametrizations.spectral_norm(nn.Linear(3, 3), dim=2)
    with pytest.raises(RuntimeError):
        nn.utils.spectral_norm(nn.utils.spectral_norm(nn.Linear(3, 3)))


def test_transfer_and_type_before_parametrizations(rng):
    e, t = twin_linear(rng, 3, 3)
    parametrize.register_parametrization(e, "weight", Symmetric())
    torch.nn.utils.parametrize.register_parametrization(t, "weight", TorchSymmetric())
    assert parametrize.type_before_parametrizations(e) is nn.Linear
    e2, t2 = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    parametrize.transfer_parametrizations_and_params(e, e2)
    torch.nn.utils.parametrize.transfer_parametrizations_and_params(t, t2)
    assert list(e2.state_dict()) == list(t2.state_dict())
    assert_close(e2.parametrizations.weight.original, t2.parametrizations.weight.original)
    assert_close(e2.weight, t2.weight)


@pytest.mark.parametrize("layer,args,shape", [("Conv2d", (3, 4, 2), (2, 3, 5, 5)),
                                              ("ConvTranspose2d", (3, 4, 2), (2, 3, 4, 4))])
@pytest.mark.parametrize("api", ["parametrizations", "legacy"])
def test_spectral_norm_on_convolutions(rng, layer, args, shape, api):
    e, t = getattr(nn, layer)(*args), getattr(torch.nn, layer)(*args)
    copy_weights(e, t, rng)
    if api == "legacy":
        nn.utils.spectral_norm(e), torch.nn.utils.spectral_norm(t)
    else:
        nn.utils.parametrizations.spectral_norm(e)
        torch.nn.utils.parametrizations.spectral_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    load_from_torch(e, t)
    x = rng.standard_normal(shape).astype(np.float32)
    for _ in range(2):
        ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
        assert_close(ye, yt, atol=1e-5, rtol=1e-4)
    ye.sum().backward()
    yt.sum().backward()
    for (n, pe), pt in zip(e.named_parameters(), t.parameters()):
        assert_close(pe.grad, pt.grad, atol=1e-4, rtol=1e-4, what=n)
