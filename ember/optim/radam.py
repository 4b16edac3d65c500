"""RAdam: Adam with the variance of its adaptive learning rate rectified (Liu et al.)."""
from __future__ import annotations

import math

from .adam import check_adam_args, decay_square_, decay_weights, lerp_
from .optimizer import Optimizer, advance, scalar, scalar_tensor, zeros_state


class RAdam(Optimizer):
    """Adam that takes plain momentum steps while the second-moment estimate is too young
    (``rho_t <= 5``) and rectified adaptive steps after.

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.RAdam(model.parameters(), lr=1e-3)
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        check_adam_args(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            beta1, beta2 = group["betas"]
            rho_inf = 2.0 / (1.0 - beta2) - 1.0
            for xp, p, g, state in self._grads(group, _init):
                step = advance(state["step"])
                g = decay_weights(p, g, group, lr, group["decoupled_weight_decay"])
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                scratch = xp.empty_like(p)
                lerp_(xp, m, g, 1.0 - beta1, scratch)
                decay_square_(xp, v, g, beta2, scratch)
                correction1 = 1.0 - beta1 ** step
                correction2 = 1.0 - beta2 ** step
                rho = rho_inf - 2.0 * step * beta2 ** step / correction2
                update = xp.divide(m, correction1, out=scratch)
                update *= lr
                if rho > 5.0:
                    rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho))
                    root = xp.sqrt(v)
                    root += group["eps"]
                    update *= math.sqrt(correction2) / root
                    update *= rect
                p -= update
        return loss


def _init(p, state) -> None:
    state["step"] = scalar_tensor(0.0)
    state["exp_avg"] = zeros_state(p)
    state["exp_avg_sq"] = zeros_state(p)
