"""Adamax: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

from .adam import check_adam_args, lerp_
from .optimizer import Optimizer, advance, effective_grad, scalar, scalar_tensor, zeros_state


class Adamax(Optimizer):
    """``m`` averages ``g``; ``u = max(beta2 * u, |g| + eps)``; ``p -= lr / (1 - beta1^t) * m / u``.

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.Adamax(model.parameters(), lr=2e-3)
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        check_adam_args(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            beta1, beta2 = group["betas"]
            for xp, p, g, state in self._grads(group, _init):
                step = advance(state["step"])
                g = effective_grad(p, g, group["weight_decay"], group["maximize"])
                m = state["exp_avg"]._data
                u = state["exp_inf"]._data
                scratch = xp.empty_like(p)
                lerp_(xp, m, g, 1.0 - beta1, scratch)
                u *= beta2
                bound = xp.abs(g, out=scratch)
                bound += group["eps"]
                xp.maximum(u, bound, out=u)
                update = xp.divide(m, u, out=scratch)
                update *= -lr / (1.0 - beta1 ** step)
                p += update
        return loss


def _init(p, state) -> None:
    state["step"] = scalar_tensor(0.0)
    state["exp_avg"] = zeros_state(p)
    state["exp_inf"] = zeros_state(p)
