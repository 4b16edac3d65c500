"""Transform classes with torchvision's names: callables on Pillow images and tensors,
composed into a pipeline. Random ones draw from Ember's generator (`ember.manual_seed`
makes a pipeline reproducible) through a ``get_params`` whose result can be replayed with
the functional API.

>>> pipeline = Compose([RandomResizedCrop(24), RandomHorizontalFlip(), ToTensor(),
...                     Normalize([0.5] * 3, [0.5] * 3)])
"""
from __future__ import annotations

import math
import numbers
from typing import Callable, Sequence

import ember
from ... import nn
from . import functional as F
from ._modes import InterpolationMode, as_mode

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToImage", "ToDtype", "ToPILImage",
           "Normalize", "Resize", "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop",
           "RandomHorizontalFlip", "RandomRotation", "ColorJitter", "Lambda"]


class Compose:
    """Apply transforms in order.

    >>> Compose([CenterCrop(10), ToTensor()])
    Compose(
        CenterCrop(size=(10, 10))
        ToTensor()
    )
    """

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class Lambda:
    """Wrap a user function as a transform.

    >>> Lambda(lambda x: x * 2)(ember.ones(1))
    tensor([2.])
    """

    def __init__(self, lambd: Callable):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToTensor:
    """Pillow image / (H, W, C) array -> (C, H, W) float tensor, 8-bit values scaled to [0, 1]."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor(ToTensor):
    """Pillow image -> (C, H, W) tensor of the same number type, unscaled."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)


class ToImage(ToTensor):
    """Pillow image / array / tensor -> (C, H, W) tensor, number type kept (torchvision v2)."""

    def __call__(self, pic):
        return F.to_image(pic)


class ToPILImage:
    """(C, H, W) tensor or (H, W, C) array -> Pillow image (floats taken in [0, 1])."""

    def __init__(self, mode: str | None = None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mode={self.mode})"


class ToDtype(nn.Module):
    """Convert a tensor image's dtype; ``scale=True`` maps value ranges (torchvision v2).

    >>> ToDtype(ember.float32, scale=True)(ember.tensor([255], dtype=ember.uint8))
    tensor([1.])
    """

    def __init__(self, dtype, scale: bool = False):
        super().__init__()
        self.dtype, self.scale = dtype, scale

    def forward(self, img):
        return F.to_dtype(img, self.dtype, self.scale)

    def extra_repr(self) -> str:
        return f"dtype={self.dtype}, scale={self.scale}"


class Normalize(nn.Module):
    """Per channel ``(x - mean) / std`` on float tensor images."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        super().__init__()
        self.mean, self.std, self.inplace = list(mean), list(std), inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"


def _size_arg(size, name: str):
    if isinstance(size, numbers.Number):
        return int(size)
    if isinstance(size, Sequence) and len(size) in (1, 2):
        return list(size)
    raise TypeError(f"{name}: size should be an int or a sequence of one or two ints, got "
                    f"{size!r}")


class Resize(nn.Module):
    """Resize to ``size``: (h, w), or one number for the shorter edge (aspect kept).

    >>> Resize(16)(ember.rand(3, 32, 64)).shape
    ember.Size([3, 16, 32])
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True):
        super().__init__()
        self.size = _size_arg(size, "Resize")
        self.interpolation = as_mode(interpolation)
        self.max_size, self.antialias = max_size, antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def extra_repr(self) -> str:
        return (f"size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias}")


class CenterCrop(nn.Module):
    """The centred window of ``size`` ((h, w) or one side)."""

    def __init__(self, size):
        super().__init__()
        self.size = F._pair(size, "CenterCrop")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def extra_repr(self) -> str:
        return f"size={self.size}"


