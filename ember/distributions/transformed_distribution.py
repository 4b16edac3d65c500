"""`TransformedDistribution`: a base distribution pushed through invertible transforms."""
from __future__ import annotations

from .._tensor import Size
from ..autograd.grad_mode import no_grad
from . import constraints
from .distribution import Distribution
from .independent import Independent, sum_rightmost
from .transforms import ComposeTransform, Transform


class TransformedDistribution(Distribution):
    """``transforms[-1](...transforms[0](x))`` for ``x`` drawn from ``base_distribution``;
    densities follow by the change of variables.

    >>> from ember.distributions import Normal, TransformedDistribution
    >>> from ember.distributions.transforms import ExpTransform
    >>> TransformedDistribution(Normal(0.0, 1.0), [ExpTransform()]).log_prob(ember.tensor(1.))
    tensor(-0.9189)
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            transforms = [transforms]
        elif not (isinstance(transforms, list)
                  and all(isinstance(t, Transform) for t in transforms)):
            raise ValueError(f"transforms must be a Transform or a list of Transforms, but "
                             f"was {transforms}")
        self.transforms = transforms
        chain = ComposeTransform(transforms)
        base_shape = tuple(base_distribution.batch_shape) + \
            tuple(base_distribution.event_shape)
        base_event_dim = len(base_distribution.event_shape)
        if len(base_shape) < chain.domain.event_dim:
            raise ValueError(f"base_distribution needs to have shape with size at least "
                             f"{chain.domain.event_dim}, but got {base_shape}.")
        if chain.domain.event_dim > base_event_dim:
            base_distribution = Independent(base_distribution,
                                            chain.domain.event_dim - base_event_dim)
        self.base_dist = base_distribution
        shape = chain.forward_shape(base_shape)
        event_dim = max(chain.codomain.event_dim, base_event_dim)
        split = len(shape) - event_dim
        super().__init__(shape[:split], shape[split:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape) + tuple(self._event_shape)
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        base_batch = shape[:len(shape) - len(self.base_dist.event_shape)]
        return self._expanded(batch_shape, _instance, TransformedDistribution,
                              base_dist=self.base_dist.expand(base_batch),
                              transforms=self.transforms)

    @property
    def has_rsample(self) -> bool:
        """Whether the base distribution has `rsample` (the transforms are differentiable)."""
        return self.base_dist.has_rsample

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        """The last transform's codomain (the base support when there are no transforms)."""
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        extra = len(self._event_shape) - support.event_dim
        return constraints.independent(support, extra) if extra > 0 else support

    def _push(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def sample(self, sample_shape=Size()):
        with no_grad():
            return self._push(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape=Size()):
        return self._push(self.base_dist.rsample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        event_dim = len(self._event_shape)
        log_prob, y = 0.0, value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            log_prob = log_prob - sum_rightmost(t.log_abs_det_jacobian(x, y),
                                                event_dim - t.domain.event_dim)
            y = x
        return log_prob + sum_rightmost(self.base_dist.log_prob(y),
                                        event_dim - len(self.base_dist.event_shape))

    def _monotone_sign(self):
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if not isinstance(sign, int):
            raise NotImplementedError("cdf and icdf need transforms of one known sign")
        return sign

    def cdf(self, value):
        for t in reversed(self.transforms):
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        value = self.base_dist.cdf(value)
        return value if self._monotone_sign() == 1 else 1 - value

    def icdf(self, value):
        value = value if self._monotone_sign() == 1 else 1 - value
        return self._push(self.base_dist.icdf(value))
