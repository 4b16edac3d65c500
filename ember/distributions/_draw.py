"""Standard samples of a distribution's shape, dtype and device."""
from __future__ import annotations

from .. import _creation, _sampling
from ..ops import TABLE
from ..random import generator_for

_standard_gamma = TABLE["_standard_gamma"].fn


def standard_normal(shape, like):
    return _sampling.randn(shape, dtype=like.dtype, device=like.device)


def standard_uniform(shape, like):
    return _sampling.rand(shape, dtype=like.dtype, device=like.device)


def standard_exponential(shape, like):
    return _creation.empty(shape, dtype=like.dtype, device=like.device).exponential_()


def standard_cauchy(shape, like):
    return _creation.empty(shape, dtype=like.dtype, device=like.device).cauchy_()


def standard_gamma(concentration):
    """Gamma(concentration, 1) draws, one per entry of ``concentration``, differentiable
    w.r.t. it (implicit reparameterization)."""
    return _standard_gamma(concentration, generator_for(concentration.device, None).rng)
