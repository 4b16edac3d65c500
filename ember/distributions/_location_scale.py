"""The shared part of distributions given by a location ``loc`` and a scale ``scale``."""
from __future__ import annotations

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


class LocationScale(Distribution):
    """A distribution of ``loc + scale * eps`` for a fixed standard ``eps``; subclasses give
    ``eps``'s sampler and the densities."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, _instance, type(self),
                              loc=self.loc.expand(batch_shape),
                              scale=self.scale.expand(batch_shape))

    @property
    def mode(self):
        return self.loc

    def standard_sample(self, shape):
        """Draws of the standard distribution (location 0, scale 1) of ``shape``; `rsample`
        returns ``loc + scale * standard_sample(...)``. Subclasses define it.
        """
        raise NotImplementedError

    def rsample(self, sample_shape=()):
        eps = self.standard_sample(self._extended_shape(sample_shape))
        return self.loc + eps * self.scale
