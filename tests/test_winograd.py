"""Winograd F(2x2, 3x3) convolutions (ember/ops/_winograd.py), forced on and off, against
PyTorch: forward, both gradients, gradients of gradients, odd sizes, layouts; its error
against float64; and the switch in ember.backends.winograd."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember.ops import _winograd

from .helpers import TOL, assert_close

F = ember.nn.functional


@pytest.fixture(params=["winograd", "direct"])
def path(request, monkeypatch):
    """Force every eligible 3x3 convolution onto one path, and count Winograd's calls."""
    flags = ember.backends.winograd
    monkeypatch.setattr(flags, "enabled", request.param == "winograd")
    monkeypatch.setattr(flags, "min_channels", 1)
    calls = []
    for name in ("conv2d", "weight_grad"):
        original = getattr(_winograd, name)
        monkeypatch.setattr(_winograd, name,
                            lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a))
    return request.param, calls


# (input shape, out channels, padding): odd and tiny sizes leave partial edge tiles
CASES = [((2, 3, 7, 5), 4, 1), ((1, 2, 1, 1), 3, 1), ((3, 5, 8, 8), 2, 0),
         ((1, 4, 9, 4), 5, (2, 0)), ((2, 1, 3, 6), 1, "same")]


def _layout(lib, a, layout):
    if layout == "channels_last":
        return a.contiguous(memory_format=lib.channels_last)
    if layout == "noncontiguous":
        return a.transpose(2, 3).contiguous().transpose(2, 3)
    return a


@pytest.mark.parametrize("dtype,layout", [(np.float32, "contiguous"),
                                          (np.float32, "channels_last"),
                                          (np.float64, "noncontiguous")])
@pytest.mark.parametrize("shape,out_channels,padding", CASES)
def test_conv3x3_matches_torch(path, shape, out_channels, padding, dtype, layout, rng):
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((out_channels, shape[1], 3, 3)).astype(dtype)
    g = None
    results = {}
    for lib in (torch, ember):
        xt = _layout(lib, lib.from_numpy(x), layout).requires_grad_(True)
        wt = lib.from_numpy(w).requires_grad_(True)
        y = lib.nn.functional.conv2d(xt, wt, padding=padding)
        if g is None:
            g = rng.standard_normal(tuple(y.shape)).astype(dtype)
        y.backward(lib.from_numpy(g))
        results[lib.__name__] = (y, xt.grad, wt.grad)
    rtol, atol = TOL[np.dtype(dtype)]
    for what, e, t in zip(("output", "grad input", "grad weight"), results["ember"],
                          results["torch"]):
        scale = 1 if what == "output" else 10   # the suite's gradient tolerance
        assert_close(e, t, rtol=rtol * scale, atol=atol * scale, what=what)
    name, calls = path
    # the forward and the input gradient (a flipped-kernel convolution) go through conv2d
    assert (calls.count("conv2d") == 2 and "weight_grad" in calls) == (name == "winograd")


@pytest.mark.parametrize("shape,out_channels,padding", [CASES[0], CASES[3]])
def test_gradcheck_and_gradgradcheck(path, shape, out_channels, padding, rng):
    x = ember.tensor(rng.standard_normal(shape), requires_grad=True)
    w = ember.tensor(rng.standard_normal((out_channels, shape[1], 3, 3)), requires_grad=True)
    fn = lambda a, b: F.conv2d(a, b, padding=padding)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x, w), eps=1e-6, atol=1e-5, rtol=1e-3)
    assert ember.autograd.gradgradcheck(fn, (x, w), eps=1e-6, atol=1e-5, rtol=1e-3)


def test_not_taken_where_it_does_not_apply(path, rng):
    """Strided, dilated, grouped, 1-d/3-d and non-3x3 convolutions take the direct product."""
    _, calls = path
    x = ember.tensor(rng.standard_normal((2, 4, 8, 8)).astype(np.float32))
    w = ember.tensor(rng.standard_normal((4, 4, 3, 3)).astype(np.float32))
    F.conv2d(x, w, stride=2)
    F.conv2d(x, w, dilation=2)
    F.conv2d(x, w[:, :2], groups=2)
    F.conv2d(x, w[:, :, :2])
    F.conv1d(x[:, :, 0], w[:, :, 0])
    F.conv3d(x[:, :, None].expand(2, 4, 3, 8, 8), w[:, :, None].expand(4, 4, 3, 3, 3))
    assert calls == []


def test_min_channels_picks_the_path(monkeypatch, rng):
    monkeypatch.setattr(ember.backends.winograd, "enabled", True)
    monkeypatch.setattr(ember.backends.winograd, "min_channels", 8)
    calls = []
    original = _winograd.conv2d
    monkeypatch.setattr(_winograd, "conv2d", lambda *a: calls.append(a) or original(*a))
    w = ember.tensor(rng.standard_normal((8, 8, 3, 3)).astype(np.float32))
    F.conv2d(ember.tensor(rng.standard_normal((1, 4, 6, 6)).astype(np.float32)), w[:, :4])
    assert calls == []
    F.conv2d(ember.tensor(rng.standard_normal((1, 8, 6, 6)).astype(np.float32)), w)
    assert len(calls) == 1


@pytest.mark.parametrize("channels,size", [(16, 32), (64, 16), (256, 8)])
def test_float32_error_against_float64_is_that_of_the_direct_product(monkeypatch, channels,
                                                                     size, rng):
    """The documented bound: Winograd's float32 error (relative to the output's largest
    entry) stays within 2x the direct product's and under 1e-6 (ember/ops/_winograd.py)."""
    monkeypatch.setattr(ember.backends.winograd, "min_channels", 1)
    x = rng.standard_normal((2, channels, size, size))
    w = rng.standard_normal((channels, channels, 3, 3))
    exact = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1).numpy()
    errors = {}
    for enabled in (True, False):
        monkeypatch.setattr(ember.backends.winograd, "enabled", enabled)
        y = F.conv2d(ember.tensor(x.astype(np.float32)), ember.tensor(w.astype(np.float32)),
                     padding=1).numpy()
        errors[enabled] = np.abs(y - exact).max() / np.abs(exact).max()
    assert errors[True] < 1e-6
    assert errors[True] < 2 * errors[False] + 1e-7
