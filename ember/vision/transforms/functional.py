"""Image functions on Pillow images and (..., C, H, W) tensors, torchvision's
``transforms.functional``: each picks the Pillow or the tensor implementation.

>>> img = ember.rand(3, 64, 48)
>>> F.center_crop(F.resize(img, 32), 32).shape
ember.Size([3, 32, 32])
"""
from __future__ import annotations

import numbers
import sys

import numpy as np

import ember
from ..._tensor import Tensor
from .._pil import is_pil_image, pil
from . import _pil_image as P
from . import _tensor_image as T
from ._modes import PIL_FILTERS, InterpolationMode, as_mode

__all__ = ["get_dimensions", "get_image_size", "get_image_num_channels", "to_tensor",
           "pil_to_tensor", "to_image", "to_dtype", "convert_image_dtype", "to_pil_image",
           "normalize", "resize", "crop", "center_crop", "resized_crop", "pad", "hflip",
           "rotate", "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "rgb_to_grayscale", "InterpolationMode"]


def _check_image(img, fn: str) -> bool:
    """True for a Pillow image, False for a tensor; anything else is a TypeError."""
    if is_pil_image(img):
        return True
    if isinstance(img, Tensor):
        if img.dim() < 2:
            raise TypeError(f"{fn}: a tensor image needs at least 2 dims (H, W), got shape "
                            f"{list(img.shape)}")
        return False
    raise TypeError(f"{fn}: img should be a PIL Image or a Tensor, got {type(img).__name__}")


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of an image.

    >>> F.get_dimensions(ember.zeros(3, 4, 5))
    [3, 4, 5]
    """
    if _check_image(img, "get_dimensions"):
        return [P.num_channels(img), img.height, img.width]
    channels = 1 if img.dim() == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def get_image_size(img) -> list[int]:
    """[width, height] of an image (torchvision's order)."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


# ----------------------------------------------------------------------------- conversion


def _pil_array(pic) -> np.ndarray:
    """The pixels of a Pillow image as an (H, W, C) array in the image's own number type."""
    numbers_of = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
                  "F": np.float32}
    array = np.array(pic, numbers_of.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        array = 255 * array
    return array.reshape(pic.height, pic.width, P.num_channels(pic))


def to_image(pic) -> Tensor:
    """A (C, H, W) tensor of the same number type from a Pillow image or an (H, W[, C])
    array; tensors pass through.

    >>> F.to_image(np.zeros((4, 5, 3), np.uint8)).shape
    ember.Size([3, 4, 5])
    """
    if isinstance(pic, Tensor):
        return pic
    if isinstance(pic, np.ndarray):
        array = pic[:, :, None] if pic.ndim == 2 else pic
    elif is_pil_image(pic):
        array = _pil_array(pic)
    else:
        raise TypeError(f"to_image: expected a PIL Image, ndarray or Tensor, got "
                        f"{type(pic).__name__}")
    return ember.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


def pil_to_tensor(pic) -> Tensor:
    """A Pillow image as a (C, H, W) tensor of its own number type (uint8 for 'RGB', 'L').

    >>> F.pil_to_tensor(PIL.Image.new("RGB", (5, 4))).dtype
    ember.uint8
    """
    if not is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    return to_image(pic)


def to_tensor(pic) -> Tensor:
    """A Pillow image or (H, W[, C]) array as a (C, H, W) tensor; 8-bit pixels are scaled
    to floats in [0, 1] (the default float dtype), other number types are kept.

    >>> F.to_tensor(np.full((2, 2), 255, np.uint8))
    tensor([[[1., 1.],
             [1., 1.]]])
    """
    if not (is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray) and pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    img = to_image(pic)
    if img.dtype == ember.uint8:
        return img.to(ember.get_default_dtype()).div(255)
    return img


def to_dtype(img: Tensor, dtype=ember.float32, scale: bool = False) -> Tensor:
    """``img`` as ``dtype``; ``scale=True`` maps value ranges (uint8 0..255 <-> float 0..1).

    >>> F.to_dtype(ember.tensor([0, 255], dtype=ember.uint8), ember.float32, scale=True)
    tensor([0., 1.])
    """
    return T.to_dtype(img, dtype, scale)


def convert_image_dtype(image: Tensor, dtype=ember.float32) -> Tensor:
    """``to_dtype(image, dtype, scale=True)``: torchvision's v1 name."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    return T.to_dtype(image, dtype, scale=True)


def to_pil_image(pic, mode: str | None = None):
    """A (C, H, W) tensor or (H, W, C) array as a Pillow image; float tensors are taken to be
    in [0, 1] and scaled to 8 bits.

    >>> F.to_pil_image(ember.rand(3, 4, 5)).size
    (5, 4)
    """
    if isinstance(pic, Tensor):
        if pic.dim() not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
        pic = pic.unsqueeze(0) if pic.dim() == 2 else pic
        if pic.is_floating_point() and mode != "F":
            pic = (pic * 255).to(ember.uint8)
        array = pic.detach().cpu().numpy().transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if array.shape[-1] == 1:
        array = array[:, :, 0]
    return pil().fromarray(np.ascontiguousarray(array), mode)


def normalize(tensor: Tensor, mean: list[float], std: list[float],
              inplace: bool = False) -> Tensor:
    """Per channel ``(x - mean) / std`` on a float (..., C, H, W) tensor.

    >>> F.normalize(ember.ones(3, 2, 2), [0.5] * 3, [0.5] * 3)[0, 0, 0]
    tensor(1.)
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.dim() < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(tensor.shape)}")
    mean_t = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device).reshape(-1, 1, 1)
    std_t = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device).reshape(-1, 1, 1)
    if (std_t == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                         f"to division by zero.")
    if inplace:
        return tensor.sub_(mean_t).div_(std_t)
    return (tensor - mean_t) / std_t


