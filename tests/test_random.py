"""Random sampling: reproducibility, generators and their state, statistics, shapes and dtypes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_raises_like_torch


def test_same_seed_gives_bit_identical_sequences():
    ember.manual_seed(1234)
    first = [ember.rand(5), ember.randn(3, 2), ember.randint(0, 9, (4,)), ember.randperm(6)]
    ember.manual_seed(1234)
    second = [ember.rand(5), ember.randn(3, 2), ember.randint(0, 9, (4,)), ember.randperm(6)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    ember.manual_seed(1235)
    assert not np.array_equal(ember.rand(5).numpy(), first[0].numpy())


def test_generators_are_independent_of_the_global_stream():
    g = ember.Generator().manual_seed(7)
    a = ember.randn(4, generator=g)
    ember.manual_seed(0)
    ember.rand(100)
    b = ember.randn(4, generator=ember.Generator().manual_seed(7))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_generator_state_round_trip():
    g = ember.Generator().manual_seed(3)
    ember.rand(3, generator=g)
    state = g.get_state()
    assert state.dtype is ember.uint8
    after = ember.randn(7, generator=g)
    g.set_state(state)
    np.testing.assert_array_equal(ember.randn(7, generator=g).numpy(), after.numpy())
    assert g.initial_seed() == 3


def test_global_rng_state_round_trip_and_fork_rng():
    ember.manual_seed(5)
    state = ember.get_rng_state()
    a = ember.rand(4)
    ember.set_rng_state(state)
    np.testing.assert_array_equal(ember.rand(4).numpy(), a.numpy())
    ember.set_rng_state(state)
    with ember.random.fork_rng():
        ember.rand(100)
    np.testing.assert_array_equal(ember.rand(4).numpy(), a.numpy())


def test_seed_and_initial_seed():
    ember.manual_seed(42)
    assert ember.initial_seed() == 42
    s = ember.seed()
    assert ember.initial_seed() == s
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()
    ember.manual_seed(-1)  # wraps to 2**64 - 1, as PyTorch's does
    assert ember.initial_seed() == torch.manual_seed(-1).initial_seed()


def test_bad_generator_state_is_refused():
    with pytest.raises(RuntimeError, match="ByteTensor"):
        ember.Generator().set_state(ember.zeros(3))


@pytest.mark.parametrize("fn", ["rand", "randn"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "complex64",
                                   "complex128"])
def test_shapes_and_dtypes_match_torch(fn, dtype):
    e = getattr(ember, fn)(2, 3, dtype=getattr(ember, dtype))
    t = getattr(torch, fn)(2, 3, dtype=getattr(torch, dtype))
    assert tuple(e.shape) == tuple(t.shape) and e.dtype.name == dtype
    assert getattr(ember, fn)((4,)).shape == (4,)
    assert getattr(ember, fn)(()).shape == ()


def test_float32_is_sampled_in_float32():
    # Same seed and generator: float32 draws are not float64 draws rounded.
    g = ember.Generator().manual_seed(0)
    single = ember.rand(1000, generator=g).numpy()
    g.manual_seed(0)
    double = ember.rand(1000, generator=g, dtype=ember.float64).numpy()
    assert single.dtype == np.float32
    assert not np.array_equal(single, double.astype(np.float32))


def test_integer_samplers_match_torch_dtypes():
    assert ember.randint(3, (2,)).dtype is ember.int64
    assert ember.randint(3, 10, (2, 2), dtype=ember.int32).dtype is ember.int32
    assert ember.randint(low=2, high=4, size=(3,)).shape == (3,)
    assert ember.randint_like(ember.zeros(2), 5).dtype is ember.float32
    assert ember.randint_like(ember.zeros(2), 5, 7).numpy().min() >= 5
    assert ember.randperm(5).dtype is ember.int64
    assert sorted(ember.randperm(50).tolist()) == list(range(50))
    assert ember.rand_like(ember.zeros(2, dtype=ember.float64)).dtype is ember.float64
    assert ember.randn_like(ember.zeros(3), dtype=ember.float16).dtype is ember.float16


def _moments(x):
    a = x.numpy().astype(np.float64)
    return a.mean(), a.var()


N = 200_000


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_statistics_of_continuous_samplers(dtype):
    ember.manual_seed(0)
    cases = [
        (ember.rand(N, dtype=dtype), 0.5, 1 / 12),
        (ember.randn(N, dtype=dtype), 0.0, 1.0),
        (ember.empty(N, dtype=dtype).uniform_(-2, 4), 1.0, 3.0),
        (ember.empty(N, dtype=dtype).normal_(3, 0.5), 3.0, 0.25),
        (ember.empty(N, dtype=dtype).exponential_(2.0), 0.5, 0.25),
        (ember.empty(N, dtype=dtype).log_normal_(0.0, 0.25), np.exp(0.25 ** 2 / 2),
         (np.exp(0.25 ** 2) - 1) * np.exp(0.25 ** 2)),
        (ember.empty(N, dtype=dtype).geometric_(0.25), 4.0, 0.75 / 0.25 ** 2),
        (ember.normal(2.0, 3.0, (N,), dtype=dtype), 2.0, 9.0),
        (ember.normal(ember.full((N,), -1.0, dtype=dtype), 2.0), -1.0, 4.0),
        (ember.normal(1.0, ember.full((N,), 0.5, dtype=dtype)), 1.0, 0.25),
        (ember.poisson(ember.full((N,), 3.0, dtype=dtype)), 3.0, 3.0),
        (ember.bernoulli(ember.full((N,), 0.3, dtype=dtype)), 0.3, 0.21),
        (ember.empty(N, dtype=dtype).bernoulli_(0.8), 0.8, 0.16),
        (ember.empty(N, dtype=dtype).random_(0, 10), 4.5, 8.25),
    ]
    for k, (x, mean, var) in enumerate(cases):
        assert x.dtype is dtype, k
        m, v = _moments(x)
        # five standard errors of the mean / variance estimates
        assert abs(m - mean) < 5 * np.sqrt(var / N) + 1e-3, (k, m, mean)
        assert abs(v - var) < 0.05 * var + 1e-3, (k, v, var)


def test_complex_randn_splits_variance_like_torch():
    z = ember.randn(N, dtype=ember.complex64).numpy()
    assert abs(z.real.var() - 0.5) < 0.02 and abs(z.imag.var() - 0.5) < 0.02


def test_cauchy_median_and_quartiles():
    x = np.sort(ember.empty(N).cauchy_(1.0, 2.0).numpy())
    assert abs(x[N // 2] - 1.0) < 0.05
    assert abs(x[N // 4] - (1.0 - 2.0)) < 0.1 and abs(x[3 * N // 4] - (1.0 + 2.0)) < 0.1


def test_random_bounds_follow_torch():
    assert ember.zeros(1000).random_(5).numpy().max() <= 4
    x = ember.zeros(1000, dtype=ember.int8).random_()
    assert x.dtype is ember.int8 and x.numpy().min() >= 0
    f = ember.zeros(1000).random_()
    assert f.numpy().max() <= 2 ** 24 and (f.numpy() == np.round(f.numpy())).all()
    assert set(ember.zeros(100, dtype=ember.bool).random_().tolist()) <= {False, True}


def test_multinomial_with_and_without_replacement():
    ember.manual_seed(0)
    probs = ember.tensor([0.1, 0.0, 0.6, 0.3])
    draws = ember.multinomial(probs, 40_000, replacement=True)
    assert draws.dtype is ember.int64 and draws.shape == (40_000,)
    freq = np.bincount(draws.numpy(), minlength=4) / 40_000
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=0.015)
    rows = ember.multinomial(ember.ones(5, 6), 6)
    assert rows.shape == (5, 6)
    for r in rows.tolist():
        assert sorted(r) == list(range(6))
    # without replacement, the first pick follows the probabilities
    firsts = np.array([ember.multinomial(probs, 2).tolist()[0] for _ in range(3000)])
    assert abs((firsts == 2).mean() - 0.6) < 0.04
    assert ember.tensor([0., 1., 0.]).multinomial(2, True).tolist() == [1, 1]


def test_sampler_errors_match_torch():
    cases = [
        lambda m: m.multinomial(m.ones(3), 4),
        lambda m: m.multinomial(m.tensor([-1., 0., 1.]), 1),
        lambda m: m.bernoulli(m.tensor([2.])),
        lambda m: m.zeros(2, requires_grad=True).uniform_(),
        lambda m: m.zeros(2, requires_grad=True).normal_(),
        lambda m: m.randint(5, 2, (3,)),
        lambda m: m.normal(m.zeros(3), -1.),
        lambda m: m.rand(2, dtype=m.int64),
        lambda m: m.randn(2, dtype=m.int64),
        lambda m: m.zeros(2).exponential_(-1.0),
        lambda m: m.zeros(2).geometric_(1.5),
        lambda m: m.zeros(2).uniform_(3, 1),
        lambda m: m.normal(0., 1.),
    ]
    for case in cases:
        assert_raises_like_torch(lambda: case(ember), lambda: case(torch))


def test_in_place_samplers_bump_version_and_accept_generator():
    x = ember.zeros(5)
    v = x._version
    g = ember.Generator().manual_seed(9)
    x.uniform_(generator=g)
    assert x._version == v + 1
    y = ember.zeros(5).uniform_(generator=ember.Generator().manual_seed(9))
    np.testing.assert_array_equal(x.numpy(), y.numpy())
    with ember.no_grad():
        w = ember.zeros(3, requires_grad=True)
        w.normal_()  # initialising a parameter under no_grad is allowed
    assert w.requires_grad and w.is_leaf


def test_cuda_module_answers_without_a_gpu():
    assert isinstance(ember.cuda.is_available(), bool)
    assert ember.cuda.device_count() >= 0
    ember.cuda.manual_seed(0)
    ember.cuda.manual_seed_all(0)
    ember.cuda.empty_cache()
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            ember.cuda.synchronize()
