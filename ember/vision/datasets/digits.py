"""scikit-learn's bundled handwritten digits (1797 8x8 images), no download needed."""
from __future__ import annotations

import os
from typing import Callable

import numpy as np

import ember
from .._pil import pil
from .vision import VisionDataset

__all__ = ["Digits"]


class Digits(VisionDataset):
    """The UCI digits that ship with scikit-learn, as 8x8 Pillow 'L' images (0..16 ink
    levels scaled to 0..255) and int labels. ``train`` picks one side of a seeded random
    split (``test_fraction`` held out), the split ``examples/digits.py`` trains on.

    >>> from ember.vision.transforms import ToTensor
    >>> train = Digits(train=True, transform=ToTensor())
    >>> len(train), train[0][0].shape
    (1437, ember.Size([1, 8, 8]))
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 test_fraction: float = 0.2, seed: int = 0):
        super().__init__(root, transform=transform, target_transform=target_transform)
        try:
            from sklearn.datasets import load_digits
        except ImportError as err:
            raise ImportError("Digits needs scikit-learn: pip install ember[demo]") from err
        digits = load_digits()
        order = np.random.default_rng(seed).permutation(len(digits.target))
        cut = int(len(order) * (1 - test_fraction))
        chosen = order[:cut] if train else order[cut:]
        self.train = train
        images = np.rint(digits.images[chosen] * (255 / 16)).astype(np.uint8)
        self.data = ember.from_numpy(images)
        self.targets = ember.from_numpy(digits.target[chosen].astype(np.int64))

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        image = pil().fromarray(self.data[index].numpy())
        return self.apply(image, int(self.targets[index]))
