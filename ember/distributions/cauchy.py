"""The Cauchy (Lorentz) distribution."""
from __future__ import annotations

import math

from .. import _creation
from ._draw import standard_cauchy
from ._location_scale import LocationScale


class Cauchy(LocationScale):
    """The ratio of two independent standard normals, shifted by ``loc`` and scaled."""

    def _full(self, value):
        return _creation.full(self._extended_shape(), value, dtype=self.loc.dtype,
                              device=self.loc.device)

    @property
    def mean(self):
        return self._full(math.nan)

    @property
    def variance(self):
        return self._full(math.inf)

    def standard_sample(self, shape):
        return standard_cauchy(shape, self.loc)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - ((value - self.loc) / self.scale) \
            .pow(2).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
