"""Concrete (Gumbel-softmax) relaxations of Bernoulli and categorical draws, smooth in their
parameters at a ``temperature``: `RelaxedBernoulli` on ``(0, 1)`` and
`RelaxedOneHotCategorical` on the simplex, each the image of a distribution of logits."""
from __future__ import annotations

from .._dtype import finfo
from ..nn import functional as F
from . import constraints
from ._draw import standard_uniform
from .bernoulli import _BinaryTrials
from .categorical import Categorical, CategoricalParams
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform, SigmoidTransform


def _open_uniform(shape, like):
    info = finfo(like.dtype)
    return standard_uniform(shape, like).clamp(min=info.tiny, max=1 - info.eps)


class LogitRelaxedBernoulli(_BinaryTrials):
    """The logit of a `RelaxedBernoulli` draw: ``(logits + logistic noise) / temperature``."""

    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        self._init_params(probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, _instance, LogitRelaxedBernoulli,
                                   temperature=self.temperature)

    def rsample(self, sample_shape=()):
        u = _open_uniform(self._extended_shape(sample_shape), self.logits)
        return (self.logits + u.log() - (-u).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = self.logits - value * self.temperature
        return self.temperature.log() + diff - 2 * F.softplus(diff)


class ExpRelaxedCategorical(CategoricalParams, Distribution):
    """The log of a `RelaxedOneHotCategorical` draw: a log-softmax of
    ``(logits + Gumbel noise) / temperature``."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        batch_shape = self._categorical.batch_shape
        super().__init__(batch_shape, self._categorical.param_shape[-1:], validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, _instance, ExpRelaxedCategorical,
                              temperature=self.temperature,
                              _categorical=self._categorical.expand(batch_shape))

    def rsample(self, sample_shape=()):
        u = _open_uniform(self._extended_shape(sample_shape), self.logits)
        scores = (self.logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k = self._event_shape[0]
        # log((k - 1)!) + (k - 1) log(temperature): the density's normalizer
        log_scale = (self.temperature.log() * (k - 1)
                     + self.temperature.new_full((), float(k)).lgamma())
        score = self.logits - value * self.temperature
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class _Relaxed(TransformedDistribution):
    """A relaxation: ``base`` (of logits) pushed through ``transform``."""

    has_rsample = True

    def __init__(self, base, transform, validate_args):
        super().__init__(base, [transform], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def temperature(self):
        """The relaxation temperature: near 0, samples approach one-hot (or 0/1) values."""
        return self.base_dist.temperature

    @property
    def logits(self):
        """The log-odds (unnormalized log-probabilities) of the underlying discrete distribution."""
        return self.base_dist.logits

    @property
    def probs(self):
        """The probabilities of the underlying discrete distribution."""
        return self.base_dist.probs


class RelaxedBernoulli(_Relaxed):
    """A draw in ``(0, 1)`` that tends to a Bernoulli(``probs``) draw as ``temperature``
    goes to 0: ``sigmoid`` of a `LogitRelaxedBernoulli` draw.

    >>> d = ember.distributions.RelaxedBernoulli(ember.tensor(0.5), probs=ember.tensor(0.3))
    >>> d.rsample().shape
    ember.Size([])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        super().__init__(LogitRelaxedBernoulli(temperature, probs, logits), SigmoidTransform(),
                         validate_args)


class RelaxedOneHotCategorical(_Relaxed):
    """A point of the simplex that tends to a one-hot categorical draw as ``temperature``
    goes to 0: ``exp`` of an `ExpRelaxedCategorical` draw."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        super().__init__(ExpRelaxedCategorical(temperature, probs, logits), ExpTransform(),
                         validate_args)
