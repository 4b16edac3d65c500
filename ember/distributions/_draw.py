"""Standard samples of a distribution's shape, dtype and device (constants to autograd)."""
from __future__ import annotations

from .. import _creation, _sampling
from .._tensor import wrap
from ..random import generator_for


def standard_normal(shape, like):
    return _sampling.randn(shape, dtype=like.dtype, device=like.device)


def standard_uniform(shape, like):
    return _sampling.rand(shape, dtype=like.dtype, device=like.device)


def standard_exponential(shape, like):
    return _creation.empty(shape, dtype=like.dtype, device=like.device).exponential_()


def standard_cauchy(shape, like):
    return _creation.empty(shape, dtype=like.dtype, device=like.device).cauchy_()


def standard_gamma(concentration):
    """Gamma(concentration, 1) draws, one per entry of ``concentration`` (no gradient)."""
    rng = generator_for(concentration.device, None).rng
    alpha = concentration.detach()._data
    return wrap(rng.standard_gamma(alpha).astype(alpha.dtype))
