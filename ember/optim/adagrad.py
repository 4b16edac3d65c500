"""Adagrad: per-coordinate learning rates shrinking with the sum of squared gradients."""
from __future__ import annotations

from .._creation import full_like
from .optimizer import Optimizer, advance, check, effective_grad, scalar, scalar_tensor


class Adagrad(Optimizer):
    """``s += g²``; ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``.

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.Adagrad(model.parameters(), lr=1e-2)
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, fused=None):
        check(scalar(lr) >= 0.0, "learning rate", lr)
        check(lr_decay >= 0.0, "lr_decay value", lr_decay)
        check(weight_decay >= 0.0, "weight_decay value", weight_decay)
        check(initial_accumulator_value >= 0.0, "initial_accumulator_value value",
              initial_accumulator_value)
        check(eps >= 0.0, "epsilon value", eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        # Adagrad's state exists from the start, as in PyTorch (state dicts list every param).
        for group in self.param_groups:
            for p in group["params"]:
                _init(p, self.state[p], group["initial_accumulator_value"])

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            initial = group["initial_accumulator_value"]
            for xp, p, g, state in self._grads(group, lambda p, s: _init(p, s, initial)):
                step = advance(state["step"])
                g = effective_grad(p, g, group["weight_decay"], group["maximize"])
                total = state["sum"]._data
                scratch = xp.multiply(g, g, out=xp.empty_like(p))
                total += scratch
                std = xp.sqrt(total, out=scratch)
                std += group["eps"]
                update = xp.divide(g, std, out=std)
                update *= -lr / (1.0 + (step - 1.0) * group["lr_decay"])
                p += update
        return loss


def _init(p, state, initial: float) -> None:
    state["step"] = scalar_tensor(0.0)
    state["sum"] = full_like(p, initial)
