"""Distributions built on the gamma function: Gamma, Chi2, Beta, Dirichlet, Poisson,
StudentT. Their densities need ``lgamma``/``digamma``. All but Poisson sample by
reparameterization: a gamma draw is differentiated w.r.t. its concentration implicitly
(at a fixed CDF), and Beta, Dirichlet and StudentT are built from gamma draws."""
from __future__ import annotations

import math

from .. import _sampling
from .._dtype import finfo
from ..nn import functional as F
from ..ops import TABLE
from . import constraints
from ._draw import standard_gamma, standard_normal
from .distribution import Distribution
from .utils import broadcast_all

_where = TABLE["where"].fn
_stack = TABLE["stack"].fn
_xlogy = TABLE["xlogy"].fn


class Gamma(Distribution):
    """Density ``rate^a x^(a-1) e^(-rate x) / Gamma(a)`` with ``a = concentration``."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, _instance, type(self),
                              concentration=self.concentration.expand(batch_shape),
                              rate=self.rate.expand(batch_shape))

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        # a draw that underflowed to 0 would give log_prob -inf or NaN
        value.detach().clamp_(min=finfo(value.dtype).tiny)
        return value

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return _xlogy(a, b) + _xlogy(a - 1, value) - b * value - a.lgamma()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        from .. import special
        return special.gammainc(self.concentration, self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1.0 - a) * a.digamma()


class Chi2(Gamma):
    """The sum of squares of ``df`` standard normals: ``Gamma(df / 2, 1 / 2)``."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args)

    @property
    def df(self):
        """The degrees of freedom, ``2 * concentration``."""
        return self.concentration * 2


class Dirichlet(Distribution):
    """The distribution on the probability simplex with density proportional to
    ``prod x_i^(concentration_i - 1)``."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape) + tuple(self._event_shape)
        return self._expanded(batch_shape, _instance, Dirichlet,
                              concentration=self.concentration.expand(shape))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        excess = (self.concentration - 1).clamp(min=0)
        mode = excess / excess.sum(-1, keepdim=True)
        # with every concentration below 1 the density peaks at a corner of the simplex
        corner = F.one_hot(mode.argmax(-1), mode.shape[-1]).to(mode.dtype)
        return _where((self.concentration < 1).all(-1, keepdim=True), corner, mode)

    @property
    def variance(self):
        c = self.concentration
        total = c.sum(-1, keepdim=True)
        return c * (total - c) / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        g = standard_gamma(self.concentration.expand(self._extended_shape(sample_shape)))
        value = g / g.sum(-1, keepdim=True)
        tiny = finfo(value.dtype).tiny
        value.detach().clamp_(min=tiny, max=1 - tiny)
        return value

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return _xlogy(c - 1.0, value).sum(-1) + c.sum(-1).lgamma() - c.lgamma().sum(-1)

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        total = c.sum(-1)
        return (c.lgamma().sum(-1) - total.lgamma() - (k - total) * total.digamma()
                - ((c - 1.0) * c.digamma()).sum(-1))


class UnitIntervalConcentrations(Distribution):
    """A reparameterizable distribution on ``[0, 1]`` given by positive ``concentration1``
    (shaping it near 1) and ``concentration0`` (near 0): Beta, Kumaraswamy."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1,
                                                                 concentration0)
        super().__init__(self.concentration1.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, _instance, type(self),
                              concentration1=self.concentration1.expand(batch_shape),
                              concentration0=self.concentration0.expand(batch_shape))


class Beta(UnitIntervalConcentrations):
    """The distribution on ``[0, 1]`` with density proportional to
    ``x^(concentration1 - 1) (1 - x)^(concentration0 - 1)``."""

    def _dirichlet(self):
        return Dirichlet(_stack([self.concentration1, self.concentration0], -1),
                         validate_args=False)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet().mode.select(-1, 0)

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet().rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet().log_prob(_stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet().entropy()


class Poisson(Distribution):
    """Counts with mean ``rate``: ``P(k) = rate^k e^(-rate) / k!``."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, _instance, Poisson,
                              rate=self.rate.expand(batch_shape))

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        return _sampling.poisson(self.rate.detach().expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return _xlogy(value, rate) - rate - (value + 1).lgamma()


class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, shifted and scaled."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, _instance, StudentT,
                              df=self.df.expand(batch_shape), loc=self.loc.expand(batch_shape),
                              scale=self.scale.expand(batch_shape))

    @property
    def mean(self):
        return _where(self.df > 1, self.loc, math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2)
        heavy = _where(df > 1, math.inf, math.nan)
        return _where(df > 2, finite, heavy)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x = standard_normal(shape, self.df)
        chi2 = standard_gamma((0.5 * self.df).expand(shape)) * 2
        return self.loc + self.scale * x * (self.df / chi2).sqrt()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        df = self.df
        log_norm = (self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi)
                    + (0.5 * df).lgamma() - (0.5 * (df + 1.0)).lgamma())
        return -0.5 * (df + 1.0) * (y.pow(2) / df).log1p() - log_norm

    def entropy(self):
        df = self.df
        log_beta = (0.5 * df).lgamma() + math.lgamma(0.5) - (0.5 * (df + 1)).lgamma()
        return (self.scale.log() + 0.5 * (df + 1) * ((0.5 * (df + 1)).digamma()
                                                     - (0.5 * df).digamma())
                + 0.5 * df.log() + log_beta)
