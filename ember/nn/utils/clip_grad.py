"""Gradient clipping by total norm or by value.

Clipping runs on every training step, so the norms and the rescaling work on the gradient
arrays directly (one reduction and one in-place multiply per gradient).
"""
from __future__ import annotations

import math
import warnings
import types
from typing import Iterable

import numpy as np

from ..._creation import tensor
from ..._tensor import Tensor, wrap
from ...backend import xp_of


def _as_list(tensors) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    is_generator = isinstance(tensors, types.GeneratorType)
    tensors = list(tensors)
    if is_generator and not tensors:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=3)
    return tensors


def _vector_norm(xp, a, p: float):
    """The ``p``-norm of array ``a`` as a 0-d array of ``a``'s dtype."""
    if p == 2.0:
        flat = a.reshape(-1)
        return xp.sqrt(xp.dot(flat, flat))
    if p == math.inf:
        return xp.abs(a).max() if a.size else xp.zeros((), a.dtype)
    if p == -math.inf:
        return xp.abs(a).min()
    if p == 0.0:
        return xp.asarray(xp.count_nonzero(a), dtype=a.dtype)
    if p == 1.0:
        return xp.abs(a).sum()
    return (xp.abs(a) ** p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` taken together as one vector.

    >>> nn.utils.get_total_norm([ember.tensor([3., 0.]), ember.tensor([4.])])
    tensor(5.)
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    first = tensors[0]._data
    xp = np if type(first) is np.ndarray else xp_of(first)
    norms = xp.stack([_vector_norm(xp, t._data, norm_type).astype(first.dtype, copy=False)
                      for t in tensors])
    total = _vector_norm(xp, norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return wrap(xp.asarray(total))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor,
                          foreach=None) -> None:
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    coef = total_norm._data.dtype.type(float(max_norm)) / (total_norm._data + 1e-6)
    coef = min(float(coef), 1.0)
    for g in grads:
        g._data *= coef
        g._vc[0] += 1


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so that their total norm is at most
    ``max_norm``; returns the total norm before clipping.

    >>> w = nn.Parameter(ember.zeros(2)); w.grad = ember.tensor([3., 4.])
    >>> nn.utils.clip_grad_norm_([w], max_norm=1.0), w.grad
    (tensor(5.), tensor([0.6000, 0.8000]))
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Deprecated spelling of `clip_grad_norm_`."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float,
                     foreach=None) -> None:
    """Clamp every gradient of ``parameters`` into ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is not None:
            xp = xp_of(g._data)
            xp.clip(g._data, -clip_value, clip_value, out=g._data)
            g._vc[0] += 1
