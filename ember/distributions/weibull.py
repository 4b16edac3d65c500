"""The Weibull and Pareto distributions: powers and exponentials of an exponential draw."""
from __future__ import annotations

from . import constraints
from ._draw import standard_exponential
from .distribution import Distribution
from .gumbel import _EULER
from .utils import broadcast_all


class _ScaleShape(Distribution):
    """A distribution with a ``scale`` and one shape parameter, named by ``_shape_name``."""

    _shape_name = ""
    has_rsample = True

    def _init(self, scale, shape, validate_args):
        self.scale, shape = broadcast_all(scale, shape)
        setattr(self, self._shape_name, shape)
        super().__init__(self.scale.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, _instance, type(self),
                              scale=self.scale.expand(batch_shape),
                              **{self._shape_name: self._shape.expand(batch_shape)})

    @property
    def _shape(self):
        return getattr(self, self._shape_name)

    def _checked(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return value


class Weibull(_ScaleShape):
    """CDF ``1 - exp(-(x / scale)^concentration)`` on ``x >= 0``.

    >>> ember.distributions.Weibull(ember.tensor(1.), ember.tensor(1.)).mean
    tensor(1.)
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    _shape_name = "concentration"

    def __init__(self, scale, concentration, validate_args=None):
        self._init(scale, concentration, validate_args)

    @property
    def mean(self):
        return self.scale * (1 + self.concentration.reciprocal()).lgamma().exp()

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k).pow(k.reciprocal())

    @property
    def variance(self):
        k = self.concentration
        return self.scale.pow(2) * ((1 + 2 / k).lgamma().exp()
                                    - (2 * (1 + k.reciprocal()).lgamma()).exp())

    def rsample(self, sample_shape=()):
        e = standard_exponential(self._extended_shape(sample_shape), self.scale)
        return self.scale * e.pow(self.concentration.reciprocal())

    def log_prob(self, value):
        z = self._checked(value) / self.scale
        k = self.concentration
        return (k / self.scale).log() + (k - 1) * z.log() - z.pow(k)

    def cdf(self, value):
        return 1 - (-(self._checked(value) / self.scale).pow(self.concentration)).exp()

    def icdf(self, value):
        return self.scale * (-(-value).log1p()).pow(self.concentration.reciprocal())

    def entropy(self):
        k = self.concentration
        return _EULER * (1 - k.reciprocal()) + (self.scale / k).log() + 1


class Pareto(_ScaleShape):
    """CDF ``1 - (scale / x)^alpha`` on ``x >= scale``.

    >>> ember.distributions.Pareto(ember.tensor(1.), ember.tensor(3.)).mean
    tensor(1.5000)
    """

    arg_constraints = {"scale": constraints.positive, "alpha": constraints.positive}
    _shape_name = "alpha"

    def __init__(self, scale, alpha, validate_args=None):
        self._init(scale, alpha, validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        """The numbers greater than or equal to ``scale``."""
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)  # infinite for alpha <= 1
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)  # infinite for alpha <= 2
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    def rsample(self, sample_shape=()):
        e = standard_exponential(self._extended_shape(sample_shape), self.scale)
        return self.scale * (e / self.alpha).exp()

    def log_prob(self, value):
        a = self.alpha
        return a.log() + a * self.scale.log() - (a + 1) * self._checked(value).log()

    def cdf(self, value):
        return 1 - (self.scale / self._checked(value)).pow(self.alpha)

    def icdf(self, value):
        return self.scale * (-value).log1p().mul(-self.alpha.reciprocal()).exp()

    def entropy(self):
        return (self.scale / self.alpha).log() + self.alpha.reciprocal() + 1
