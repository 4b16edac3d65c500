"""Image operations on tensors of shape (..., C, H, W), integer (0..max) or float (0..1).

Integer images are computed in float32 and rounded (or truncated, where torchvision
truncates) back, so the results equal torchvision's on the same tensor.
"""
from __future__ import annotations

import math

import numpy as np

import ember
from ... import nn
from ..._tensor import Tensor
from ... import _dtype as dt

_VALUE_BITS = {dt.uint8: 8, dt.int8: 7, dt.int16: 15, dt.int32: 31, dt.int64: 63}


def max_value(dtype) -> float:
    """The brightest value of an image of ``dtype``: 1 for floats, the top integer otherwise."""
    return 1.0 if dtype.is_floating_point else float(2 ** _VALUE_BITS[dtype] - 1)


def to_dtype(img: Tensor, dtype, scale: bool) -> Tensor:
    """``img`` as ``dtype``; with ``scale``, values are mapped between the dtypes' ranges."""
    if img.dtype == dtype or not scale:
        return img.to(dtype)
    if img.dtype.is_floating_point:
        if dtype.is_floating_point:
            return img.to(dtype)
        # just under max + 1 so that 1.0 maps to max, and each bin has the same width
        return (img * (max_value(dtype) + 1.0 - 1e-3)).to(dtype)
    if dtype.is_floating_point:
        return img.to(dtype) * (1.0 / max_value(img.dtype))
    shift = _VALUE_BITS[img.dtype] - _VALUE_BITS[dtype]
    return (img // 2 ** shift).to(dtype) if shift > 0 else img.to(dtype) * 2 ** -shift


def _as_batch(img: Tensor) -> tuple[Tensor, tuple]:
    return img.reshape(-1, *img.shape[-3:]), tuple(img.shape[:-3])


def _from_float(out: Tensor, dtype, clamp: bool) -> Tensor:
    if dtype.is_floating_point:
        return out
    if clamp:
        out = out.clamp(0, max_value(dtype))
    return out.round().to(dtype)


def resize(img: Tensor, height: int, width: int, mode: str, antialias: bool) -> Tensor:
    """Resample to (height, width): 'nearest', 'nearest-exact', 'bilinear' or 'bicubic'."""
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"resize: interpolation mode {mode!r} is only supported on PIL "
                         f"images; tensors support nearest, nearest-exact, bilinear, bicubic")
    if tuple(img.shape[-2:]) == (height, width):
        return img
    x, lead = _as_batch(img)
    smooth = mode in ("bilinear", "bicubic")
    out = nn.functional.interpolate(
        x if x.is_floating_point() else x.to(dt.float32), size=[height, width], mode=mode,
        align_corners=False if smooth else None, antialias=antialias and smooth)
    out = _from_float(out, img.dtype, clamp=mode == "bicubic")
    return out.reshape(*lead, *out.shape[-3:])


def crop(img: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    """The window at (top, left) of the given size; parts outside the image are zeros."""
    h, w = img.shape[-2:]
    bottom, right = top + height, left + width
    if top >= 0 and left >= 0 and bottom <= h and right <= w:
        return img[..., top:bottom, left:right]
    inner = img[..., max(top, 0):min(bottom, h), max(left, 0):min(right, w)]
    padding = [max(-left, 0), max(right - w, 0), max(-top, 0), max(bottom - h, 0)]
    return nn.functional.pad(inner, padding, value=0)


_PAD_MODES = {"constant": "constant", "edge": "replicate", "reflect": "reflect"}


def pad(img: Tensor, left: int, top: int, right: int, bottom: int, fill: float,
        padding_mode: str) -> Tensor:
    """Pad the borders: 'constant' with ``fill``, 'edge' (repeat) or 'reflect'."""
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"pad: padding_mode {padding_mode!r} is not supported for tensors; "
                         f"use one of {list(_PAD_MODES)}")
    x, lead = _as_batch(img)
    if padding_mode == "constant":
        out = nn.functional.pad(x, [left, right, top, bottom], value=fill)
    else:
        out = nn.functional.pad(x if x.is_floating_point() else x.to(dt.float32),
                                [left, right, top, bottom], mode=_PAD_MODES[padding_mode])
        out = out.to(img.dtype)
    return out.reshape(*lead, *out.shape[-3:])


# ----------------------------------------------------------------------------- rotation


def inverse_rotation(angle: float, center: tuple[float, float]) -> list[float]:
    """The 2x3 affine matrix mapping output pixels back to input pixels for a rotation by
    ``angle`` degrees counter-clockwise about ``center`` (offsets from the image centre)."""
    rot = math.radians(-angle)
    cx, cy = center
    m = [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]
    m[2] += m[0] * -cx + m[1] * -cy + cx
    m[5] += m[3] * -cx + m[4] * -cy + cy
    return m


def rotated_size(matrix: list[float], width: int, height: int) -> tuple[int, int]:
    """(width, height) of the box holding the whole rotated image."""
    corners = np.array([[-0.5 * width, -0.5 * height, 1.0], [-0.5 * width, 0.5 * height, 1.0],
                        [0.5 * width, 0.5 * height, 1.0], [0.5 * width, -0.5 * height, 1.0]],
                       dtype=np.float32)
    # corners moved, then shifted to pixel coordinates ([0, w] x [0, h]) as Pillow rounds them
    moved = corners @ np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    moved += np.array([0.5 * width, 0.5 * height], dtype=np.float32)
    tol = 1e-4  # ignore float noise that would round a 90-degree turn up by one pixel
    hi = np.ceil(np.trunc(moved.max(0) / tol) * tol)
    lo = np.floor(np.trunc(moved.min(0) / tol) * tol)
    size = hi - lo
    return int(size[0]), int(size[1])


