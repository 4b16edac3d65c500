"""ember.vision.transforms against torchvision 0.28's on the same Pillow images and tensors."""
import numpy as np
import pytest
import torch
from PIL import Image

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F
from tests._torchvision import one_torch_thread, torchvision  # noqa: F401
from tests.helpers import assert_close, to_numpy

TT = torchvision.transforms
TF = torchvision.transforms.functional
import torchvision.transforms.v2 as TV2  # noqa: E402
MODES = ["NEAREST", "BILINEAR", "BICUBIC"]


def _rgb(rng, h=37, w=53):
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _pil(array):
    return Image.fromarray(array)


def _tensors(array, dtype):
    """The HWC uint8 ``array`` as CHW tensors of ``dtype`` ('uint8' or 'float32')."""
    chw = np.ascontiguousarray(array.transpose(2, 0, 1))
    if dtype == "float32":
        chw = chw.astype(np.float32) / 255
    return ember.from_numpy(chw.copy()), torch.from_numpy(chw.copy())


def _same_pil(a, b):
    assert a.mode == b.mode and a.size == b.size
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _uint8_close(actual, expected, atol=1):
    """Integer images computed through float: equal up to rounding (one level)."""
    assert actual.dtype == ember.uint8 and tuple(actual.shape) == tuple(expected.shape)
    diff = np.abs(to_numpy(actual).astype(int) - expected.numpy().astype(int))
    assert diff.max() <= atol, diff.max()


# ----------------------------------------------------------------------------- conversion


def test_to_tensor_pil_to_tensor_to_image(rng):
    array = _rgb(rng)
    for mode_array in [array, array[:, :, 0]]:
        img = _pil(mode_array)
        assert_close(T.ToTensor()(img), TT.ToTensor()(img))
        assert_close(T.PILToTensor()(img), TT.PILToTensor()(img))
        assert_close(T.ToImage()(img), TV2.ToImage()(img).as_subclass(torch.Tensor))
        assert_close(T.ToTensor()(mode_array), TT.ToTensor()(mode_array))
    floats = rng.random((5, 6, 2)).astype(np.float32)
    assert_close(T.ToTensor()(floats), TT.ToTensor()(floats))
    with pytest.raises(TypeError):
        T.ToTensor()([1, 2])


@pytest.mark.parametrize("src,dst", [("uint8", "float32"), ("float32", "uint8"),
                                     ("uint8", "int16"), ("int16", "uint8"),
                                     ("float32", "float64")])
def test_to_dtype_scaled_and_plain(rng, src, dst):
    values = rng.random((3, 5, 4)) if src.startswith("float") else \
        rng.integers(0, 255 if src == "uint8" else 32767, (3, 5, 4))
    e, t = ember.tensor(values.astype(src)), torch.tensor(values.astype(src))
    for scale in (True, False):
        expected = TV2.ToDtype(getattr(torch, dst), scale=scale)(t)
        assert_close(T.ToDtype(getattr(ember, dst), scale=scale)(e), expected)
    if dst == "float32":
        assert_close(F.convert_image_dtype(e, ember.float32),
                     TF.convert_image_dtype(t, torch.float32))


def test_normalize_and_to_pil_image(rng):
    e, t = _tensors(_rgb(rng), "float32")
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    assert_close(T.Normalize(mean, std)(e), TT.Normalize(mean, std)(t))
    with pytest.raises(TypeError):
        F.normalize(e.to(ember.uint8), mean, std)
    with pytest.raises(ValueError):
        F.normalize(e, mean, [1.0, 0.0, 1.0])
    _same_pil(T.ToPILImage()(e), TT.ToPILImage()(t))


# ----------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("size", [24, [20, 31], [60, 70]])
@pytest.mark.parametrize("mode", MODES)
def test_resize_pil_equals_torchvision(rng, size, mode):
    img = _pil(_rgb(rng))
    kw = dict(interpolation=getattr(T.InterpolationMode, mode))
    tkw = dict(interpolation=getattr(TT.InterpolationMode, mode))
    _same_pil(T.Resize(size, **kw)(img), TT.Resize(size, **tkw)(img))


