"""`MixtureSameFamily`: a weighted mixture of components of one distribution family."""
from __future__ import annotations

from ..autograd.grad_mode import no_grad
from . import constraints
from .categorical import Categorical
from .distribution import Distribution


class _MixtureSupport(constraints.Constraint):
    """The components' support, checked for every component at once."""

    def __init__(self, base_constraint):
        self.base_constraint = base_constraint

    @property
    def is_discrete(self) -> bool:
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:
        return self.base_constraint.event_dim

    def check(self, value):
        value = value.unsqueeze(-1 - self.event_dim)
        return self.base_constraint.check(value).all(-1)

    def __repr__(self) -> str:
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


class MixtureSameFamily(Distribution):
    """Draw a component index from ``mixture_distribution`` (a `Categorical` over the last
    batch dim of ``component_distribution``), then a value from that component.

    >>> from ember.distributions import Categorical, Normal
    >>> mix = Categorical(ember.ones(3))
    >>> comp = Normal(ember.tensor([-1., 0., 1.]), ember.ones(3))
    >>> MixtureSameFamily(mix, comp).batch_shape
    ember.Size([])
    """

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(" The Mixture distribution needs to be an  instance of "
                             "torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of "
                             "torch.distributions.Distribution")
        mix_batch = mixture_distribution.batch_shape
        comp_batch = component_distribution.batch_shape[:-1]
        for a, b in zip(reversed(mix_batch), reversed(comp_batch)):
            if a != 1 and b != 1 and a != b:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mix_batch}) is not "
                                 f"compatible with `component_distribution.batch_shape`"
                                 f"({comp_batch})")
        k_mix = mixture_distribution.logits.shape[-1]
        k_comp = component_distribution.batch_shape[-1]
        if k_mix != k_comp:
            raise ValueError(f"`mixture_distribution component` ({k_mix}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({k_comp})")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = k_mix
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(comp_batch, component_distribution.event_shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = tuple(batch_shape)
        return self._expanded(
            batch_shape, _instance, MixtureSameFamily,
            _component_distribution=self._component_distribution.expand(
                batch_shape + (self._num_component,)),
            _mixture_distribution=self._mixture_distribution.expand(batch_shape),
            _num_component=self._num_component, _event_ndims=self._event_ndims)

    @property
    def mixture_distribution(self) -> Categorical:
        """The `Categorical` that picks a component for each draw."""
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Distribution:
        """The distribution whose rightmost batch dimension indexes the components."""
        return self._component_distribution

    @constraints.dependent_property
    def support(self):
        """The components' support."""
        return _MixtureSupport(self._component_distribution.support)

    def _pad(self, x):
        """``x`` with a dim for the components, before the event dims."""
        return x.unsqueeze(-1 - self._event_ndims)

    def _weights(self):
        """The mixture probabilities, shaped to broadcast against the components'."""
        probs = self._mixture_distribution.probs
        mix_ndims = len(self._mixture_distribution.batch_shape)
        pad = 0 if mix_ndims == 1 else len(self._batch_shape) - mix_ndims
        shape = tuple(probs.shape)
        return probs.reshape(shape[:-1] + (1,) * pad + shape[-1:] + (1,) * self._event_ndims)

    @property
    def mean(self):
        weights = self._weights()
        return (weights * self._component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self):
        weights = self._weights()
        comp = self._component_distribution
        dim = -1 - self._event_ndims
        within = (weights * comp.variance).sum(dim)
        between = (weights * (comp.mean - self._pad(self.mean)).pow(2)).sum(dim)
        return within + between

    def cdf(self, x):
        cdf = self._component_distribution.cdf(self._pad(x))
        return (cdf * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, x):
        if self._validate_args:
            self._validate_sample(x)
        log_prob = self._component_distribution.log_prob(self._pad(x))
        log_weights = self._mixture_distribution.logits.log_softmax(-1)
        return (log_prob + log_weights).logsumexp(-1)

    def sample(self, sample_shape=()):
        with no_grad():
            gather_dim = len(tuple(sample_shape)) + len(self._batch_shape)
            event = tuple(self._event_shape)
            index = self._mixture_distribution.sample(sample_shape)
            samples = self._component_distribution.sample(sample_shape)
            shape = tuple(index.shape)
            index = index.reshape(shape + (1,) * (len(event) + 1))
            index = index.expand(shape + (1,) + event)
            return samples.gather(gather_dim, index).squeeze(gather_dim)

    def __repr__(self) -> str:
        return (f"MixtureSameFamily(\n  {self._mixture_distribution},\n  "
                f"{self._component_distribution})")
