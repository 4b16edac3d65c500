"""The Kumaraswamy distribution: Beta-like on ``[0, 1]``, with a closed-form CDF."""
from __future__ import annotations

import math

from ..ops import TABLE
from ._draw import standard_uniform
from .gamma import UnitIntervalConcentrations
from .gumbel import _EULER

_where = TABLE["where"].fn


def _log_beta(a, b):
    return a.lgamma() + b.lgamma() - (a + b).lgamma()


class Kumaraswamy(UnitIntervalConcentrations):
    """Density ``a b x^(a-1) (1 - x^a)^(b-1)`` with ``a = concentration1``,
    ``b = concentration0``; CDF ``1 - (1 - x^a)^b``.

    >>> ember.distributions.Kumaraswamy(ember.tensor(1.), ember.tensor(1.)).mean
    tensor(0.5000)
    """

    def _moment(self, n):
        # E[x^n] = b B(1 + n / a, b)
        a, b = self.concentration1, self.concentration0
        return b * _log_beta(1 + n / a, b).exp()

    @property
    def mean(self):
        return self._moment(1)

    @property
    def variance(self):
        return self._moment(2) - self._moment(1).pow(2)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        mode = ((a - 1) / (a * b - 1)).pow(a.reciprocal())
        return _where((a < 1) | (b < 1), math.nan, mode)

    def rsample(self, sample_shape=()):
        u = standard_uniform(self._extended_shape(sample_shape), self.concentration1)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return (a * b).log() + (a - 1) * value.log() + (b - 1) * (-value.pow(a)).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return 1 - (-value.pow(a)).log1p().mul(b).exp()

    def icdf(self, value):
        a, b = self.concentration1, self.concentration0
        return (-(-value).log1p().div(b).expm1()).pow(a.reciprocal())

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic_b = (b + 1).digamma() + _EULER
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic_b - (a * b).log()
