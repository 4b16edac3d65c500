"""The preprocessing a classification checkpoint expects (``Weights.transforms()``)."""
from __future__ import annotations

import ember
from ... import nn
from . import functional as F
from ._modes import InterpolationMode, as_mode


class ImageClassification(nn.Module):
    """Resize the shorter edge to ``resize_size``, centre-crop ``crop_size``, scale to [0, 1]
    floats and normalize with the ImageNet statistics.

    >>> ImageClassification(crop_size=224)(ember.randint(0, 256, (3, 300, 400),
    ...                                     dtype=ember.uint8)).shape
    ember.Size([3, 224, 224])
    """

    def __init__(self, *, crop_size: int, resize_size: int = 256,
                 mean: tuple[float, ...] = (0.485, 0.456, 0.406),
                 std: tuple[float, ...] = (0.229, 0.224, 0.225),
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
        super().__init__()
        self.crop_size, self.resize_size = [crop_size], [resize_size]
        self.mean, self.std = list(mean), list(std)
        self.interpolation, self.antialias = as_mode(interpolation), antialias

    def forward(self, img):
        img = F.resize(img, self.resize_size, self.interpolation, antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, ember.Tensor):
            img = F.pil_to_tensor(img)
        return F.normalize(F.convert_image_dtype(img, ember.float32), self.mean, self.std)

    def extra_repr(self) -> str:
        return (f"crop_size={self.crop_size}, resize_size={self.resize_size}, "
                f"mean={self.mean}, std={self.std}, interpolation={self.interpolation}")
