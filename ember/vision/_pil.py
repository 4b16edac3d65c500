"""Pillow, imported only when an image is touched: it is the optional ``ember[vision]`` extra."""
from __future__ import annotations

import sys


def pil():
    """The ``PIL.Image`` module, or an ImportError naming the extra that provides it."""
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError("ember.vision needs Pillow for images: pip install ember[vision]") \
            from err
    return Image


def is_pil_image(img) -> bool:
    """True for a Pillow image; never imports Pillow to answer (no Pillow, no Pillow images)."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(img, module.Image)
