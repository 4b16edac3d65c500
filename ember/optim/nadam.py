"""NAdam: Adam with Nesterov momentum (Dozat), with its momentum-decay schedule."""
from __future__ import annotations

from .adam import check_adam_args, decay_square_, decay_weights, lerp_
from .optimizer import Optimizer, advance, check, scalar, scalar_tensor, zeros_state


class NAdam(Optimizer):
    """Adam whose step looks ahead along the momentum; ``mu_t = beta1 (1 - 0.5 ·
    0.96^(t · momentum_decay))`` schedules the momentum.

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.NAdam(model.parameters(), lr=2e-3)
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        check_adam_args(lr, betas, eps, weight_decay)
        check(momentum_decay >= 0.0, "momentum_decay value", momentum_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            beta1, beta2 = group["betas"]
            psi = group["momentum_decay"]
            for xp, p, g, state in self._grads(group, _init):
                step = advance(state["step"])
                g = decay_weights(p, g, group, lr, group["decoupled_weight_decay"])
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
                # the product is kept in the state's own (float32) precision, as PyTorch does
                mu_product = state["mu_product"]._data
                mu_product *= mu
                mu_product = float(mu_product)
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                scratch = xp.empty_like(p)
                lerp_(xp, m, g, 1.0 - beta1, scratch)
                decay_square_(xp, v, g, beta2, scratch)
                denom = xp.divide(v, 1.0 - beta2 ** step, out=scratch)
                xp.sqrt(denom, out=denom)
                denom += group["eps"]
                p += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
                p += (-lr * mu_next / (1.0 - mu_product * mu_next)) * m / denom
        return loss


def _init(p, state) -> None:
    state["step"] = scalar_tensor(0.0)
    state["mu_product"] = scalar_tensor(1.0)
    state["exp_avg"] = zeros_state(p)
    state["exp_avg_sq"] = zeros_state(p)
