"""Facts shared by the ImageNet checkpoints: their class names and the preprocessing preset."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from ..transforms._presets import ImageClassification

IMAGENET_CATEGORIES = tuple(
    (Path(__file__).with_name("imagenet_categories.txt")).read_text().splitlines())

IMAGENET_PREPROCESS = partial(ImageClassification, crop_size=224)
RESIZE_232 = partial(ImageClassification, crop_size=224, resize_size=232)


def imagenet_meta(num_params: int, acc1: float, acc5: float, **extra) -> dict:
    """The ``meta`` dict of an ImageNet-1k checkpoint."""
    return {"num_params": num_params, "min_size": (1, 1), "categories": IMAGENET_CATEGORIES,
            "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}, **extra}
