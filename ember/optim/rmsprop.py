"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from __future__ import annotations

from .adam import decay_square_, lerp_
from .optimizer import (Optimizer, advance, check, effective_grad, scalar, scalar_tensor,
                        zeros_state)


class RMSprop(Optimizer):
    """``v = alpha * v + (1 - alpha) * g²``; ``p -= lr * g / (sqrt(v) + eps)``. ``centered``
    subtracts the squared mean gradient from ``v``; ``momentum`` averages the steps.

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.RMSprop(model.parameters(), lr=1e-2, alpha=0.99)
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):
        check(scalar(lr) >= 0.0, "learning rate", lr)
        check(eps >= 0.0, "epsilon value", eps)
        check(momentum >= 0.0, "momentum value", momentum)
        check(weight_decay >= 0.0, "weight_decay value", weight_decay)
        check(alpha >= 0.0, "alpha value", alpha)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            alpha = group["alpha"]
            momentum = group["momentum"]
            centered = group["centered"]

            def init(p, state):
                state["step"] = scalar_tensor(0.0)
                state["square_avg"] = zeros_state(p)
                if momentum > 0:
                    state["momentum_buffer"] = zeros_state(p)
                if centered:
                    state["grad_avg"] = zeros_state(p)

            for xp, p, g, state in self._grads(group, init):
                advance(state["step"])
                g = effective_grad(p, g, group["weight_decay"], group["maximize"])
                v = state["square_avg"]._data
                scratch = xp.empty_like(p)
                decay_square_(xp, v, g, alpha, scratch)
                if centered:
                    mean = state["grad_avg"]._data
                    lerp_(xp, mean, g, 1.0 - alpha, scratch)
                    avg = xp.multiply(mean, mean, out=scratch)
                    xp.subtract(v, avg, out=avg)
                    xp.sqrt(avg, out=avg)
                else:
                    avg = xp.sqrt(v, out=scratch)
                avg += group["eps"]
                step = xp.divide(g, avg, out=avg)
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += step
                    step = buf
                p -= lr * step
        return loss
