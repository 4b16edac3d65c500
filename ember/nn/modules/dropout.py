"""Dropout layers: active in training mode, the identity in eval mode."""
from __future__ import annotations

from ...ops.dropout import check_p
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class _DropoutNd(Module):
    """A dropout layer: ``function(input, p, self.training, inplace)``."""

    function = None

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        check_p(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return type(self).function(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` while training, scaling the rest by 1/(1-p).

    >>> ember.nn.Dropout(0.5).eval()(ember.ones(3))
    tensor([1., 1., 1.])
    """

    function = F.dropout


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) inputs."""

    function = F.dropout1d


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) inputs."""

    function = F.dropout2d


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""

    function = F.dropout3d


class AlphaDropout(_DropoutNd):
    """Dropout that keeps the mean and variance of SELU activations."""

    function = F.alpha_dropout


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels."""

    function = F.feature_alpha_dropout