# ----------------------------------------------------------------------------- geometry


def resized_size(height: int, width: int, size, max_size: int | None = None) -> list[int]:
    """[height, width] after resizing to ``size``: (h, w), or one number for the shorter edge
    (keeping the aspect ratio, the longer edge capped at ``max_size``)."""
    if isinstance(size, numbers.Number):
        size = [int(size)]
    if size is None or len(size) not in (1, 2):
        raise ValueError(f"size must be an int or a sequence of one or two ints, got {size!r}")
    if len(size) == 2:
        if max_size is not None:
            raise ValueError("max_size should only be passed if size specifies the length of "
                             "the smaller edge, i.e. size should be an int or a sequence of "
                             f"length 1 in torchscript mode. Got size={size}")
        return [int(size[0]), int(size[1])]
    short, long = sorted((height, width))
    new_short, new_long = size[0], int(size[0] * long / short)
    if max_size is not None:
        if max_size <= size[0]:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                             f"requested size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return [new_short, new_long] if height <= width else [new_long, new_short]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size: int | None = None,
           antialias: bool | None = True):
    """Resize to ``size`` ((h, w), or the shorter edge). Tensors are antialiased when
    shrinking with bilinear/bicubic and ``antialias``; Pillow always antialiases.

    >>> F.resize(ember.rand(3, 40, 80), 20).shape
    ember.Size([3, 20, 40])
    """
    mode = as_mode(interpolation)
    _, h, w = get_dimensions(img)
    new_h, new_w = resized_size(h, w, size, max_size)
    if _check_image(img, "resize"):
        if mode not in PIL_FILTERS:
            raise ValueError(f"resize: Pillow has no {mode.value} filter")
        return img if (new_h, new_w) == (h, w) else P.resize(img, new_h, new_w,
                                                             PIL_FILTERS[mode])
    return T.resize(img, new_h, new_w, mode.value, bool(antialias))


def crop(img, top: int, left: int, height: int, width: int):
    """The window of the given size at (top, left); outside the image is black.

    >>> F.crop(ember.rand(3, 8, 8), 2, 2, 4, 4).shape
    ember.Size([3, 4, 4])
    """
    if _check_image(img, "crop"):
        return P.crop(img, top, left, height, width)
    return T.crop(img, top, left, height, width)


