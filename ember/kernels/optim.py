"""Optimizer updates as one pass over each parameter: the gradient's adjustments (maximize,
weight decay), the moment buffers and the parameter itself updated together, where NumPy
would make a pass (and often a temporary) per term. Hyperparameters arrive in the
parameter's dtype, so float32 parameters update in float32 arithmetic as PyTorch's do."""
from __future__ import annotations

import math

import numpy as np

from . import STREAM_GRAIN, prange, threaded


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


@threaded(grain=STREAM_GRAIN)
def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, shrink, weight_decay,
              weight1, beta2, weight2, eps, step_size, bias_correction2_sqrt, amsgrad,
              maximize):
    """Adam on flat arrays: the parameter first scaled by ``shrink`` (AdamW's decoupled
    decay; L2 decay enters the gradient as ``weight_decay * param``), ``exp_avg`` moved
    ``weight1`` of the way to g, ``exp_avg_sq = beta2 * exp_avg_sq + weight2 * g^2``; the
    step ``step_size * exp_avg / (sqrt(v) / bias_correction2_sqrt + eps)`` with ``v`` the
    running maximum ``max_exp_avg_sq`` under ``amsgrad`` (not touched otherwise)."""
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        p = param[i] * shrink
        if weight_decay != 0:
            g = g + weight_decay * p
        m = exp_avg[i] + weight1 * (g - exp_avg[i])
        v = exp_avg_sq[i] * beta2 + weight2 * g * g
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if amsgrad:
            top = max_exp_avg_sq[i]
            v = v if v > top or v != v else top  # NaN in either wins, as torch.maximum's
            max_exp_avg_sq[i] = v
        param[i] = p - step_size * (m / (math.sqrt(v) / bias_correction2_sqrt + eps))


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
