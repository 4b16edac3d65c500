"""Distributions over ``K`` categories: `Categorical` (an index) and `OneHotCategorical`
(a one-hot vector)."""
from __future__ import annotations

import math

from .. import _creation, _sampling
from .._dtype import finfo
from .._tensor import Size
from ..nn import functional as F
from ..ops import COMPOSITES
from . import constraints
from .distribution import Distribution, lazy_property
from .utils import enumerate_values, logits_to_probs, probs_to_logits

_broadcast_tensors = COMPOSITES["broadcast_tensors"].fn


class Categorical(Distribution):
    """Category ``i`` with probability ``probs[..., i]`` (normalized), or
    ``softmax(logits)[..., i]``.

    >>> ember.distributions.Categorical(probs=ember.tensor([1., 3.])).log_prob(ember.tensor(1))
    tensor(-0.2877)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape) + (self._num_events,)
        params = {k: self.__dict__[k].expand(shape) for k in ("probs", "logits")
                  if k in self.__dict__}
        new = self._expanded(batch_shape, _instance, Categorical, **params,
                             _num_events=self._num_events)
        new._param = new.probs if "probs" in params else new.logits
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        """The category indices, 0 to the number of categories less one."""
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        """The shape of the parameter tensor (``probs`` or ``logits``, whichever was given)."""
        return self._param.size()

    def _full(self, value):
        return _creation.full(self._extended_shape(), value, dtype=self.probs.dtype,
                              device=self.probs.device)

    @property
    def mean(self):
        return self._full(math.nan)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return self._full(math.nan)

    def sample(self, sample_shape=()):
        sample_shape = Size(sample_shape)
        probs_2d = self.probs.detach().reshape(-1, self._num_events)
        draws = _sampling.multinomial(probs_2d, max(sample_shape.numel(), 1), True).T
        return draws.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = _broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = _creation.arange(self._num_events, device=self._param.device)
        return enumerate_values(values, self._batch_shape, expand)


class CategoricalParams:
    """``probs``, ``logits`` and ``param_shape`` of a distribution built on a `Categorical`
    held as ``_categorical``."""

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape


class OneHotCategorical(CategoricalParams, Distribution):
    """`Categorical`, with each category given as a one-hot vector of length ``K``."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, _instance, OneHotCategorical,
                              _categorical=self._categorical.expand(batch_shape))

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return F.one_hot(self.probs.argmax(-1), self.probs.shape[-1]).to(self.probs.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        indices = self._categorical.sample(sample_shape)
        return F.one_hot(indices, self._event_shape[0]).to(self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        values = _creation.eye(self._event_shape[0], dtype=self.probs.dtype,
                               device=self.probs.device)
        return enumerate_values(values, self._batch_shape, expand)

