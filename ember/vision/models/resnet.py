"""ResNet (He et al., 2015), with torchvision's module names so checkpoints interchange.

The stride of a downsampling bottleneck sits on its 3x3 conv ("ResNet v1.5").

>>> model = resnet18(num_classes=10).eval()
>>> model(ember.randn(2, 3, 64, 64)).shape
ember.Size([2, 10])
"""
from __future__ import annotations

from ... import nn
from ._api import WeightsEnum, Weights, load_weights, num_classes_from, register_model
from ._layers import init_conv_bn
from ._meta import IMAGENET_PREPROCESS, RESIZE_232, imagenet_meta

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50",
           "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights"]

_URL = "https://download.pytorch.org/models/"


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 3, stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 1, stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convs and a skip connection (ResNet-18/34)."""
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64 or dilation > 1:
            raise ValueError("BasicBlock only supports groups=1, base_width=64 and dilation=1")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def residual(self):
        return self.bn2

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand by 4, and a skip connection (ResNet-50+)."""
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def residual(self):
        return self.bn3

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A stem (7x7 conv, max pool), four stages of ``block``s, global pooling, a linear head.

    >>> ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10).fc   # resnet18's layout
    Linear(in_features=512, out_features=10, bias=True)
    """

    def __init__(self, block, layers: list[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, groups: int = 1, width_per_group: int = 64,
                 replace_stride_with_dilation: list[bool] | None = None, norm_layer=None):
        super().__init__()
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes, self.dilation = 64, 1
        replace_stride_with_dilation = replace_stride_with_dilation or [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(f"replace_stride_with_dilation should be None or a 3-element "
                             f"tuple, got {replace_stride_with_dilation}")
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, 7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        init_conv_bn(self)
        if zero_init_residual:  # each block starts as the identity
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck)):
                    nn.init.zeros_(m.residual().weight)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1,
                    dilate: bool = False) -> nn.Sequential:
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       self._norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups,
                        self.base_width, previous_dilation, self._norm_layer)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                         dilation=self.dilation, norm_layer=self._norm_layer)
                   for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


class ResNet18_Weights(WeightsEnum):
    """The pretrained weights of `resnet18`: torchvision's ImageNet-1k checkpoint
    ``IMAGENET1K_V1`` (69.8% top-1), also named ``DEFAULT``. Each member offers ``url``,
    ``meta`` (parameter count, ImageNet accuracy, category names) and ``transforms()``, the
    preprocessing it was trained with; ``resnet18(weights=...)`` loads it.

    >>> w = ember.vision.models.ResNet18_Weights.DEFAULT
    >>> w, w.meta["num_params"]
    (ResNet18_Weights.IMAGENET1K_V1, 11689512)
    """
    IMAGENET1K_V1 = Weights(_URL + "resnet18-f37072fd.pth", IMAGENET_PREPROCESS,
                            imagenet_meta(11689512, 69.758, 89.078))
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    """The pretrained weights of `resnet34`: torchvision's ImageNet-1k checkpoint
    ``IMAGENET1K_V1`` (73.3% top-1), also named ``DEFAULT``. Each member offers ``url``,
    ``meta`` (parameter count, ImageNet accuracy, category names) and ``transforms()``, the
    preprocessing it was trained with; ``resnet34(weights=...)`` loads it.

    >>> w = ember.vision.models.ResNet34_Weights.DEFAULT
    >>> w, w.meta["num_params"]
    (ResNet34_Weights.IMAGENET1K_V1, 21797672)
    """
    IMAGENET1K_V1 = Weights(_URL + "resnet34-b627a593.pth", IMAGENET_PREPROCESS,
                            imagenet_meta(21797672, 73.314, 91.420))
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    """The pretrained weights of `resnet50`: torchvision's ImageNet-1k checkpoints
    ``IMAGENET1K_V1`` (76.1% top-1) and ``IMAGENET1K_V2`` (80.9%, resized to 232 before the
    crop), the ``DEFAULT``. Each member offers ``url``, ``meta`` (parameter count, ImageNet
    accuracy, category names) and ``transforms()``, the preprocessing it was trained with;
    ``resnet50(weights=...)`` loads it.

    >>> w = ember.vision.models.ResNet50_Weights.DEFAULT
    >>> w, w.meta["num_params"]
    (ResNet50_Weights.IMAGENET1K_V2, 25557032)
    """
    IMAGENET1K_V1 = Weights(_URL + "resnet50-0676ba61.pth", IMAGENET_PREPROCESS,
                            imagenet_meta(25557032, 76.130, 92.862))
    IMAGENET1K_V2 = Weights(_URL + "resnet50-11ad3fa6.pth", RESIZE_232,
                            imagenet_meta(25557032, 80.858, 95.434))
    DEFAULT = IMAGENET1K_V2


def _resnet(block, layers, weights, progress, num_classes, kwargs) -> ResNet:
    num_classes = num_classes_from(weights, num_classes, 1000)
    return load_weights(ResNet(block, layers, num_classes=num_classes, **kwargs), weights,
                        progress)


@register_model(ResNet18_Weights)
def resnet18(*, weights: ResNet18_Weights | str | None = None, progress: bool = True,
             num_classes: int | None = None, **kwargs) -> ResNet:
    """ResNet-18; ``weights=ResNet18_Weights.DEFAULT`` loads the ImageNet checkpoint.

    >>> sum(p.numel() for p in resnet18(num_classes=10).parameters())
    11181642
    """
    return _resnet(BasicBlock, [2, 2, 2, 2], ResNet18_Weights.verify(weights), progress,
                   num_classes, kwargs)


@register_model(ResNet34_Weights)
def resnet34(*, weights: ResNet34_Weights | str | None = None, progress: bool = True,
             num_classes: int | None = None, **kwargs) -> ResNet:
    """ResNet-34; ``weights=ResNet34_Weights.DEFAULT`` loads the ImageNet checkpoint.

    >>> sum(p.numel() for p in resnet34(num_classes=10).parameters())
    21289802
    """
    return _resnet(BasicBlock, [3, 4, 6, 3], ResNet34_Weights.verify(weights), progress,
                   num_classes, kwargs)


@register_model(ResNet50_Weights)
def resnet50(*, weights: ResNet50_Weights | str | None = None, progress: bool = True,
             num_classes: int | None = None, **kwargs) -> ResNet:
    """ResNet-50 (bottleneck blocks); ``weights=ResNet50_Weights.DEFAULT`` is the V2 recipe.

    >>> sum(p.numel() for p in resnet50(num_classes=10).parameters())
    23528522
    """
    return _resnet(Bottleneck, [3, 4, 6, 3], ResNet50_Weights.verify(weights), progress,
                   num_classes, kwargs)
