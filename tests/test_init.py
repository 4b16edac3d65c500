"""nn.init: exact fans and gains, deterministic fills, and sample statistics vs torch's."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.nn import init
from tests.helpers import assert_close

GAINS = [("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None),
         ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
         ("leaky_relu", 3), ("selu", None)]


@pytest.mark.parametrize("nonlinearity,param", GAINS)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == \
        torch.nn.init.calculate_gain(nonlinearity, param)


@pytest.mark.parametrize("args", [("softmax", None), ("leaky_relu", "x"),
                                  ("leaky_relu", True)])
def test_calculate_gain_errors(args):
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain(*args)
    with pytest.raises(ValueError):
        init.calculate_gain(*args)


@pytest.mark.parametrize("shape", [(3, 4), (8, 2, 3), (16, 4, 3, 3), (2, 5, 1, 2, 3)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(ember.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(5))
    with pytest.raises(ValueError):
        init.xavier_uniform_(ember.empty(5))


def sample(fn, shape, **kwargs):
    return fn(ember.empty(shape), **kwargs).numpy()


# (ember init, torch init, kwargs, shape): the samples' mean, std and range are compared with
# a large torch sample of the same distribution.
DISTRIBUTIONS = [
    ("uniform_", dict(a=-2.0, b=3.0), (200, 100)),
    ("normal_", dict(mean=1.5, std=0.5), (200, 100)),
    ("xavier_uniform_", dict(gain=2.0), (128, 64, 3)),
    ("xavier_normal_", dict(), (256, 80)),
    ("kaiming_uniform_", dict(a=math.sqrt(5)), (120, 40, 3)),
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu"), (150, 70)),
    ("kaiming_normal_", dict(), (200, 50)),
    ("kaiming_normal_", dict(a=0.1, mode="fan_out", nonlinearity="leaky_relu"), (100, 30, 5)),
    ("kaiming_normal_", dict(nonlinearity="tanh"), (200, 64)),
    ("trunc_normal_", dict(), (200, 100)),
    ("trunc_normal_", dict(mean=0.3, std=0.2, a=0.0, b=0.5), (200, 100)),
    ("trunc_normal_", dict(mean=0.0, std=2.0, a=1.0, b=6.0), (200, 100)),
]


@pytest.mark.parametrize("name,kwargs,shape", DISTRIBUTIONS,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(DISTRIBUTIONS)])
def test_distribution_matches_torch(name, kwargs, shape):
    e = sample(getattr(init, name), shape, **kwargs)
    t = getattr(torch.nn.init, name)(torch.empty(shape), **kwargs).numpy()
    assert e.dtype == np.float32 and e.shape == shape
    n = e.size
    std = t.std()
    # the means differ by a few standard errors at most; the spreads by a few percent
    assert abs(e.mean() - t.mean()) < 5 * std * math.sqrt(2 / n)
    assert abs(e.std() / std - 1) < 0.03
    if name.endswith("uniform_") or name == "trunc_normal_":
        # bounded distributions: samples stay inside the theoretical bounds and reach near
        # both ends as torch's do
        low, high = _bound(name, shape, kwargs)
        assert low <= e.min() and e.max() <= high
        span = t.max() - t.min()
        assert abs(e.min() - t.min()) < 0.02 * span and abs(e.max() - t.max()) < 0.02 * span


def _bound(name, shape, kwargs):
    if name == "uniform_":
        return kwargs["a"], kwargs["b"]
    if name == "trunc_normal_":
        return kwargs.get("a", -2.0), kwargs.get("b", 2.0)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    if name == "xavier_uniform_":
        b = kwargs.get("gain", 1.0) * math.sqrt(6.0 / (fan_in + fan_out))
    else:
        fan = fan_in if kwargs.get("mode", "fan_in") == "fan_in" else fan_out
        gain = torch.nn.init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"),
                                            kwargs.get("a", 0))
        b = gain * math.sqrt(3.0 / fan)
    return -b * (1 + 1e-6), b * (1 + 1e-6)


@pytest.mark.parametrize("name,kwargs", [
    ("uniform_", {}), ("normal_", {}), ("trunc_normal_", {}), ("xavier_uniform_", {}),
    ("xavier_normal_", {}), ("kaiming_uniform_", {}), ("kaiming_normal_", {}),
    ("orthogonal_", {}), ("sparse_", {"sparsity": 0.5})])
def test_generator_makes_fills_reproducible(name, kwargs):
    fill = getattr(init, name)
    a = fill(ember.empty(6, 5), generator=ember.Generator().manual_seed(7), **kwargs)
    b = fill(ember.empty(6, 5), generator=ember.Generator().manual_seed(7), **kwargs)
    c = fill(ember.empty(6, 5), generator=ember.Generator().manual_seed(8), **kwargs)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())


def test_fills_do_not_record_and_keep_leaves():
    w = ember.nn.Parameter(ember.empty(4, 3))
    for fill in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
                 init.trunc_normal_, init.orthogonal_, init.zeros_, init.ones_, init.eye_):
        out = fill(w)
        assert out is w and w.is_leaf and w.grad_fn is None and w.requires_grad
    init.constant_(w, 0.5)
    assert (w.detach().numpy() == 0.5).all()


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye_matches_torch(shape):
    assert_close(init.eye_(ember.empty(shape)), torch.nn.init.eye_(torch.empty(shape)))


@pytest.mark.parametrize("shape,groups", [((4, 3, 3), 1), ((6, 4, 3, 5), 2),
                                          ((3, 5, 2, 3, 3), 1), ((4, 2, 3, 3), 4)])
def test_dirac_matches_torch(shape, groups):
    assert_close(init.dirac_(ember.empty(shape), groups),
                 torch.nn.init.dirac_(torch.empty(shape), groups))


@pytest.mark.parametrize("call", [
    lambda lib, fill: fill.eye_(lib.empty(2, 2, 2)),
    lambda lib, fill: fill.dirac_(lib.empty(2, 2)),
    lambda lib, fill: fill.dirac_(lib.empty(3, 2, 3), groups=2),
    lambda lib, fill: fill.kaiming_uniform_(lib.empty(2, 2), mode="fan_avg"),
    lambda lib, fill: fill.orthogonal_(lib.empty(3)),
    lambda lib, fill: fill.sparse_(lib.empty(2, 2, 2), 0.5),
])
def test_errors_match_torch(call):
    with pytest.raises(Exception) as expected:
        call(torch, torch.nn.init)
    with pytest.raises(expected.type):
        call(ember, init)


@pytest.mark.parametrize("shape,gain", [((20, 10), 1.0), ((10, 20), 1.0), ((8, 3, 2, 2), 2.0),
                                        ((6, 6), 0.5)])
def test_orthogonal_is_orthogonal(shape, gain):
    w = init.orthogonal_(ember.empty(shape), gain=gain).numpy().reshape(shape[0], -1) / gain
    small = min(w.shape)
    product = w @ w.T if w.shape[0] == small else w.T @ w
    np.testing.assert_allclose(product, np.eye(small), atol=1e-5)


def test_sparse_zeroes_the_fraction_of_every_column():
    w = init.sparse_(ember.empty(40, 7), sparsity=0.3, std=0.5).numpy()
    assert ((w == 0).sum(axis=0) == math.ceil(0.3 * 40)).all()
    assert 0.4 < w[w != 0].std() < 0.6


def test_zero_element_tensors_warn_and_pass_through():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w = ember.empty(0, 3)
        assert init.kaiming_uniform_(w) is w and init.kaiming_normal_(w) is w
    assert len([c for c in caught if "zero-element" in str(c.message)]) == 2


def test_deprecated_names_warn():
    with pytest.warns(FutureWarning, match="xavier_uniform_"):
        init.xavier_uniform(ember.empty(3, 3))


def test_double_tensors_stay_double():
    w = ember.empty(5, 5, dtype=ember.float64)
    for fill in (init.normal_, init.trunc_normal_, init.orthogonal_, init.xavier_uniform_):
        assert fill(w).dtype == ember.float64
