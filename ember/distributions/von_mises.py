"""The von Mises distribution: the circular analogue of the normal, on ``[-pi, pi)``."""
from __future__ import annotations

import math

import numpy as np

from .. import special
from .._tensor import wrap
from ..random import generator_for
from . import constraints
from .distribution import Distribution, lazy_property
from .utils import broadcast_all


def _log_i0(kappa):
    return special.i0e(kappa).log() + kappa


def _best_fisher(rng, kappa, shape):
    """Angles about 0 with concentrations ``kappa`` (float64 array of ``shape``), by Best and
    Fisher's rejection from a wrapped Cauchy envelope."""
    tau = 1 + np.sqrt(1 + 4 * kappa ** 2)
    rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
    r = (1 + rho ** 2) / (2 * rho)
    out = np.empty(shape)
    todo = np.ones(shape, dtype=bool)
    while todo.any():
        k, rr = kappa[todo], r[todo]
        u1, u2, u3 = (rng.random(k.shape) for _ in range(3))
        z = np.cos(np.pi * u1)
        f = (1 + rr * z) / (rr + z)
        c = k * (rr - f)
        accept = (c * (2 - c) > u2) | (np.log(c / u2) + 1 - c >= 0)
        theta = np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1, 1))
        idx = np.flatnonzero(todo)[accept.reshape(-1)]
        out.reshape(-1)[idx] = theta[accept]
        todo.reshape(-1)[idx] = False
    return out


class VonMises(Distribution):
    """Density ``exp(concentration * cos(x - loc)) / (2 pi I0(concentration))``.

    >>> ember.distributions.VonMises(ember.tensor(0.), ember.tensor(1.)).log_prob(
    ...     ember.tensor(0.))
    tensor(-1.0738)
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, _instance, VonMises,
                              loc=self.loc.expand(batch_shape),
                              concentration=self.concentration.expand(batch_shape))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def circular_variance(self):
        k = self.concentration
        return 1 - special.i1e(k) / special.i0e(k)

    @property
    def variance(self):
        return self.circular_variance

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        kappa = self.concentration.detach().expand(shape)._data.astype("float64")
        theta = _best_fisher(generator_for(self.loc.device, None).rng, kappa, shape)
        loc = self.loc.detach().expand(shape)._data
        x = (theta + loc + math.pi) % (2 * math.pi) - math.pi
        return wrap(x.astype(loc.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k = self.concentration
        return k * (value - self.loc).cos() - math.log(2 * math.pi) - _log_i0(k)
