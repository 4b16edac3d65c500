"""ember.vision.ops and ember.vision.utils against torchvision 0.28."""
import math

import numpy as np
import pytest
import torch
from PIL import Image

import ember
from ember.vision import ops, utils
from tests._torchvision import one_torch_thread, torchvision  # noqa: F401
from tests.helpers import assert_close

from torchvision.ops.roi_align import _roi_align as _compiled_roi_align  # noqa: E402

_roi_align = _compiled_roi_align.__wrapped__  # its Python twin of the kernel, not compiled

TV = torchvision.ops


def _boxes(rng, n, size=50.0):
    corner = rng.random((n, 2)) * size
    return np.concatenate([corner, corner + 1 + rng.random((n, 2)) * size / 2], axis=1)


def test_box_area_iou_and_grad(rng):
    a, b = _boxes(rng, 7), _boxes(rng, 5)
    assert_close(ops.box_area(ember.tensor(a)), TV.box_area(torch.tensor(a)))
    ea, ta = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ey, ty = ops.box_iou(ea, ember.tensor(b)), TV.box_iou(ta, torch.tensor(b))
    assert_close(ey, ty)
    g = rng.standard_normal((7, 5))
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(ea.grad, ta.grad)
    with pytest.raises(ValueError):
        ops.box_iou(ember.zeros(3, 3), ember.zeros(2, 4))


@pytest.mark.parametrize("in_fmt", ["xyxy", "xywh", "cxcywh"])
@pytest.mark.parametrize("out_fmt", ["xyxy", "xywh", "cxcywh"])
def test_box_convert(rng, in_fmt, out_fmt):
    boxes = _boxes(rng, 6)
    assert_close(ops.box_convert(ember.tensor(boxes), in_fmt, out_fmt),
                 TV.box_convert(torch.tensor(boxes), in_fmt, out_fmt))
    with pytest.raises(ValueError):
        ops.box_convert(ember.tensor(boxes), in_fmt, "xyz")


def _reference_nms(boxes, scores, threshold):
    """Greedy NMS in plain Python (torchvision's compiled nms cannot load here)."""
    def iou(p, q):
        w = max(min(p[2], q[2]) - max(p[0], q[0]), 0)
        h = max(min(p[3], q[3]) - max(p[1], q[1]), 0)
        inter = w * h
        return inter / ((p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter)
    keep = []
    for i in sorted(range(len(scores)), key=lambda k: -scores[k]):
        if all(iou(boxes[i], boxes[j]) <= threshold for j in keep):
            keep.append(i)
    return keep


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.7])
def test_nms_and_batched_nms(rng, threshold):
    boxes = _boxes(rng, 60, size=20.0).astype(np.float32)
    scores = rng.random(60).astype(np.float32)
    keep = ops.nms(ember.tensor(boxes), ember.tensor(scores), threshold)
    assert keep.dtype == ember.int64
    assert keep.tolist() == _reference_nms(boxes, scores, threshold)
    classes = rng.integers(0, 3, 60)
    kept = ops.batched_nms(ember.tensor(boxes), ember.tensor(scores), ember.tensor(classes),
                           threshold).tolist()
    expected = sorted((i for c in range(3) for i in np.flatnonzero(classes == c)[
        _reference_nms(boxes[classes == c], scores[classes == c], threshold)]),
        key=lambda i: -scores[i])
    assert kept == expected
    assert ops.nms(ember.zeros(0, 4), ember.zeros(0), 0.5).tolist() == []


def _rois(rng, n, height, width):
    """Boxes whose samples stay on the map (the Python twin skips the kernel's range check)."""
    x1 = rng.random(n) * (width - 3)
    y1 = rng.random(n) * (height - 3)
    x2 = x1 + 0.2 + rng.random(n) * (width - 1 - x1)
    y2 = y1 + 0.2 + rng.random(n) * (height - 1 - y1)
    return np.stack([rng.integers(0, 2, n), x1, y1, x2, y2], axis=1)


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("sampling_ratio", [-1, 2])
@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_roi_align_matches_torchvision_forward_and_grad(rng, aligned, sampling_ratio, scale):
    x = rng.standard_normal((2, 3, 12, 14))
    rois = _rois(rng, 6, 12 / scale, 14 / scale)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ey = ops.roi_align(ex, ember.tensor(rois), (3, 4), scale, sampling_ratio, aligned)
    ty = _roi_align(tx, torch.tensor(rois), scale, 3, 4, sampling_ratio, aligned)
    assert_close(ey, ty, atol=1e-12, rtol=1e-12)
    g = rng.standard_normal(tuple(ty.shape))
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(ex.grad, tx.grad, atol=1e-12, rtol=1e-12)


