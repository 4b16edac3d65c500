"""`ember.distributions`: PyTorch's probability distributions, their KL divergences and
constraints. Sampling draws from Ember's generator (``ember.manual_seed``); ``rsample`` is
differentiable in the parameters (reparameterization).

    >>> d = ember.distributions.Normal(ember.tensor(0.0), ember.tensor(1.0))
    >>> d.log_prob(ember.tensor(0.5))
    tensor(-1.0439)
"""
from . import constraints
from .distribution import Distribution
from .normal import LogNormal, Normal

__all__ = ["Distribution", "LogNormal", "Normal", "constraints"]
