"""Dropout: zero random elements (or whole channels) while training, rescaling the rest.

`_dropout` is the hot path: one op that draws the mask, applies it and keeps it for the
derivative (gradient = incoming gradient times the same scaled mask). Alpha dropout, for
SELU networks, is written with Ember ops around the same mask draw.
"""
from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from .._tensor import wrap
from ._op import composite, op

_ALPHA_PRIME = 1.7580993408473766  # -SELU_SCALE * SELU_ALPHA: what a dropped unit becomes


def _uniform(rng, shape, dtype):
    return rng.random(shape, dtype="float64" if dtype == "float64" else "float32")


def keep_mask(xp, rng, shape, p, dtype):
    """1 with probability ``1 - p`` else 0, of ``dtype`` (uniform draws compared with p)."""
    return (_uniform(rng, shape, dtype) >= p).astype(dtype)


@op(stash=True, method=False, function=False)
def _dropout(xp, x, p, noise_shape, rng):
    """``x * keep / (1 - p)`` with ``keep`` drawn per element of ``noise_shape`` (broadcast
    over x: a channel's elements share one draw)."""
    scale = x.dtype.type(1 / (1 - p) if p < 1 else 0)
    if xp is np and noise_shape == x.shape and x.dtype.kind == "f" and x.dtype.itemsize >= 4:
        from ..kernels.dropout import dropout_apply
        u = _uniform(rng, noise_shape, x.dtype)
        mask, out = np.empty_like(x, order="C"), np.empty_like(x, order="C")
        dropout_apply(u.reshape(-1), u.dtype.type(p), scale, np.ascontiguousarray(x).reshape(-1),
                      mask.reshape(-1), out.reshape(-1))
        return out, mask
    mask = keep_mask(xp, rng, noise_shape, p, x.dtype)
    if p < 1:
        mask *= scale
    return x * mask, mask


@_dropout.derivative
def _dropout(ctx, grad, p, noise_shape, rng):
    return grad * wrap(ctx.stash)


def check_p(p: float) -> None:
    """PyTorch's ValueError for a probability outside [0, 1]."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def noise_shape(input, feature: bool) -> tuple:
    """One draw per element, or per (sample, channel) for feature dropout."""
    if not feature:
        return tuple(input.shape)
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return tuple(input.shape[:2]) + (1,) * (input.dim() - 2)


def _draw(input, p, feature):
    check_p(p)
    rng = _random.generator_for(input.device).rng
    return noise_shape(input, feature), rng


@composite(method=False)
def dropout(input, p: float = 0.5, train: bool = True):
    """Zero each element with probability ``p`` while training; scale the rest by 1/(1-p)."""
    if not train or p == 0:
        check_p(p)
        return input
    return _dropout.fn(input, p, *_draw(input, p, False))


@composite(method=False)
def feature_dropout(input, p: float = 0.5, train: bool = True):
    """`dropout` of whole channels: dim 1 of (N, C, *)."""
    if not train or p == 0:
        check_p(p)
        return input
    return _dropout.fn(input, p, *_draw(input, p, True))


def _alpha(input, p, train, feature):
    check_p(p)
    if not train or p == 0 or input.numel() == 0:
        return input
    shape, rng = _draw(input, p, feature)
    keep = keep_mask(input._xp, rng, shape, p, input._data.dtype)
    if p == 1:
        return input * wrap(keep)
    a = 1 / math.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    shift = (keep - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    keep *= a
    return input * wrap(keep) + wrap(shift)


@composite(method=False)
def alpha_dropout(input, p: float = 0.5, train: bool = False):
    """Dropout that keeps SELU activations' mean and variance: dropped units are set to
    SELU's negative saturation value, then all are rescaled and shifted."""
    return _alpha(input, p, train, False)


@composite(method=False)
def feature_alpha_dropout(input, p: float = 0.5, train: bool = False):
    """`alpha_dropout` of whole channels."""
    return _alpha(input, p, train, True)