def _kernel_roi_align(x, roi, ph, pw, grid):
    """One region by the compiled kernel's rule: samples outside [-1, size] count as 0."""
    _, c, h, w = x.shape
    b, x1, y1, x2, y2 = roi
    rw, rh = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
    out = np.zeros((c, ph, pw))

    def sample(y, xx):
        if y < -1 or y > h or xx < -1 or xx > w:
            return np.zeros(c)
        y, xx = max(y, 0.0), max(xx, 0.0)
        y0, x0 = min(int(y), h - 1), min(int(xx), w - 1)
        y1_, x1_ = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
        ly, lx = (y - y0 if y0 < h - 1 else 0.0), (xx - x0 if x0 < w - 1 else 0.0)
        f = x[int(b)]
        return ((1 - ly) * (1 - lx) * f[:, y0, x0] + (1 - ly) * lx * f[:, y0, x1_]
                + ly * (1 - lx) * f[:, y1_, x0] + ly * lx * f[:, y1_, x1_])
    for i in range(ph):
        for j in range(pw):
            for iy in range(grid):
                for ix in range(grid):
                    y = y1 + i * rh / ph + (iy + 0.5) * rh / ph / grid
                    xx = x1 + j * rw / pw + (ix + 0.5) * rw / pw / grid
                    out[:, i, j] += sample(y, xx) / grid ** 2
    return out


def test_roi_align_samples_off_the_map_are_zero(rng):
    x = rng.standard_normal((1, 2, 6, 7))
    rois = np.array([[0, 4.0, 3.0, 9.5, 8.5], [0, -3.0, -2.5, 2.0, 1.0]])
    got = ops.roi_align(ember.tensor(x), [ember.tensor(rois[:, 1:])], 2, sampling_ratio=2)
    for k in range(2):
        np.testing.assert_allclose(got.numpy()[k], _kernel_roi_align(x, rois[k], 2, 2, 2),
                                   atol=1e-12)
    layer = ops.RoIAlign((2, 2), 1.0, 2)
    assert_close(layer(ember.tensor(x), ember.tensor(rois)), torch.tensor(got.numpy()))
    with pytest.raises(ValueError):
        ops.roi_align(ember.tensor(x), ember.zeros(3, 4), 2)


@pytest.mark.parametrize("kwargs", [{}, {"nrow": 2, "padding": 1, "pad_value": 0.5},
                                    {"normalize": True}, {"normalize": True, "scale_each": True},
                                    {"normalize": True, "value_range": (0.2, 0.6)}])
def test_make_grid(rng, kwargs):
    x = rng.random((5, 3, 6, 7)).astype(np.float32)
    assert_close(utils.make_grid(ember.tensor(x), **kwargs),
                 torchvision.utils.make_grid(torch.tensor(x), **kwargs))
    gray = rng.random((3, 1, 4, 4)).astype(np.float32)
    assert_close(utils.make_grid([ember.tensor(g) for g in gray]),
                 torchvision.utils.make_grid([torch.tensor(g) for g in gray]))


def test_save_image_writes_what_torchvision_writes(rng, tmp_path):
    x = rng.random((4, 3, 5, 6)).astype(np.float32)
    utils.save_image(ember.tensor(x), tmp_path / "ours.png", nrow=2)
    torchvision.utils.save_image(torch.tensor(x), tmp_path / "theirs.png", nrow=2)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "ours.png")),
                                  np.asarray(Image.open(tmp_path / "theirs.png")))


@pytest.mark.parametrize("kwargs", [{}, {"fill": True, "width": 2},
                                    {"labels": ["cat", "dog"], "colors": ["red", (0, 255, 0)]}])
def test_draw_bounding_boxes(rng, kwargs):
    img = rng.integers(0, 256, (3, 30, 40), dtype=np.uint8)
    boxes = np.array([[1, 2, 20, 25], [5, 5, 39, 29.5]])
    expected = torchvision.utils.draw_bounding_boxes(torch.tensor(img), torch.tensor(boxes),
                                                     **kwargs)
    assert_close(utils.draw_bounding_boxes(ember.tensor(img), ember.tensor(boxes), **kwargs),
                 expected)
    floats = img[:1] / 255.0
    expected = torchvision.utils.draw_bounding_boxes(torch.tensor(floats), torch.tensor(boxes),
                                                     **kwargs)
    assert_close(utils.draw_bounding_boxes(ember.tensor(floats), ember.tensor(boxes), **kwargs),
                 expected)
    with pytest.raises(ValueError):
        utils.draw_bounding_boxes(ember.tensor(img), ember.tensor([[5.0, 5, 1, 1]]))
    assert math.isclose(float(ember.tensor(img).float().mean()), img.mean(), rel_tol=1e-6)
