"""VGG (Simonyan and Zisserman, 2014), with torchvision's module names so checkpoints
interchange.

>>> model = vgg11(num_classes=10).eval()
>>> model(ember.randn(1, 3, 32, 32)).shape
ember.Size([1, 10])
"""
from __future__ import annotations

from ... import nn
from ._api import Weights, WeightsEnum, load_weights, num_classes_from, register_model
from ._layers import init_conv_bn
from ._meta import IMAGENET_PREPROCESS, imagenet_meta

__all__ = ["VGG", "vgg11", "vgg11_bn", "vgg16", "vgg16_bn", "VGG11_Weights", "VGG16_Weights",
           "make_layers"]

# conv widths, "M" a 2x2 max pool: configuration A is VGG-11, D is VGG-16
CONFIGS = {"A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
           "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
                 512, 512, 512, "M"]}


def make_layers(config: list, batch_norm: bool = False) -> nn.Sequential:
    """The convolutional trunk of a configuration: 3x3 convs (+BN) with ReLU, and max pools."""
    layers, in_channels = [], 3
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """A conv trunk, 7x7 adaptive pooling, and three linear layers with dropout."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            init_conv_bn(self, linear_std=0.01)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


_URL = "https://download.pytorch.org/models/"


class VGG11_Weights(WeightsEnum):
    """The pretrained weights of `vgg11`: torchvision's ImageNet-1k checkpoint ``IMAGENET1K_V1``
    (69.0% top-1), also named ``DEFAULT``. Each member offers ``url``, ``meta`` (parameter
    count, ImageNet accuracy, category names) and ``transforms()``, the preprocessing it was
    trained with; ``vgg11(weights=...)`` loads it.

    >>> w = ember.vision.models.VGG11_Weights.DEFAULT
    >>> w, w.meta["num_params"]
    (VGG11_Weights.IMAGENET1K_V1, 132863336)
    """
    IMAGENET1K_V1 = Weights(_URL + "vgg11-8a719046.pth", IMAGENET_PREPROCESS,
                            imagenet_meta(132863336, 69.020, 88.628))
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    """The pretrained weights of `vgg16`: torchvision's ImageNet-1k checkpoint ``IMAGENET1K_V1``
    (71.6% top-1), also named ``DEFAULT``. Each member offers ``url``, ``meta`` (parameter
    count, ImageNet accuracy, category names) and ``transforms()``, the preprocessing it was
    trained with; ``vgg16(weights=...)`` loads it.

    >>> w = ember.vision.models.VGG16_Weights.DEFAULT
    >>> w, w.meta["num_params"]
    (VGG16_Weights.IMAGENET1K_V1, 138357544)
    """
    IMAGENET1K_V1 = Weights(_URL + "vgg16-397923af.pth", IMAGENET_PREPROCESS,
                            imagenet_meta(138357544, 71.592, 90.382))
    DEFAULT = IMAGENET1K_V1


def _vgg(config: str, batch_norm: bool, weights, progress, num_classes, kwargs) -> VGG:
    num_classes = num_classes_from(weights, num_classes, 1000)
    if weights is not None:
        kwargs["init_weights"] = False  # the checkpoint overwrites them anyway
    model = VGG(make_layers(CONFIGS[config], batch_norm), num_classes=num_classes, **kwargs)
    return load_weights(model, weights, progress)


@register_model(VGG11_Weights)
def vgg11(*, weights: VGG11_Weights | str | None = None, progress: bool = True,
          num_classes: int | None = None, **kwargs) -> VGG:
    """VGG-11 (configuration A); ``weights=VGG11_Weights.DEFAULT`` loads ImageNet weights.

    >>> vgg11(num_classes=10)
    """
    return _vgg("A", False, VGG11_Weights.verify(weights), progress, num_classes, kwargs)


@register_model()
def vgg11_bn(*, weights=None, progress: bool = True, num_classes: int | None = None,
             **kwargs) -> VGG:
    """VGG-11 with batch norm after every conv (no checkpoint shipped here).

    >>> vgg11_bn(num_classes=10)
    """
    return _vgg("A", True, None if weights is None else _no_weights("vgg11_bn"), progress,
                num_classes, kwargs)


@register_model(VGG16_Weights)
def vgg16(*, weights: VGG16_Weights | str | None = None, progress: bool = True,
          num_classes: int | None = None, **kwargs) -> VGG:
    """VGG-16 (configuration D); ``weights=VGG16_Weights.DEFAULT`` loads ImageNet weights.

    >>> vgg16(num_classes=10)
    """
    return _vgg("D", False, VGG16_Weights.verify(weights), progress, num_classes, kwargs)


@register_model()
def vgg16_bn(*, weights=None, progress: bool = True, num_classes: int | None = None,
             **kwargs) -> VGG:
    """VGG-16 with batch norm after every conv (no checkpoint shipped here).

    >>> vgg16_bn(num_classes=10)
    """
    return _vgg("D", True, None if weights is None else _no_weights("vgg16_bn"), progress,
                num_classes, kwargs)


def _no_weights(name: str):
    raise ValueError(f"{name}: no pretrained weights are listed in ember.vision; load a state "
                     f"dict with model.load_state_dict(ember.load(path))")
