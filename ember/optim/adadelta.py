"""Adadelta: steps scaled by the ratio of running RMS of past updates and gradients."""
from __future__ import annotations

from .adam import decay_square_
from .optimizer import (Optimizer, advance, check, effective_grad, scalar, scalar_tensor,
                        zeros_state)


class Adadelta(Optimizer):
    """``v = rho v + (1-rho) g²``; ``d = sqrt(u + eps) / sqrt(v + eps) · g``;
    ``u = rho u + (1-rho) d²``; ``p -= lr · d`` (Zeiler).

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.Adadelta(model.parameters(), rho=0.9)
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False):
        check(scalar(lr) >= 0.0, "learning rate", lr)
        check(0.0 <= rho <= 1.0, "rho value", rho)
        check(eps >= 0.0, "epsilon value", eps)
        check(weight_decay >= 0.0, "weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, capturable=capturable,
                                      foreach=foreach, differentiable=differentiable))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            rho = group["rho"]
            eps = group["eps"]
            for xp, p, g, state in self._grads(group, _init):
                advance(state["step"])
                g = effective_grad(p, g, group["weight_decay"], group["maximize"])
                v = state["square_avg"]._data
                u = state["acc_delta"]._data
                scratch = xp.empty_like(p)
                decay_square_(xp, v, g, rho, scratch)
                std = xp.add(v, eps, out=xp.empty_like(p))
                xp.sqrt(std, out=std)
                delta = xp.add(u, eps, out=scratch)
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                decay_square_(xp, u, delta, rho, std)
                p -= lr * delta
        return loss


def _init(p, state) -> None:
    state["step"] = scalar_tensor(0.0)
    state["square_avg"] = zeros_state(p)
    state["acc_delta"] = zeros_state(p)
