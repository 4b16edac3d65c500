"""Optimizer updates as one pass over each parameter: the gradient's adjustments (maximize,
weight decay), the moment buffers and the parameter itself updated together, where NumPy
would make a pass (and often a temporary) per term. Hyperparameters arrive in the
parameter's dtype, so float32 parameters update in float32 arithmetic as PyTorch's do."""
from __future__ import annotations

import math

import numpy as np

from . import STREAM_GRAIN, kernel, prange, threaded


@threaded(grain=STREAM_GRAIN)
def sgd_step(param, grad, buf, lr, weight_decay, momentum, keep, nesterov, maximize, first):
    """SGD on flat arrays: ``buf = momentum * buf + keep * g`` (``buf = g`` on the ``first``
    step), the step along ``buf`` (``g + momentum * buf`` with ``nesterov``); without
    momentum (``momentum == 0``) ``buf`` is not touched."""
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:  # (0 * inf would turn an infinite parameter into NaN)
            g = g + weight_decay * param[i]
        if momentum != 0:
            b = g if first else momentum * buf[i] + keep * g
            buf[i] = b
            g = g + momentum * b if nesterov else b
        param[i] = param[i] - lr * g


@kernel(inline="always")
def _adam_moments(param, grad, exp_avg, exp_avg_sq, shrink, weight_decay, weight1, beta2,
                  weight2, maximize):
    """One element's Adam: the parameter scaled by ``shrink`` (AdamW's decoupled decay; L2
    decay enters the gradient as ``weight_decay * param``), ``exp_avg`` moved ``weight1`` of
    the way to g, ``exp_avg_sq = beta2 * exp_avg_sq + weight2 * g^2``."""
    g = -grad if maximize else grad
    p = param * shrink
    if weight_decay != 0:
        g = g + weight_decay * p
    return p, exp_avg + weight1 * (g - exp_avg), exp_avg_sq * beta2 + weight2 * g * g


@kernel(inline="always")
def _adam_param(p, m, v, eps, step_size, bias_correction2_sqrt):
    return p - step_size * (m / (math.sqrt(v) / bias_correction2_sqrt + eps))


# Two loops, not one with an ``amsgrad`` flag: with the running maximum as a fifth array,
# the checks that no two arrays overlap exceed LLVM's budget and the whole loop stays scalar
# (7.5x slower: 221 against 29.5 us on 65k float32 elements, one thread).

@threaded(grain=STREAM_GRAIN)
def adam_step(param, grad, exp_avg, exp_avg_sq, shrink, weight_decay, weight1, beta2,
              weight2, eps, step_size, bias_correction2_sqrt, maximize):
    """Adam on flat arrays (`_adam_moments`); the step
    ``step_size * exp_avg / (sqrt(exp_avg_sq) / bias_correction2_sqrt + eps)``."""
    for i in prange(param.size):
        p, m, v = _adam_moments(param[i], grad[i], exp_avg[i], exp_avg_sq[i], shrink,
                                weight_decay, weight1, beta2, weight2, maximize)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        param[i] = _adam_param(p, m, v, eps, step_size, bias_correction2_sqrt)


@threaded(grain=STREAM_GRAIN)
def amsgrad_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, shrink, weight_decay,
                 weight1, beta2, weight2, eps, step_size, bias_correction2_sqrt, maximize):
    """`adam_step` along the running maximum ``max_exp_avg_sq`` of ``exp_avg_sq``."""
    for i in prange(param.size):
        p, m, v = _adam_moments(param[i], grad[i], exp_avg[i], exp_avg_sq[i], shrink,
                                weight_decay, weight1, beta2, weight2, maximize)
        exp_avg[i] = m
        exp_avg_sq[i] = v
        top = max_exp_avg_sq[i]
        v = v if v > top or v != v else top  # NaN in either wins, as torch.maximum's
        max_exp_avg_sq[i] = v
        param[i] = _adam_param(p, m, v, eps, step_size, bias_correction2_sqrt)


def update(kernel, param: np.ndarray, grad: np.ndarray, *buffers_and_scalars) -> None:
    """Run an update ``kernel(param, grad, *buffers_and_scalars)`` on flat views; a strided
    parameter or buffer is updated through a contiguous copy written back."""
    args = [param, np.ascontiguousarray(grad, dtype=param.dtype)] + list(buffers_and_scalars)
    strided = [i for i, a in enumerate(args)
               if isinstance(a, np.ndarray) and not a.flags.c_contiguous]
    flats = [np.ascontiguousarray(a).reshape(-1) if isinstance(a, np.ndarray) else a
             for a in args]
    kernel(*flats)
    for i in strided:
        args[i][...] = flats[i].reshape(args[i].shape)
