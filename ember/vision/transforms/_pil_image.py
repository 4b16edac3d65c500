"""Image operations on Pillow images: Pillow's own resampling and enhancers, as torchvision
uses them, so results equal torchvision's on the same image."""
from __future__ import annotations

import numpy as np

from .._pil import pil


def num_channels(img) -> int:
    return len(img.getbands())


def resize(img, height: int, width: int, pil_filter: int):
    return img.resize((width, height), pil_filter)


def crop(img, top: int, left: int, height: int, width: int):
    return img.crop((left, top, left + width, top + height))


def hflip(img):
    return img.transpose(pil().Transpose.FLIP_LEFT_RIGHT)


def _fill_color(fill, img):
    """A fill value in the form Pillow wants for ``img``'s mode (a tuple per band, or one)."""
    if fill is None:
        return None
    bands = num_channels(img)
    values = list(fill) if isinstance(fill, (list, tuple)) else [fill]
    if len(values) == 1:
        values = values * bands
    if len(values) != bands:
        raise ValueError(f"The number of elements in 'fill' does not match the number of "
                         f"channels of the image ({len(values)} != {bands})")
    cast = float if img.mode == "F" else int
    values = tuple(cast(v) for v in values)
    return values[0] if bands == 1 else values


_NUMPY_PAD = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def pad(img, left: int, top: int, right: int, bottom: int, fill, padding_mode: str):
    if padding_mode == "constant":
        from PIL import ImageOps
        return ImageOps.expand(img, border=(left, top, right, bottom),
                               fill=_fill_color(fill, img))
    if padding_mode not in _NUMPY_PAD:
        raise ValueError(f"Padding mode should be either constant, edge, reflect or "
                         f"symmetric, got {padding_mode!r}")
    array = np.asarray(img)
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (array.ndim - 2)
    out = pil().fromarray(np.pad(array, widths, mode=_NUMPY_PAD[padding_mode]))
    if img.mode == "P":
        out.putpalette(img.getpalette())
    return out


def rotate(img, angle: float, pil_filter: int, expand: bool, center, fill):
    return img.rotate(angle, pil_filter, expand, center, fillcolor=_fill_color(fill, img))


def _enhance(kind: str, img, factor: float):
    from PIL import ImageEnhance
    return getattr(ImageEnhance, kind)(img).enhance(factor)


def adjust_brightness(img, factor: float):
    return _enhance("Brightness", img, factor)


def adjust_contrast(img, factor: float):
    return _enhance("Contrast", img, factor)


def adjust_saturation(img, factor: float):
    return _enhance("Color", img, factor)


def adjust_hue(img, factor: float):
    if img.mode in ("L", "1", "I", "F"):
        return img
    h, s, v = img.convert("HSV").split()
    hue = np.array(h, dtype=np.uint8)
    hue += np.uint8(int(factor * 255) % 256)  # hue is an angle: uint8 wraps around
    h = pil().fromarray(hue, "L")
    return pil().merge("HSV", (h, s, v)).convert(img.mode)
