"""Random images for smoke tests: no files needed, the same image for the same index."""
from __future__ import annotations

from typing import Callable

import ember
from ..transforms.functional import to_pil_image
from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random 8-bit images of ``image_size`` (C, H, W) with random labels, as Pillow
    images; item ``i`` is drawn from its own generator seeded with ``i + random_offset``, so
    it is reproducible and leaves the global generator alone.

    >>> image, label = FakeData(size=10, image_size=(3, 32, 32))[0]
    """

    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size, self.image_size = size, tuple(image_size)
        self.num_classes, self.random_offset = num_classes, random_offset

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int):
        if not -self.size <= index < self.size:
            raise IndexError(f"{type(self).__name__} index out of range: {index} for size "
                             f"{self.size}")
        generator = ember.Generator().manual_seed(index % self.size + self.random_offset)
        image = ember.randint(0, 256, self.image_size, generator=generator, dtype=ember.uint8)
        target = int(ember.randint(0, self.num_classes, (1,), generator=generator).item())
        return self.apply(to_pil_image(image), target)
