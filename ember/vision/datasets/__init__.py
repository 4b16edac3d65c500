"""Datasets with torchvision's names, read from the standard files under a root folder.

>>> from ember.vision import datasets, transforms
>>> train = datasets.MNIST("data", train=True, transform=transforms.ToTensor())
"""
from .cifar import CIFAR10, CIFAR100  # noqa: F401
from .digits import Digits  # noqa: F401
from .fakedata import FakeData  # noqa: F401
from .folder import DatasetFolder, ImageFolder  # noqa: F401
from .mnist import MNIST, FashionMNIST  # noqa: F401
from .vision import VisionDataset  # noqa: F401

__all__ = ["CIFAR10", "CIFAR100", "Digits", "FakeData", "DatasetFolder", "ImageFolder",
           "MNIST", "FashionMNIST", "VisionDataset"]