def _pair(size, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{name}: please provide only two dimensions (h, w) for size, got {size}")


def center_crop(img, output_size):
    """The centred window of ``output_size`` ((h, w) or one side); smaller images are first
    padded with black.

    >>> F.center_crop(ember.rand(3, 10, 12), 8).shape
    ember.Size([3, 8, 8])
    """
    crop_h, crop_w = _pair(output_size, "center_crop")
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        left = (crop_w - w) // 2 if crop_w > w else 0
        top = (crop_h - h) // 2 if crop_h > h else 0
        right = (crop_w - w + 1) // 2 if crop_w > w else 0
        bottom = (crop_h - h + 1) // 2 if crop_h > h else 0
        img = pad(img, [left, top, right, bottom], fill=0)
        _, h, w = get_dimensions(img)
        if (crop_h, crop_w) == (h, w):
            return img
    top, left = int(round((h - crop_h) / 2.0)), int(round((w - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
    """`crop` then `resize` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


def _ltrb(padding) -> list[int]:
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders by ``padding`` (all sides, (left/right, top/bottom) or (l, t, r, b)),
    with ``fill`` ('constant') or by 'edge', 'reflect' (or 'symmetric', Pillow only).

    >>> F.pad(ember.zeros(1, 2, 2), [1, 0]).shape
    ember.Size([1, 2, 4])
    """
    left, top, right, bottom = _ltrb(padding)
    if _check_image(img, "pad"):
        return P.pad(img, left, top, right, bottom, fill, padding_mode)
    return T.pad(img, left, top, right, bottom, fill, padding_mode)


def hflip(img):
    """Mirror left to right."""
    if _check_image(img, "hflip"):
        return P.hflip(img)
    return img.flip(-1)


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center: list[int] | None = None, fill: list[float] | float | None = None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default the image
    centre); ``expand`` grows the output to hold the whole image.

    >>> F.rotate(ember.rand(3, 8, 8), 90.0).shape
    ember.Size([3, 8, 8])
    """
    mode = as_mode(interpolation)
    if _check_image(img, "rotate"):
        return P.rotate(img, angle, PIL_FILTERS[mode], expand, center, fill)
    if mode not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"rotate: tensors support nearest and bilinear, got {mode.value}")
    _, h, w = get_dimensions(img)
    offset = (0.0, 0.0) if center is None else (center[0] - w * 0.5, center[1] - h * 0.5)
    if isinstance(fill, numbers.Number):
        fill = [float(fill)]
    elif fill is not None:
        fill = [float(f) for f in fill]
    return T.rotate(img, T.inverse_rotation(angle, offset), mode.value, expand, fill)


# ----------------------------------------------------------------------------- colour


def _colour(name: str, img, factor: float):
    if _check_image(img, name):
        return getattr(P, name)(img, factor)
    if img.dim() < 3 or img.shape[-3] not in (1, 3):
        raise TypeError(f"{name}: expected a (..., 1 or 3, H, W) tensor, got shape "
                        f"{list(img.shape)}")
    return getattr(T, name)(img, factor)


def _non_negative(name: str, factor: float) -> None:
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def adjust_brightness(img, brightness_factor: float):
    """Scale intensities: 0 gives black, 1 the original, 2 twice as bright (clipped)."""
    _non_negative("brightness_factor", brightness_factor)
    return _colour("adjust_brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey: 0 gives solid grey, 1 the original."""
    _non_negative("contrast_factor", contrast_factor)
    return _colour("adjust_contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image: 0 gives grey, 1 the original, 2 doubles saturation."""
    _non_negative("saturation_factor", saturation_factor)
    return _colour("adjust_saturation", img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Turn the hue by ``hue_factor`` of a full circle, in [-0.5, 0.5].

    >>> F.adjust_hue(ember.rand(3, 4, 4), 0.25).shape
    ember.Size([3, 4, 4])
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    return _colour("adjust_hue", img, hue_factor)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma (ITU-R 601-2) with 1 or 3 output channels."""
    if _check_image(img, "rgb_to_grayscale"):
        gray = img.convert("L")
        return gray if num_output_channels == 1 else pil().merge("RGB", [gray] * 3)
    return T.rgb_to_grayscale(img, num_output_channels)