@pytest.mark.parametrize("size", [24, [20, 31], [60, 70]])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_tensor_equals_torchvision(rng, size, mode, antialias):
    array = _rgb(rng)
    kw = dict(interpolation=getattr(T.InterpolationMode, mode), antialias=antialias)
    tkw = dict(interpolation=getattr(TT.InterpolationMode, mode), antialias=antialias)
    e, t = _tensors(array, "float32")
    assert_close(T.Resize(size, **kw)(e), TT.Resize(size, **tkw)(t))
    e, t = _tensors(array, "uint8")
    _uint8_close(T.Resize(size, **kw)(e), TT.Resize(size, **tkw)(t))


def test_resize_max_size_and_batches(rng):
    e, t = _tensors(_rgb(rng), "float32")
    assert_close(T.Resize(20, max_size=25)(e), TT.Resize(20, max_size=25)(t))
    batch = rng.random((2, 3, 16, 12)).astype(np.float32)
    assert_close(T.Resize(8)(ember.tensor(batch)), TT.Resize(8)(torch.tensor(batch)))
    with pytest.raises(ValueError):
        T.Resize(20, max_size=10)(e)


def test_interpolate_antialias_forward_and_grad(rng):
    x = rng.standard_normal((2, 3, 23, 31))
    for mode in ("bilinear", "bicubic"):
        for size in [(9, 12), (30, 40)]:
            ex = ember.tensor(x, requires_grad=True)
            tx = torch.tensor(x, requires_grad=True)
            ey = ember.nn.functional.interpolate(ex, size=size, mode=mode, antialias=True)
            ty = torch.nn.functional.interpolate(tx, size=size, mode=mode, antialias=True)
            assert_close(ey, ty, atol=1e-10, rtol=1e-10)
            g = rng.standard_normal(ty.shape)
            ey.backward(ember.tensor(g))
            ty.backward(torch.tensor(g))
            assert_close(ex.grad, tx.grad, atol=1e-10, rtol=1e-10)
    with pytest.raises(ValueError):
        ember.nn.functional.interpolate(ember.tensor(x), size=(4, 4), mode="nearest",
                                        antialias=True)


@pytest.mark.parametrize("size", [10, (20, 31), (41, 57), (40, 20)])
def test_center_crop(rng, size):
    array = _rgb(rng)
    _same_pil(T.CenterCrop(size)(_pil(array)), TT.CenterCrop(size)(_pil(array)))
    e, t = _tensors(array, "uint8")
    assert_close(T.CenterCrop(size)(e), TT.CenterCrop(size)(t))


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_pad_crop_hflip(rng, mode):
    array = _rgb(rng, 9, 11)
    for padding in [2, [1, 3], [1, 2, 3, 4]]:
        _same_pil(F.pad(_pil(array), padding, 7, mode), TF.pad(_pil(array), padding, 7, mode))
        e, t = _tensors(array, "uint8")
        assert_close(F.pad(e, padding, 7, mode), TF.pad(t, padding, 7, mode))
    e, t = _tensors(array, "float32")
    assert_close(F.crop(e, -2, 3, 8, 12), TF.crop(t, -2, 3, 8, 12))
    _same_pil(F.crop(_pil(array), -2, 3, 8, 12), TF.crop(_pil(array), -2, 3, 8, 12))
    assert_close(F.hflip(e), TF.hflip(t))
    _same_pil(F.hflip(_pil(array)), TF.hflip(_pil(array)))


