"""Padding, interpolation and pixel shuffling against PyTorch: values, gradients, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

from .helpers import assert_close, assert_raises_like_torch


def _compare(fn_e, fn_t, x, rng, dtype=np.float64):
    x = x.astype(dtype)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ey, ty = fn_e(ex), fn_t(tx)
    assert_close(ey, ty)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(ex.grad, tx.grad)


PADS = [("constant", (1, 2), (2, 3, 5)), ("constant", (1, -2, 0, 3), (2, 3, 5, 4)),
        ("reflect", (2, 1), (2, 3, 5)), ("reflect", (2, 1, 3, 0), (3, 5, 4)),
        ("reflect", (-1, 2, 1, -2), (2, 3, 5, 7)), ("reflect", (1, 1, 2, 2, 1, 0), (1, 2, 3, 4, 5)),
        ("replicate", (3, 1), (2, 4)), ("replicate", (2, 1, 3, 0), (2, 3, 5, 4)),
        ("replicate", (1, 2, 0, 1, 2, 2), (2, 3, 4, 5)), ("circular", (3, 3), (2, 3, 3)),
        ("circular", (1, 2, 2, -1), (2, 3, 5, 4)), ("circular", (1, 0, 1, 1, 0, 2), (1, 2, 3, 3, 3))]


@pytest.mark.parametrize("mode,pad,shape", PADS)
def test_pad_matches_torch(mode, pad, shape, rng):
    for dtype in (np.float32, np.float64):
        _compare(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode),
                 rng.standard_normal(shape), rng, dtype)


def test_pad_constant_value_and_integer_input():
    x = np.arange(6).reshape(2, 3)
    assert_close(F.pad(ember.tensor(x), (1, 1), value=7), TF.pad(torch.tensor(x), (1, 1),
                                                                   value=7))


INTERP = [
    ("nearest", {"scale_factor": 2}, (2, 3, 4, 5)), ("nearest", {"size": (3, 7)}, (1, 2, 5, 4)),
    ("nearest", {"scale_factor": 1.7}, (2, 3, 6)), ("nearest-exact", {"size": (7, 3)}, (1, 2, 4, 5)),
    ("nearest", {"scale_factor": (0.5, 2, 1.5)}, (1, 2, 4, 3, 2)),
    ("linear", {"scale_factor": 2.5}, (2, 3, 6)), ("linear", {"size": 4, "align_corners": True},
                                                   (2, 3, 7)),
    ("bilinear", {"scale_factor": 2}, (2, 3, 4, 5)),
    ("bilinear", {"size": (3, 4), "align_corners": True}, (2, 3, 5, 7)),
    ("bilinear", {"scale_factor": (1.7, 0.6)}, (1, 2, 5, 7)),
    ("bilinear", {"scale_factor": 0.4, "recompute_scale_factor": True}, (1, 2, 6, 7)),
    ("bicubic", {"scale_factor": 2}, (1, 2, 4, 5)),
    ("bicubic", {"size": (7, 3), "align_corners": True}, (1, 2, 4, 5)),
    ("bicubic", {"size": (3, 3)}, (1, 2, 6, 7)),
    ("trilinear", {"size": (5, 3, 7)}, (1, 2, 3, 4, 5)),
    ("trilinear", {"scale_factor": 2, "align_corners": True}, (1, 2, 2, 3, 2)),
    ("area", {"size": (3, 4)}, (2, 3, 7, 9)), ("area", {"scale_factor": 0.5}, (1, 2, 8)),
    ("area", {"size": (4, 5, 2)}, (1, 1, 7, 5, 5)),
]


@pytest.mark.parametrize("mode,kwargs,shape", INTERP)
def test_interpolate_matches_torch(mode, kwargs, shape, rng):
    for dtype in (np.float32, np.float64):
        _compare(lambda x: F.interpolate(x, mode=mode, **kwargs),
                 lambda x: TF.interpolate(x, mode=mode, **kwargs),
                 rng.standard_normal(shape), rng, dtype)


def test_interpolate_same_size_returns_a_copy(rng):
    x = ember.tensor(rng.standard_normal((1, 2, 3, 3)))
    y = F.interpolate(x, size=(3, 3), mode="bilinear")
    assert y is not x
    assert_close(y, TF.interpolate(torch.tensor(x.numpy()), size=(3, 3), mode="bilinear"))


@pytest.mark.parametrize("name,kwargs,shape", [
    ("Upsample", {"scale_factor": 2}, (2, 3, 4, 5)),
    ("Upsample", {"size": (5, 6), "mode": "bilinear"}, (2, 3, 4, 5)),
    ("Upsample", {"scale_factor": (2.0, 1.5), "mode": "bicubic", "align_corners": True},
     (1, 2, 3, 4)),
    ("UpsamplingNearest2d", {"scale_factor": 3}, (1, 2, 3, 2)),
    ("UpsamplingBilinear2d", {"size": (5, 5)}, (1, 2, 3, 2)),
    ("PixelShuffle", {"upscale_factor": 2}, (2, 8, 3, 4)),
    ("PixelShuffle", {"upscale_factor": 3}, (9, 2, 2)),
    ("PixelUnshuffle", {"downscale_factor": 2}, (2, 2, 4, 6)),
    ("ZeroPad2d", {"padding": (1, 0, 2, 1)}, (2, 3, 4)),
    ("ConstantPad3d", {"padding": 1, "value": 2.5}, (1, 2, 2, 3)),
    ("ReflectionPad1d", {"padding": 2}, (2, 3, 4)),
    ("ReflectionPad2d", {"padding": (1, 2, 0, 1)}, (1, 2, 3, 4)),
    ("ReplicationPad3d", {"padding": 1}, (1, 2, 2, 3, 2)),
    ("CircularPad2d", {"padding": 1}, (1, 2, 3, 4)),
])
def test_vision_layers_match_torch(name, kwargs, shape, rng):
    e_mod, t_mod = getattr(ember.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(e_mod) == repr(t_mod)
    _compare(e_mod, t_mod, rng.standard_normal(shape), rng)


@pytest.mark.parametrize("fn", [
    lambda f, x: f.pad(x, (1,)),
    lambda f, x: f.pad(x, (1, 1) * 5),
    lambda f, x: f.pad(x, (-3, -3)),
    lambda f, x: f.pad(x, (4, 4), mode="reflect"),
    lambda f, x: f.pad(x, (1, 1), mode="reflect"),
    lambda f, x: f.pad(x[0, 0, 0], (1, 1), mode="replicate"),
    lambda f, x: f.pad(x, (1, 1, 1, 1), mode="reflect", value=2.0),
    lambda f, x: f.pad(x, (6, 6, 1, 1), mode="circular"),
    lambda f, x: f.pad(x, (1, 1), mode="bogus"),
    lambda f, x: f.interpolate(x, scale_factor=2, mode="linear"),
    lambda f, x: f.interpolate(x, scale_factor=2, mode="nearest", align_corners=True),
    lambda f, x: f.interpolate(x),
    lambda f, x: f.interpolate(x, size=(2, 2), scale_factor=2),
    lambda f, x: f.interpolate(x, size=(2, 2, 2)),
    lambda f, x: f.interpolate(x, scale_factor=2, mode="cubic"),
    lambda f, x: f.pixel_shuffle(x, 2),
    lambda f, x: f.pixel_unshuffle(x, 3),
    lambda f, x: f.pixel_shuffle(x[0, 0], 1),
])
def test_vision_errors_like_torch(fn):
    x = np.zeros((2, 3, 5, 4))
    assert_raises_like_torch(lambda: fn(F, ember.tensor(x)), lambda: fn(TF, torch.tensor(x)))


@pytest.mark.parametrize("name,kwargs,shape", [
    ("Unfold", {"kernel_size": 2}, (2, 3, 4, 5)),
    ("Unfold", {"kernel_size": (2, 3), "dilation": 2, "padding": 1, "stride": (1, 2)},
     (3, 5, 6)),
    ("Fold", {"output_size": (4, 5), "kernel_size": 2}, (2, 12, 12)),
    ("Fold", {"output_size": 5, "kernel_size": 3, "padding": 1, "stride": 2}, (18, 9)),
])
def test_fold_layers_match_torch(name, kwargs, shape, rng):
    e_mod, t_mod = getattr(ember.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(e_mod) == repr(t_mod)
    _compare(e_mod, t_mod, rng.standard_normal(shape), rng)


@pytest.mark.parametrize("fn", [
    lambda f, x: f.unfold(x.reshape(2, 3, 5, 4, 1), 2),
    lambda f, x: f.fold(x, (4, 5), 2),
    lambda f, x: f.unfold(x, 7),
    lambda f, x: f.fold(x[0], (4, 5), 2),
    lambda f, x: f.fold(x.reshape(2, 5, 12), (4, 5), 2),
    lambda f, x: f.fold(x.reshape(2, 12, 5), (4, 5), 2),
])
def test_fold_errors_like_torch(fn):
    x = np.zeros((2, 3, 5, 4))
    assert_raises_like_torch(lambda: fn(F, ember.tensor(x)), lambda: fn(TF, torch.tensor(x)))


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 2, 3, 4, 5), (1, 1, 1, 3)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(size, align_corners, rng):
    d = len(size) - 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on unit-size grids with align_corners
        _compare(lambda t: F.affine_grid(t, size, align_corners),
                 lambda t: TF.affine_grid(t, size, align_corners),
                 rng.standard_normal((size[0], d, d + 1)), rng)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_torch(mode, padding_mode, align_corners, rng):
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((2, 3, 5, 6)).astype(dtype)
        grid = rng.uniform(-1.3, 1.3, (2, 4, 7, 2)).astype(dtype)  # some points outside
        ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        eg, tg = ember.tensor(grid, requires_grad=True), torch.tensor(grid, requires_grad=True)
        ey = F.grid_sample(ex, eg, mode, padding_mode, align_corners)
        ty = TF.grid_sample(tx, tg, mode, padding_mode, align_corners)
        assert_close(ey, ty)
        g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
        ey.backward(ember.tensor(g))
        ty.backward(torch.tensor(g))
        assert_close(ex.grad, tx.grad)
        if mode == "nearest":  # piecewise constant in the grid: torch's grid gradient is 0
            assert eg.grad is None and not tg.grad.any()
        else:
            assert_close(eg.grad, tg.grad, atol=1e-4 if dtype == np.float32 else None)


def test_spatial_transformer_round_trip_matches_torch(rng):
    theta = np.array([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.05]]])
    x = rng.standard_normal((1, 2, 6, 6))
    ey = F.grid_sample(ember.tensor(x), F.affine_grid(ember.tensor(theta), (1, 2, 4, 4),
                                                     align_corners=False), align_corners=False)
    ty = TF.grid_sample(torch.tensor(x), TF.affine_grid(torch.tensor(theta), (1, 2, 4, 4),
                                                        align_corners=False), align_corners=False)
    assert_close(ey, ty)


@pytest.mark.parametrize("fn", [
    lambda f, lib, x: f.affine_grid(lib.zeros(1, 2, 3, dtype=x.dtype), (1, 1, 2)),
    lambda f, lib, x: f.affine_grid(lib.zeros(1, 3, 3, dtype=x.dtype), (1, 1, 2, 2)),
    lambda f, lib, x: f.affine_grid(lib.zeros(1, 2, 3, dtype=x.dtype), (1, 1, 0, 2)),
    lambda f, lib, x: f.affine_grid(lib.zeros(1, 2, 3, dtype=lib.int64), (1, 1, 2, 2)),
    lambda f, lib, x: f.grid_sample(x, lib.zeros(2, 2, 2, 2, dtype=x.dtype),
                                    padding_mode="wrap"),
])
def test_spatial_transform_errors_like_torch(fn):
    x = np.zeros((2, 3, 5, 4))
    assert_raises_like_torch(lambda: fn(F, ember, ember.tensor(x)),
                             lambda: fn(TF, torch, torch.tensor(x)))
