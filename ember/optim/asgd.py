"""ASGD: SGD with weight decay toward zero and a running (Polyak) average of the iterates."""
from __future__ import annotations

from .._creation import ones
from .optimizer import (Optimizer, advance, check, effective_grad, scalar, scalar_tensor,
                        zeros_state)


class ASGD(Optimizer):
    """``p = p (1 - lambd eta) - eta g``; ``eta = lr / (1 + lambd lr t)^alpha``; after step
    ``t0`` the state's ``ax`` averages the iterates (Polyak and Juditsky).

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.ASGD(model.parameters(), lr=1e-2, t0=100)
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach=None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        check(scalar(lr) >= 0.0, "learning rate", lr)
        check(weight_decay >= 0.0, "weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]

            def init(p, state):
                state["step"] = scalar_tensor(0.0)
                state["eta"] = scalar_tensor(lr)
                state["mu"] = ones((), dtype=state["step"].dtype)
                state["ax"] = zeros_state(p)

            for xp, p, g, state in self._grads(group, init):
                t = advance(state["step"])
                g = effective_grad(p, g, group["weight_decay"], group["maximize"])
                eta = state["eta"]._data
                mu = state["mu"]._data
                p *= 1 - lambd * float(eta)
                p -= float(eta) * g
                ax = state["ax"]._data
                if float(mu) != 1:
                    ax += (p - ax) * mu.astype(ax.dtype)
                else:
                    xp.copyto(ax, p)
                # eta and mu are stored in the state's (float32) precision, as in PyTorch
                eta[...] = lr / (1 + lambd * lr * t) ** alpha
                mu[...] = 1 / max(1, t - t0)
        return loss