@pytest.mark.parametrize("angle", [30.0, -75.5, 90.0])
@pytest.mark.parametrize("expand", [False, True])
@pytest.mark.parametrize("center", [None, [3, 5]])
def test_rotate(rng, angle, expand, center):
    array = _rgb(rng, 17, 23)
    for mode in ("NEAREST", "BILINEAR"):
        kw = dict(interpolation=getattr(T.InterpolationMode, mode), expand=expand,
                  center=center, fill=[10, 20, 30])
        tkw = dict(kw, interpolation=getattr(TT.InterpolationMode, mode))
        _same_pil(F.rotate(_pil(array), angle, **kw), TF.rotate(_pil(array), angle, **tkw))
        e, t = _tensors(array, "float32")
        kw["fill"] = tkw["fill"] = [0.1, 0.2, 0.3]
        actual, expected = F.rotate(e, angle, **kw), TF.rotate(t, angle, **tkw)
        if mode == "BILINEAR":
            assert_close(actual, expected, atol=1e-4)
        else:  # a source coordinate landing on .5 may round either way in float32
            assert tuple(actual.shape) == tuple(expected.shape)
            differ = np.any(to_numpy(actual) != expected.numpy(), axis=0)
            assert differ.mean() < 0.01


# ----------------------------------------------------------------------------- colour


@pytest.mark.parametrize("name,factor", [("brightness", 0.3), ("brightness", 1.7),
                                         ("contrast", 0.4), ("contrast", 1.6),
                                         ("saturation", 0.2), ("saturation", 1.9),
                                         ("hue", -0.3), ("hue", 0.12)])
def test_colour_adjustments(rng, name, factor):
    array = _rgb(rng, 12, 14)
    ours, theirs = getattr(F, f"adjust_{name}"), getattr(TF, f"adjust_{name}")
    _same_pil(ours(_pil(array), factor), theirs(_pil(array), factor))
    e, t = _tensors(array, "float32")
    assert_close(ours(e, factor), theirs(t, factor), atol=1e-5)
    e, t = _tensors(array, "uint8")
    _uint8_close(ours(e, factor), theirs(t, factor))
    gray = _tensors(array[:, :, :1], "float32")
    assert_close(ours(gray[0], factor), theirs(gray[1], factor), atol=1e-6)


def test_colour_arguments_are_checked():
    with pytest.raises(ValueError):
        F.adjust_hue(ember.rand(3, 4, 4), 0.7)
    with pytest.raises(ValueError):
        F.adjust_brightness(ember.rand(3, 4, 4), -1.0)
    with pytest.raises(ValueError):
        T.ColorJitter(hue=0.6)
    assert T.ColorJitter(brightness=0).brightness is None
    assert T.ColorJitter(brightness=0.5).brightness == TT.ColorJitter(brightness=0.5).brightness


# ----------------------------------------------------------------------------- random ones


def test_random_crop_replays_its_params(rng):
    array = _rgb(rng, 20, 24)
    e, t = _tensors(array, "uint8")
    for seed in range(5):
        ember.manual_seed(seed)
        i, j, h, w = T.RandomCrop.get_params(e, (12, 16))
        assert 0 <= i <= 8 and 0 <= j <= 8 and (h, w) == (12, 16)
        ember.manual_seed(seed)
        assert_close(T.RandomCrop((12, 16))(e), TF.crop(t, i, j, h, w))
        ember.manual_seed(seed)
        padded = T.RandomCrop(24, padding=4, padding_mode="reflect")(e)
        ember.manual_seed(seed)
        i, j, h, w = T.RandomCrop.get_params(F.pad(e, 4, padding_mode="reflect"), (24, 24))
        assert_close(padded, TF.crop(TF.pad(t, 4, padding_mode="reflect"), i, j, h, w))
    assert tuple(T.RandomCrop(30, pad_if_needed=True)(e).shape) == (3, 30, 30)
    with pytest.raises(ValueError):
        T.RandomCrop(30)(e)


