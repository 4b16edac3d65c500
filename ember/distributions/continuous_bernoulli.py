"""The continuous Bernoulli distribution on ``[0, 1]``: density proportional to
``p^x (1 - p)^(1 - x)``.

Its normalizer, mean and variance are ratios that become 0/0 at ``p = 1/2``; within
``lims`` of it they are replaced by their Taylor expansions, and outside the ratios are
evaluated at a probability kept away from 1/2 so that no branch yields NaN gradients.
"""
from __future__ import annotations

import math

from ..nn import functional as F
from ..ops import TABLE
from . import constraints
from ._draw import standard_uniform
from .bernoulli import _BinaryTrials
from .utils import broadcast_all, clamp_probs

_where = TABLE["where"].fn


class ContinuousBernoulli(_BinaryTrials):
    """Density ``C(p) p^x (1 - p)^(1 - x)`` on ``[0, 1]`` (Loaiza-Ganem and Cunningham).

    >>> ember.distributions.ContinuousBernoulli(probs=ember.tensor(0.5)).mean
    tensor(0.5000)
    """

    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        self._lims = lims
        self._init_params(probs, logits, validate_args)
        if probs is not None:
            self.probs = self._param = clamp_probs(self.probs)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, _instance, ContinuousBernoulli,
                                   _lims=self._lims)

    def _outside_lims(self):
        p = self.probs
        return (p <= self._lims[0]) | (p >= self._lims[1])

    def _cut_probs(self):
        return _where(self._outside_lims(), self.probs, self._lims[0])

    def _log_normalizer(self):
        cut = self._cut_probs()
        below = _where(cut <= 0.5, cut, 0.0)
        above = _where(cut >= 0.5, cut, 1.0)
        log_norm = ((cut.log() - (-cut).log1p()).abs().log()
                    - _where(cut <= 0.5, (-2.0 * below).log1p(), (2.0 * above - 1.0).log()))
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return _where(self._outside_lims(), log_norm, taylor)

    @property
    def mean(self):
        cut = self._cut_probs()
        ratio = cut / (2.0 * cut - 1.0) + 1.0 / ((-cut).log1p() - cut.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return _where(self._outside_lims(), ratio, taylor)

    @property
    def variance(self):
        cut = self._cut_probs()
        ratio = (cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2)
                 + 1.0 / ((-cut).log1p() - cut.log()).pow(2))
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return _where(self._outside_lims(), ratio, taylor)

    def rsample(self, sample_shape=()):
        return self.icdf(standard_uniform(self._extended_shape(sample_shape), self.probs))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        bce = F.binary_cross_entropy_with_logits(logits, value, reduction="none")
        return -bce + self._log_normalizer()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut = self._cut_probs()
        ratio = (cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        inside = _where(self._outside_lims(), ratio, value)
        return _where(value <= 0.0, 0.0, _where(value >= 1.0, 1.0, inside))

    def icdf(self, value):
        cut = self._cut_probs()
        ratio = (((value * (2.0 * cut - 1.0) - cut).log1p() - (-cut).log1p())
                 / (cut.log() - (-cut).log1p()))
        return _where(self._outside_lims(), ratio, value)

    def entropy(self):
        log_p0 = (-self.probs).log1p()
        log_p1 = self.probs.log()
        return self.mean * (log_p0 - log_p1) - self._log_normalizer() - log_p0