def _affine_grid(matrix, width: int, height: int, out_w: int, out_h: int, device) -> Tensor:
    """Sampling grid in grid_sample's [-1, 1] units for the pixel-space inverse ``matrix``."""
    xs = np.linspace(-out_w * 0.5 + 0.5, out_w * 0.5 - 0.5, out_w, dtype=np.float32)
    ys = np.linspace(-out_h * 0.5 + 0.5, out_h * 0.5 - 0.5, out_h, dtype=np.float32)
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.float32(1.0)), axis=-1)
    theta = np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    theta = theta / np.array([0.5 * width, 0.5 * height], dtype=np.float32)
    grid = base.reshape(-1, 3) @ theta
    return ember.tensor(grid.reshape(1, out_h, out_w, 2), device=device)


def rotate(img: Tensor, matrix: list[float], mode: str, expand: bool,
           fill: list[float] | None) -> Tensor:
    """Apply the inverse affine ``matrix``; pixels from outside the image get ``fill``."""
    x, lead = _as_batch(img)
    n, c, h, w = x.shape
    out_w, out_h = rotated_size(matrix, w, h) if expand else (w, h)
    grid = _affine_grid(matrix, w, h, out_w, out_h, img.device).expand(n, out_h, out_w, 2)
    source = x if x.is_floating_point() else x.to(dt.float32)
    if fill is not None:  # an extra all-ones channel records which pixels came from inside
        source = ember.cat([source, ember.ones_like(source[:, :1])], dim=1)
    out = nn.functional.grid_sample(source, grid, mode=mode, padding_mode="zeros",
                                    align_corners=False)
    if fill is not None:
        out, inside = out[:, :-1], out[:, -1:]
        fill_img = ember.tensor(fill if len(fill) > 1 else fill * c, dtype=out.dtype,
                                device=out.device).reshape(1, c, 1, 1)
        if mode == "nearest":
            out = ember.where(inside < 0.5, fill_img, out)
        else:
            out = out * inside + (1.0 - inside) * fill_img
    out = _from_float(out, img.dtype, clamp=False)
    return out.reshape(*lead, *out.shape[-3:])


# ----------------------------------------------------------------------------- colour


def _blend(img: Tensor, other, ratio: float) -> Tensor:
    out = (ratio * img + (1.0 - ratio) * other).clamp(0, max_value(img.dtype))
    return out.to(img.dtype)  # integer images truncate here, as torchvision's do


def _channels(img: Tensor) -> int:
    return img.shape[-3]


def rgb_to_grayscale(img: Tensor, num_output_channels: int = 1) -> Tensor:
    """ITU-R 601-2 luma, L = 0.2989 R + 0.587 G + 0.114 B, in the image's dtype."""
    if _channels(img) == 1:
        gray = img
    else:
        r, g, b = img.unbind(-3)
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)
    return gray.expand(*img.shape[:-3], num_output_channels, *img.shape[-2:]) \
        if num_output_channels > 1 else gray


def adjust_brightness(img: Tensor, factor: float) -> Tensor:
    return _blend(img, 0.0, factor)


def adjust_contrast(img: Tensor, factor: float) -> Tensor:
    gray = rgb_to_grayscale(img) if _channels(img) == 3 else img
    work = img.dtype if img.is_floating_point() else dt.float32
    mean = gray.to(work).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, factor)


def adjust_saturation(img: Tensor, factor: float) -> Tensor:
    return img if _channels(img) == 1 else _blend(img, rgb_to_grayscale(img), factor)


def _rgb_to_hsv(img: Tensor) -> Tensor:
    r, g, b = img.unbind(-3)
    maxc = img.amax(dim=-3)
    minc = img.amin(dim=-3)
    flat = maxc == minc  # grey pixels: hue and saturation are 0, avoid dividing by 0
    spread = maxc - minc
    one = ember.ones_like(maxc)
    s = spread / ember.where(flat, one, maxc)
    spread = ember.where(flat, one, spread)
    rc, gc, bc = (maxc - r) / spread, (maxc - g) / spread, (maxc - b) / spread
    is_r, is_g = maxc == r, maxc == g
    h = (is_r * (bc - gc) + (is_g & ~is_r) * (2.0 + rc - bc)
         + (~is_g & ~is_r) * (4.0 + gc - rc))
    h = ember.fmod(h / 6.0 + 1.0, 1.0)
    return ember.stack([h, s, maxc], dim=-3)


def _hsv_to_rgb(img: Tensor) -> Tensor:
    h, s, v = img.unbind(-3)
    sector = (h * 6.0).floor()
    f = h * 6.0 - sector
    sector = sector.to(dt.int32) % 6
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    # the (r, g, b) of each of the six hue sectors, selected per pixel by a one-hot mask
    table = ember.stack([ember.stack(c, dim=-3) for c in
                             [(v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q)]],
                            dim=-4)
    sectors = ember.arange(6, device=img.device).reshape(-1, 1, 1)
    one_hot = (sector.unsqueeze(-3) == sectors).to(img.dtype)
    return (one_hot.unsqueeze(-4) * table).sum(dim=-3)


def adjust_hue(img: Tensor, factor: float) -> Tensor:
    if _channels(img) == 1:
        return img
    hsv = _rgb_to_hsv(to_dtype(img, dt.float32, scale=True))
    h, s, v = hsv.unbind(-3)
    h = ember.remainder(h + factor, 1.0)
    return to_dtype(_hsv_to_rgb(ember.stack([h, s, v], dim=-3)), img.dtype, scale=True)