class Pad(nn.Module):
    """Pad the borders (see `functional.pad`)."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        super().__init__()
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


def _randint(low: int, high: int) -> int:
    return int(ember.randint(low, high, (1,)).item())


def _uniform(low: float, high: float) -> float:
    return float(ember.empty(1).uniform_(low, high).item())


class RandomCrop(nn.Module):
    """A window of ``size`` at a uniformly random position, after optional padding.

    >>> RandomCrop(24, padding=4)(ember.rand(3, 32, 32)).shape
    ember.Size([3, 24, 24])
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        super().__init__()
        self.size = F._pair(size, "RandomCrop")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a random window of ``output_size`` inside ``img``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if (h, w) == (th, tw):
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, h, w = F.get_dimensions(img)
        th, tw = self.size
        if self.pad_if_needed and (w < tw or h < th):
            img = F.pad(img, [max(tw - w, 0), max(th - h, 0)], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))

    def extra_repr(self) -> str:
        return f"size={self.size}, padding={self.padding}"


class RandomResizedCrop(nn.Module):
    """A random window (area fraction in ``scale``, aspect ratio in ``ratio``, log-uniform)
    resized to ``size``: the standard ImageNet training augmentation.

    >>> RandomResizedCrop(16)(ember.rand(3, 32, 40)).shape
    ember.Size([3, 16, 16])
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
        super().__init__()
        self.size = F._pair(size, "RandomResizedCrop")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.interpolation, self.antialias = as_mode(interpolation), antialias

    @staticmethod
    def get_params(img, scale: Sequence[float], ratio: Sequence[float]):
        """(top, left, height, width): up to 10 random draws, else the centred crop with the
        nearest allowed aspect ratio."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            w, h = int(round(height * max(ratio))), height
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, list(self.size), self.interpolation,
                              self.antialias)

    def extra_repr(self) -> str:
        return (f"size={self.size}, scale={self.scale}, ratio={self.ratio}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias}")


class RandomHorizontalFlip(nn.Module):
    """Mirror left to right with probability ``p``."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        return F.hflip(img) if float(ember.rand(1).item()) < self.p else img

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _range(value, name: str, center: float, bound: tuple[float, float],
           clip_at_zero: bool) -> tuple[float, float] | None:
    """A number v as [center - v, center + v] (floored at 0), or a checked (min, max);
    None when the range is the identity."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        low, high = center - float(value), center + float(value)
        if clip_at_zero:
            low = max(low, 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        low, high = float(value[0]), float(value[1])
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= low <= high <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {[low, high]}.")
    return None if low == high == center else (low, high)


class RandomRotation(nn.Module):
    """Rotate by an angle drawn uniformly from ``degrees`` ((min, max), or d for (-d, d))."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center: Sequence[int] | None = None, fill=0):
        super().__init__()
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError("If degrees is a single number, it must be positive.")
            degrees = (-degrees, degrees)
        self.degrees = [float(d) for d in degrees]
        self.interpolation = as_mode(interpolation)
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        """A random angle in degrees."""
        return _uniform(float(degrees[0]), float(degrees[1]))

    def forward(self, img):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def extra_repr(self) -> str:
        return (f"degrees={self.degrees}, interpolation={self.interpolation.value}, "
                f"expand={self.expand}, fill={self.fill}")


class ColorJitter(nn.Module):
    """Random brightness, contrast, saturation and hue changes, applied in a random order.

    >>> ColorJitter(brightness=0.4, hue=0.1)(ember.rand(3, 8, 8)).shape
    ember.Size([3, 8, 8])
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        inf = float("inf")
        self.brightness = _range(brightness, "brightness", 1.0, (0, inf), True)
        self.contrast = _range(contrast, "contrast", 1.0, (0, inf), True)
        self.saturation = _range(saturation, "saturation", 1.0, (0, inf), True)
        self.hue = _range(hue, "hue", 0.0, (-0.5, 0.5), False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order of the four adjustments, brightness, contrast, saturation, hue factors);
        a factor is None when its range is None."""
        order = ember.randperm(4)
        factors = [None if r is None else _uniform(r[0], r[1])
                   for r in (brightness, contrast, saturation, hue)]
        return (order, *factors)

    def forward(self, img):
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation,
                                          self.hue)
        adjust = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for i in order.tolist():
            if factors[i] is not None:
                img = adjust[i](img, factors[i])
        return img

    def extra_repr(self) -> str:
        return (f"brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue}")
