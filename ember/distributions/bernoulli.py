"""Distributions of binary trials given by ``probs`` or ``logits``: Bernoulli, Geometric,
Binomial."""
from __future__ import annotations

import math
import numbers

from .. import _creation, _sampling
from .._dtype import finfo
from .._tensor import Size
from ..nn import functional as F
from ..ops import TABLE
from . import constraints
from ._draw import standard_uniform
from .distribution import Distribution, lazy_property
from .utils import broadcast_all, enumerate_values, logits_to_probs, probs_to_logits

_where = TABLE["where"].fn


class _BinaryTrials(Distribution):
    """Parameters shared by the trial distributions: ``probs`` or ``logits`` (one of them),
    each computed from the other on first use."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._init_params(probs, logits, validate_args)

    def _init_params(self, probs, logits, validate_args, **others) -> None:
        """Set ``probs`` or ``logits`` and ``others`` (``total_count``), broadcast together,
        then validate them."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        *extra, param = broadcast_all(*others.values(), given)
        setattr(self, "probs" if probs is not None else "logits", param)
        for name, value in zip(others, extra):
            setattr(self, name, value.type_as(param))
        self._param = param
        scalar = isinstance(given, numbers.Number) and not others
        super().__init__(Size() if scalar else param.size(), validate_args=validate_args)

    def _expand_params(self, batch_shape, _instance, cls, **more):
        params = {k: self.__dict__[k].expand(batch_shape) for k in ("probs", "logits")
                  if k in self.__dict__}
        new = self._expanded(batch_shape, _instance, cls, **params, **more)
        new._param = new.probs if "probs" in params else new.logits
        return new

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        """The shape of the parameter tensor (``probs`` or ``logits``, whichever was given)."""
        return self._param.size()


class Bernoulli(_BinaryTrials):
    """1 with probability ``probs`` (or ``sigmoid(logits)``), else 0.

    >>> ember.distributions.Bernoulli(probs=0.25).log_prob(ember.tensor(1.0))
    tensor(-1.3863)
    """

    support = constraints.boolean
    has_enumerate_support = True

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, _instance, Bernoulli)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return _where(self.probs == 0.5, math.nan, mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return _sampling.bernoulli(self.probs.detach().expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        values = _creation.arange(2, dtype=self._param.dtype, device=self._param.device)
        return enumerate_values(values, self._batch_shape, expand)


class Geometric(_BinaryTrials):
    """The number of failures before the first success of trials with ``probs``."""

    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._init_params(probs, logits, validate_args)
        if self._validate_args and probs is not None and not (self.probs > 0).all():
            raise ValueError(f"Expected parameter probs ({type(self.probs).__name__} of shape "
                             f"{tuple(self.probs.shape)}) of distribution {self!r} to be "
                             f"positive but found invalid values:\n"
                             f"{self.probs[~(self.probs > 0)]}")

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, _instance, Geometric)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return _creation.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        probs = self.probs.detach()
        u = standard_uniform(shape, probs).clamp(min=finfo(probs.dtype).tiny)
        return (u.log() / (-probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # a certain success (probs 1) with no failure has probability 1, not 0 * log(0)
        safe = _where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-safe).log1p() + self.probs.log()

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs,
                                                  reduction="none") / self.probs


class Binomial(_BinaryTrials):
    """The number of successes in ``total_count`` trials with ``probs``."""

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        self._init_params(probs, logits, validate_args, total_count=total_count)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, _instance, Binomial,
                                   total_count=self.total_count.expand(batch_shape))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        """The integers from 0 to ``total_count``."""
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        # the sum of total_count Bernoulli trials (padded to the largest count)
        shape = self._extended_shape(sample_shape)
        probs = self.probs.detach().expand(shape)
        count = self.total_count.detach().expand(shape)
        n = int(count.max().item()) if count.numel() else 0
        trials = _creation.arange(n, dtype=probs.dtype, device=probs.device)
        active = (trials < count.unsqueeze(-1)).to(probs.dtype)
        draws = _sampling.bernoulli(probs.unsqueeze(-1).expand(shape + (n,)))
        return (draws * active).sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, k = self.total_count, value
        log_choose = (n + 1).lgamma() - (k + 1).lgamma() - (n - k + 1).lgamma()
        # k log p + (n - k) log(1 - p) = k logits - n log(1 + e^logits)
        return log_choose + k * self.logits - n * F.softplus(self.logits)

    def entropy(self):
        support = self.enumerate_support(expand=False)
        log_prob = self.log_prob(support)
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        n = int(self.total_count.max().item())
        if not (self.total_count == n).all():
            raise NotImplementedError("Inhomogeneous total count not supported by "
                                      "`enumerate_support`.")
        values = _creation.arange(1 + n, dtype=self._param.dtype, device=self._param.device)
        return enumerate_values(values, self._batch_shape, expand)
