"""LeNet-5 (LeCun et al., 1998): two conv + subsampling stages and three fully connected
layers, tanh throughout, as in the paper (average-pool subsampling, no learned pool scale).

The paper's 32x32 inputs are MNIST's 28x28 digits padded by 2, which ``conv1``'s padding
does here, so 28x28 images go in unchanged.

>>> model = lenet5()
>>> model(ember.randn(8, 1, 28, 28)).shape
ember.Size([8, 10])
"""
from __future__ import annotations

from ... import nn
from ._api import register_model

__all__ = ["LeNet", "lenet5"]


class LeNet(nn.Module):
    """C1 (6@28x28) - S2 - C3 (16@10x10) - S4 - C5 (120) - F6 (84) - output."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), nn.Tanh(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Tanh(),
            nn.AvgPool2d(kernel_size=2, stride=2))
        self.classifier = nn.Sequential(
            nn.Flatten(1), nn.Linear(16 * 5 * 5, 120), nn.Tanh(),
            nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


@register_model()
def lenet5(*, weights=None, num_classes: int = 10, in_channels: int = 1) -> LeNet:
    """LeNet-5 for 28x28 single-channel images (``conv1`` pads them to the paper's 32x32).

    >>> lenet5(num_classes=10).classifier[-1]
    Linear(in_features=84, out_features=10, bias=True)
    """
    if weights is not None:
        raise ValueError("lenet5: no pretrained weights are listed; train it (see "
                         "examples/digits.py) or load a state dict with load_state_dict")
    return LeNet(num_classes, in_channels)
