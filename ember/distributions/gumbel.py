"""The Gumbel (type-I extreme value) distribution."""
from __future__ import annotations

import math

from .._dtype import finfo
from ._draw import standard_uniform
from ._location_scale import LocationScale

_EULER = 0.57721566490153286


class Gumbel(LocationScale):
    """The distribution of the maximum of many samples: CDF ``exp(-exp(-(x - loc) / scale))``."""

    @property
    def mean(self):
        return self.loc + self.scale * _EULER

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def standard_sample(self, shape):
        info = finfo(self.loc.dtype)
        u = standard_uniform(shape, self.loc).clamp(min=info.tiny, max=1 - info.eps)
        return -(-u.log()).log()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -(self.scale.log() + z + (-z).exp())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value):
        return self.loc - self.scale * (-value.log()).log()

    def entropy(self):
        return self.scale.log() + (1 + _EULER)
