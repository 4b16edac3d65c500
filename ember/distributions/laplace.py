"""The Laplace (double exponential) distribution."""
from __future__ import annotations

import math

from .._dtype import finfo
from ._draw import standard_uniform
from ._location_scale import LocationScale


class Laplace(LocationScale):
    """Density ``exp(-|x - loc| / scale) / (2 scale)``."""

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    def standard_sample(self, shape):
        # u uniform on (-1, 1), never -1 itself (log1p(-1) is infinite)
        u = 2 * standard_uniform(shape, self.loc) - 1
        u = u.clamp(min=-1 + finfo(self.loc.dtype).eps)
        return -u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = value - self.loc
        return 0.5 - 0.5 * z.sign() * (-z.abs() / self.scale).expm1()

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()
