"""Fractional max pooling against PyTorch: exact values and indices for given samples,
gradients, random placement (shapes, values are window maxima), and errors."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

from .helpers import assert_close, assert_raises_like_torch

CASES = [(2, (2, 3, 9, 7), (2, 3), (5, 4)), (2, (3, 10, 10), 3, (4, 4)),
         (2, (2, 3, 9, 7), 2, (8, 6)), (2, (1, 2, 6, 6), 2, (1, 1)),
         (3, (2, 2, 7, 6, 9), (2, 2, 3), (4, 3, 5)), (3, (2, 5, 5, 5), 2, 3)]


@pytest.mark.parametrize("n, shape, kernel, output_size", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_given_samples_match_torch_exactly(n, shape, kernel, output_size, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    batch = (shape[0] if len(shape) == n + 2 else 1) + 1  # extra samples go unused
    samples = rng.random((batch, shape[-n - 1], n)).astype(dtype)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    t_out, t_idx = getattr(TF, f"fractional_max_pool{n}d_with_indices")(
        tx, kernel, output_size, _random_samples=torch.tensor(samples))
    e_out, e_idx = getattr(F, f"fractional_max_pool{n}d_with_indices")(
        ex, kernel, output_size, _random_samples=ember.tensor(samples))
    assert_close(e_out, t_out, atol=0, rtol=0)
    assert_close(e_idx, t_idx)
    g = rng.standard_normal(tuple(t_out.shape)).astype(dtype)
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    assert_close(ex.grad, tx.grad)


@pytest.mark.parametrize("n", [2, 3])
def test_module_with_samples_and_ratio_matches_torch(n, rng):
    shape = (2, 3) + (8,) * n
    x = rng.standard_normal(shape).astype(np.float32)
    samples = rng.random((2, 3, n)).astype(np.float32)
    t_mod = getattr(torch.nn, f"FractionalMaxPool{n}d")(
        2, output_ratio=0.6, return_indices=True, _random_samples=torch.tensor(samples))
    e_mod = getattr(ember.nn, f"FractionalMaxPool{n}d")(
        2, output_ratio=0.6, return_indices=True, _random_samples=ember.tensor(samples))
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    for e, t in zip(e_mod(ember.tensor(x)), t_mod(torch.tensor(x))):
        assert_close(e, t)


@pytest.mark.parametrize("n", [2, 3])
def test_random_windows_pick_window_maxima(n, rng):
    x = rng.standard_normal((2, 3) + (9,) * n).astype(np.float32)
    out, idx = getattr(ember.nn, f"FractionalMaxPool{n}d")(3, output_size=5, return_indices=True)(
        ember.tensor(x))
    assert tuple(out.shape) == (2, 3) + (5,) * n
    planes = x.reshape(2, 3, -1)
    flat_idx = idx.numpy().reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(planes, flat_idx, 2),
                                  out.numpy().reshape(2, 3, -1))
    # Each output is the maximum of some kernel-sized window holding its index.
    coords = np.stack(np.unravel_index(flat_idx, (9,) * n), -1)
    for plane, plane_coords, values in zip(x.reshape(6, *(9,) * n), coords.reshape(6, -1, n),
                                           out.numpy().reshape(6, -1)):
        for at, value in zip(plane_coords, values):
            assert any(plane[tuple(slice(s, s + 3) for s in start)].max() == value
                       for start in itertools.product(*(range(max(c - 2, 0), min(c, 6) + 1)
                                                        for c in at)))
    torch_out = getattr(torch.nn, f"FractionalMaxPool{n}d")(3, output_size=5)(torch.tensor(x))
    assert tuple(torch_out.shape) == tuple(out.shape)


@pytest.mark.parametrize("kwargs", [{}, {"output_size": 2, "output_ratio": 0.5},
                                    {"output_ratio": 1.5}])
def test_bad_module_options_raise_like_torch(kwargs):
    assert_raises_like_torch(lambda: ember.nn.FractionalMaxPool2d(2, **kwargs),
                             lambda: torch.nn.FractionalMaxPool2d(2, **kwargs))


@pytest.mark.parametrize("output_size", [5, (6, 2)])
def test_too_large_output_raises_like_torch(output_size):
    assert_raises_like_torch(
        lambda: F.fractional_max_pool2d(ember.zeros(1, 1, 5, 5), 2, output_size),
        lambda: TF.fractional_max_pool2d(torch.zeros(1, 1, 5, 5), 2, output_size))


@pytest.mark.parametrize("samples", [(1, 3, 2), (2, 3, 3), (2, 3), (2, 4, 2)])
def test_bad_samples_raise_like_torch(samples, rng):
    s = rng.random(samples).astype(np.float32)
    x = np.zeros((2, 3, 8, 8), np.float32)
    assert_raises_like_torch(
        lambda: F.fractional_max_pool2d(ember.tensor(x), 2, 4, _random_samples=ember.tensor(s)),
        lambda: TF.fractional_max_pool2d(torch.tensor(x), 2, 4, _random_samples=torch.tensor(s)))


def test_samples_of_another_dtype_raise_like_torch():
    assert_raises_like_torch(
        lambda: F.fractional_max_pool2d(ember.zeros(1, 1, 8, 8), 2, 4,
                                        _random_samples=ember.rand(1, 1, 2).double()),
        lambda: TF.fractional_max_pool2d(torch.zeros(1, 1, 8, 8), 2, 4,
                                         _random_samples=torch.rand(1, 1, 2).double()))