def test_random_resized_crop_params_and_replay(rng):
    array = _rgb(rng, 40, 60)
    img = _pil(array)
    areas, ratios = [], []
    for seed in range(200):
        ember.manual_seed(seed)
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i and i + h <= 40 and 0 <= j and j + w <= 60
        areas.append(h * w / (40 * 60))
        ratios.append(w / h)
    # rounding to whole pixels widens the ranges slightly
    assert min(areas) > 0.05 and max(areas) <= 1.0 and 0.6 < min(ratios) < max(ratios) < 1.5
    assert np.std(areas) > 0.1  # it does vary
    for seed in range(3):
        ember.manual_seed(seed)
        params = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        ember.manual_seed(seed)
        _same_pil(T.RandomResizedCrop(16)(img), TF.resized_crop(img, *params, [16, 16]))
        e, t = _tensors(array, "float32")
        ember.manual_seed(seed)
        assert_close(T.RandomResizedCrop((16, 20))(e), TF.resized_crop(t, *params, [16, 20]))
    # no window fits the ratio: the centred fallback, as torchvision computes it
    thin = _pil(_rgb(rng, 4, 60))
    assert T.RandomResizedCrop.get_params(thin, (0.9, 1.0), (1.0, 1.0)) == \
        TT.RandomResizedCrop.get_params(thin, [0.9, 1.0], [1.0, 1.0])


def test_random_horizontal_flip_frequency(rng):
    e = ember.arange(6.0).reshape(1, 2, 3)
    flips = sum(bool((T.RandomHorizontalFlip(p=0.3)(e) != e).any()) for _ in range(2000))
    assert 0.25 < flips / 2000 < 0.35  # about 9 binomial standard deviations wide
    assert bool((T.RandomHorizontalFlip(p=1.0)(e) == F.hflip(e)).all())


def test_random_rotation_replays_its_angle(rng):
    array = _rgb(rng, 15, 15)
    angles = []
    for seed in range(50):
        ember.manual_seed(seed)
        angles.append(T.RandomRotation.get_params([-20.0, 35.0]))
    assert -20 <= min(angles) < 0 < max(angles) <= 35
    ember.manual_seed(7)
    angle = T.RandomRotation.get_params([-45.0, 45.0])
    ember.manual_seed(7)
    out = T.RandomRotation(45, interpolation=T.InterpolationMode.BILINEAR, fill=5)(_pil(array))
    _same_pil(out, TF.rotate(_pil(array), angle, TT.InterpolationMode.BILINEAR, fill=5))


def test_color_jitter_replays_its_params(rng):
    array = _rgb(rng, 10, 12)
    e, t = _tensors(array, "float32")
    ranges = [(0.6, 1.4), (0.7, 1.3), (0.5, 1.5), (-0.1, 0.1)]
    for seed in range(5):
        ember.manual_seed(seed)
        order, *factors = T.ColorJitter.get_params(*ranges)
        assert sorted(order.tolist()) == [0, 1, 2, 3]
        assert all(lo <= f <= hi for f, (lo, hi) in zip(factors, ranges))
        ember.manual_seed(seed)
        out = T.ColorJitter(0.4, 0.3, 0.5, 0.1)(e)
        expected = t
        adjust = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation,
                  TF.adjust_hue]
        for k in order.tolist():
            expected = adjust[k](expected, factors[k])
        assert_close(out, expected, atol=1e-5)


def test_compose_lambda_and_preset(rng):
    array = _rgb(rng, 70, 90)
    ours = T.Compose([T.Resize(40), T.CenterCrop(32), T.ToTensor(), T.Lambda(lambda x: 2 * x)])
    theirs = TT.Compose([TT.Resize(40), TT.CenterCrop(32), TT.ToTensor(),
                         TT.Lambda(lambda x: 2 * x)])
    assert_close(ours(_pil(array)), theirs(_pil(array)))
    assert "CenterCrop" in repr(ours)
    with pytest.raises(TypeError):
        T.Lambda(3)
    from torchvision.transforms._presets import ImageClassification
    ours, theirs = T.ImageClassification(crop_size=48, resize_size=56), \
        ImageClassification(crop_size=48, resize_size=56)
    assert_close(ours(_pil(array)), theirs(_pil(array)), atol=1e-5)
    e, t = _tensors(array, "uint8")
    assert_close(ours(e), theirs(t), atol=0.02)  # a one-level uint8 difference, normalized
