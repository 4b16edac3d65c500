"""The continuous uniform distribution on ``[low, high)``."""
from __future__ import annotations

import math

from . import constraints
from ._draw import standard_uniform
from .distribution import Distribution
from .utils import broadcast_all


class Uniform(Distribution):
    """Uniform on the half-open interval ``[low, high)``.

    >>> ember.distributions.Uniform(0.0, 2.0).entropy()
    tensor(0.6931)
    """

    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.size(), validate_args=validate_args)

    @property
    def arg_constraints(self):
        """``low`` must be below ``high``, and ``high`` above ``low``."""
        return {"low": constraints.less_than(self.high),
                "high": constraints.greater_than(self.low)}

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        """The interval [``low``, ``high``)."""
        return constraints.interval(self.low, self.high)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, _instance, Uniform, low=self.low.expand(batch_shape),
                              high=self.high.expand(batch_shape))

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return math.nan * self.high

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=()):
        u = standard_uniform(self._extended_shape(sample_shape), self.low)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        inside = (self.low <= value).type_as(self.low) * (self.high > value).type_as(self.low)
        return inside.log() - (self.high - self.low).log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return (self.high - self.low).log()
