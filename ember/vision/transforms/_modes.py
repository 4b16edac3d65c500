"""Interpolation modes, named as torchvision names them, and their Pillow / tensor spellings."""
from __future__ import annotations

import enum


class InterpolationMode(enum.Enum):
    """How a resize or rotation samples between pixels.

    >>> ember.vision.transforms.Resize(32, interpolation=InterpolationMode.BICUBIC)
    Resize(size=32, interpolation=bicubic, max_size=None, antialias=True)
    """
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's resampling filter numbers (PIL.Image.Resampling), so Pillow need not be imported
PIL_FILTERS = {InterpolationMode.NEAREST: 0, InterpolationMode.LANCZOS: 1,
               InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
               InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5}

_FROM_PIL = {v: k for k, v in PIL_FILTERS.items()}


def as_mode(interpolation) -> InterpolationMode:
    """An `InterpolationMode` from a mode, its string value, or a Pillow filter number."""
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int) and interpolation in _FROM_PIL:
        return _FROM_PIL[interpolation]
    if isinstance(interpolation, str):
        return InterpolationMode(interpolation)
    raise TypeError(f"Argument interpolation should be an InterpolationMode or a "
                    f"corresponding Pillow integer constant, got {interpolation!r}")
