"""`Multinomial`: the counts of each of ``K`` categories in ``total_count`` draws."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import wrap
from ..random import generator_for
from . import constraints
from .bernoulli import Binomial
from .categorical import Categorical, CategoricalParams
from .distribution import Distribution


class Multinomial(CategoricalParams, Distribution):
    """Counts of ``total_count`` independent draws from ``Categorical(probs or logits)``.

    >>> d = ember.distributions.Multinomial(3, probs=ember.tensor([1., 1.]))
    >>> d.log_prob(ember.tensor([1., 2.])).exp()
    tensor(0.3750)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expanded(batch_shape, _instance, Multinomial,
                             _categorical=self._categorical.expand(batch_shape),
                             total_count=self.total_count)
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        """Count vectors of non-negative integers summing to ``total_count``."""
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        probs = self.probs.detach()
        shape = self._extended_shape(sample_shape)
        p = probs.expand(shape)._data.astype("float64")
        rng = generator_for(probs.device, None).rng
        counts = rng.multinomial(self.total_count, p / p.sum(-1, keepdims=True), size=shape[:-1])
        return wrap(counts.astype(p.dtype)).to(probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        # 0 * log 0 is 0 here: an impossible category drawn 0 times costs nothing
        logits = self.logits.masked_fill((value == 0) & (self.logits == -math.inf), 0.0)
        log_coefficient = (value.sum(-1) + 1).lgamma() - (value + 1).lgamma().sum(-1)
        return log_coefficient + (value * logits).sum(-1)

    def entropy(self):
        n = self.total_count
        binomial = Binomial(n, probs=self.probs)
        support = binomial.enumerate_support(expand=False)  # 0..n over leading dims
        expected_lgamma = (binomial.log_prob(support).exp() * (support + 1).lgamma()).sum(0)
        # PyTorch rounds this constant to float32 whatever the dtype; matched for agreement
        log_n_factorial = float(np.float32(math.lgamma(n + 1)))
        return (-log_n_factorial - n * (self.probs * self.logits).sum(-1)
                + expected_lgamma.sum(-1))
