"""Adam: moving averages of the gradient and its square, bias-corrected (and AMSGrad)."""
from __future__ import annotations

import math

import numpy as np

from ..kernels import optim as kernels
from .optimizer import (Optimizer, advance, check, effective_grad, scalar, scalar_tensor,
                        zeros_state)


def check_adam_args(lr, betas, eps, weight_decay) -> None:
    """PyTorch's argument checks shared by the Adam family."""
    check(scalar(lr) >= 0.0, "learning rate", lr)
    check(eps >= 0.0, "epsilon value", eps)
    check(0.0 <= scalar(betas[0]) < 1.0, "beta parameter at index 0", betas[0])
    check(0.0 <= scalar(betas[1]) < 1.0, "beta parameter at index 1", betas[1])
    check(weight_decay >= 0.0, "weight_decay value", weight_decay)


def lerp_(xp, avg, g, weight: float, scratch) -> None:
    """``avg += weight * (g - avg)`` in place (PyTorch's ``lerp_``), through ``scratch``."""
    xp.subtract(g, avg, out=scratch)
    scratch *= weight
    avg += scratch


def decay_square_(xp, avg, g, beta: float, scratch) -> None:
    """``avg = beta * avg + (1 - beta) * g * g`` in place, through ``scratch``."""
    avg *= beta
    xp.multiply(g, g, out=scratch)
    scratch *= 1.0 - beta
    avg += scratch


def decay_weights(p, g, group: dict, lr: float, decoupled: bool):
    """Apply weight decay: shrink ``p`` in place (decoupled, AdamW's) or add it to the
    gradient (L2); returns the gradient to follow."""
    decay = group["weight_decay"]
    if decoupled:
        if decay:
            p *= 1.0 - lr * decay
        decay = 0
    return effective_grad(p, g, decay, group["maximize"])


class Adam(Optimizer):
    """Adam (Kingma & Ba): ``m`` and ``v`` average ``g`` and ``g²``; the step is
    ``lr * m̂ / (sqrt(v̂) + eps)`` with bias-corrected ``m̂``, ``v̂``.

    ``decoupled_weight_decay=True`` shrinks the parameters directly (AdamW) instead of adding
    ``weight_decay * p`` to the gradient; ``amsgrad`` uses the running maximum of ``v``.

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused=None,
                 decoupled_weight_decay: bool = False):
        check_adam_args(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            amsgrad = group["amsgrad"]
            lr = scalar(group["lr"])
            beta1, beta2 = (scalar(b) for b in group["betas"])
            eps = group["eps"]
            decoupled = group["decoupled_weight_decay"]
            for xp, p, g, state in self._grads(group, _init_amsgrad if amsgrad else _init):
                step = advance(state["step"])
                if xp is np:
                    _adam_kernel(p, g, state, group, lr, beta1, beta2, step, decoupled)
                    continue
                g = decay_weights(p, g, group, lr, decoupled)
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                scratch = xp.empty_like(p)
                lerp_(xp, m, g, 1.0 - beta1, scratch)
                decay_square_(xp, v, g, beta2, scratch)
                if amsgrad:
                    v = xp.maximum(state["max_exp_avg_sq"]._data, v,
                                   out=state["max_exp_avg_sq"]._data)
                denom = xp.sqrt(v, out=scratch)
                denom /= math.sqrt(1.0 - beta2 ** step)
                denom += eps
                update = xp.divide(m, denom, out=scratch)
                update *= -lr / (1.0 - beta1 ** step)
                p += update
        return loss


def _adam_kernel(p, g, state, group, lr, beta1, beta2, step, decoupled) -> None:
    """The update of one CPU parameter, in one compiled pass (`ember.kernels.optim`).
    Scalars are combined in double precision, then rounded to the parameter's dtype, as
    PyTorch's are."""
    moments = [state["exp_avg"]._data, state["exp_avg_sq"]._data]
    kernel = kernels.adam_step
    if group["amsgrad"]:
        moments.append(state["max_exp_avg_sq"]._data)
        kernel = kernels.amsgrad_step
    decay = group["weight_decay"]
    t = p.dtype.type
    kernels.update(kernel, p, g, *moments,
                   t(1.0 - lr * decay if decoupled else 1.0), t(0.0 if decoupled else decay),
                   t(1.0 - beta1), t(beta2), t(1.0 - beta2), t(group["eps"]),
                   t(lr / (1.0 - beta1 ** step)), t(math.sqrt(1.0 - beta2 ** step)),
                   bool(group["maximize"]))


def _init(p, state) -> None:
    state["step"] = scalar_tensor(0.0)
    state["exp_avg"] = zeros_state(p)
    state["exp_avg_sq"] = zeros_state(p)


def _init_amsgrad(p, state) -> None:
    _init(p, state)
    state["max_exp_avg_sq"] = zeros_state(p)
