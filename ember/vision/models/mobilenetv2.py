"""MobileNetV2 (Sandler et al., 2018): inverted residuals with linear bottlenecks, with
torchvision's module names so checkpoints interchange.

>>> model = mobilenet_v2(num_classes=10).eval()
>>> model(ember.randn(2, 3, 64, 64)).shape
ember.Size([2, 10])
"""
from __future__ import annotations

from ... import nn
from ._api import Weights, WeightsEnum, load_weights, num_classes_from, register_model
from ._layers import Conv2dNormActivation, init_conv_bn, make_divisible
from ._meta import IMAGENET_PREPROCESS, RESIZE_232, imagenet_meta

__all__ = ["MobileNetV2", "InvertedResidual", "mobilenet_v2", "MobileNet_V2_Weights"]

# (expansion t, output channels c, repeats n, first stride s) of each stage
_STAGES = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
           [6, 160, 3, 2], [6, 320, 1, 1]]


class InvertedResidual(nn.Module):
    """1x1 expand (ReLU6), 3x3 depthwise (ReLU6), 1x1 linear projection; a skip connection
    when the shape is kept."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int, norm_layer=None):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        norm_layer = norm_layer or nn.BatchNorm2d
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1,
                                               norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers += [Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride,
                                        groups=hidden_dim, norm_layer=norm_layer,
                                        activation_layer=nn.ReLU6),
                   nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
                   norm_layer(oup)]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """The stem, seven stages of inverted residuals, a 1x1 conv to 1280 channels, the head.

    >>> MobileNetV2(num_classes=10, width_mult=0.5).classifier[-1]
    Linear(in_features=1280, out_features=10, bias=True)
    """

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0,
                 inverted_residual_setting: list[list[int]] | None = None,
                 round_nearest: int = 8, block=None, norm_layer=None, dropout: float = 0.2):
        super().__init__()
        block = block or InvertedResidual
        norm_layer = norm_layer or nn.BatchNorm2d
        setting = _STAGES if inverted_residual_setting is None else inverted_residual_setting
        if not setting or any(len(row) != 4 for row in setting):
            raise ValueError(f"inverted_residual_setting should be non-empty or a 4-element "
                             f"list, got {setting}")
        input_channel = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer,
                                         activation_layer=nn.ReLU6)]
        for t, c, n, s in setting:
            output_channel = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1, t,
                                      norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1,
                                             norm_layer=norm_layer, activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout),
                                        nn.Linear(self.last_channel, num_classes))
        init_conv_bn(self, linear_std=0.01)

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(x.flatten(1))


class MobileNet_V2_Weights(WeightsEnum):
    """The pretrained weights of `mobilenet_v2`: torchvision's ImageNet-1k checkpoints
    ``IMAGENET1K_V1`` (71.9% top-1) and ``IMAGENET1K_V2`` (72.2%, resized to 232 before the
    crop), the ``DEFAULT``. Each member offers ``url``, ``meta`` (parameter count, ImageNet
    accuracy, category names) and ``transforms()``, the preprocessing it was trained with;
    ``mobilenet_v2(weights=...)`` loads it.

    >>> w = ember.vision.models.MobileNet_V2_Weights.DEFAULT
    >>> w, w.meta["num_params"]
    (MobileNet_V2_Weights.IMAGENET1K_V2, 3504872)
    """
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
                            IMAGENET_PREPROCESS, imagenet_meta(3504872, 71.878, 90.286))
    IMAGENET1K_V2 = Weights("https://download.pytorch.org/models/mobilenet_v2-7ebf99e0.pth",
                            RESIZE_232, imagenet_meta(3504872, 72.154, 90.822))
    DEFAULT = IMAGENET1K_V2


@register_model(MobileNet_V2_Weights)
def mobilenet_v2(*, weights: MobileNet_V2_Weights | str | None = None, progress: bool = True,
                 num_classes: int | None = None, **kwargs) -> MobileNetV2:
    """MobileNetV2; ``weights=MobileNet_V2_Weights.DEFAULT`` loads the ImageNet checkpoint.

    >>> sum(p.numel() for p in mobilenet_v2(num_classes=10).parameters())
    2236682
    """
    weights = MobileNet_V2_Weights.verify(weights)
    num_classes = num_classes_from(weights, num_classes, 1000)
    return load_weights(MobileNetV2(num_classes=num_classes, **kwargs), weights, progress)
