"""Image transforms with torchvision's names (v1 classes, plus ``ToImage`` / ``ToDtype`` of v2).

>>> from ember.vision import transforms as T
>>> T.Compose([T.Resize(32), T.CenterCrop(28), T.ToTensor()])
"""
from . import functional  # noqa: F401
from ._modes import InterpolationMode  # noqa: F401
from ._presets import ImageClassification  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _classes

__all__ = ["functional", "InterpolationMode", "ImageClassification", *_classes]
