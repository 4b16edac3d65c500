"""`ember.vision`: torchvision's role and names on Ember: datasets, transforms, models, box ops.

Imported on first use (``import ember.vision`` or the attribute ``ember.vision``), so
``import ember`` never loads Pillow. Images are Pillow images or (C, H, W) tensors.

>>> from ember.vision import models, transforms
>>> net = models.resnet18(num_classes=10).eval()
>>> net(ember.randn(1, 3, 64, 64)).shape
ember.Size([1, 10])
"""
from . import datasets, models, ops, transforms, utils  # noqa: F401

__all__ = ["datasets", "models", "ops", "transforms", "utils"]
