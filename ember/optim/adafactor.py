"""Adafactor: Adam-like steps whose second moment of a matrix is stored factored, as a row
and a column of running means (Shazeer and Stern)."""
from __future__ import annotations

import numpy as np

from .adam import lerp_
from .optimizer import Optimizer, advance, scalar, scalar_tensor, zeros_state
from .._creation import zeros


class Adafactor(Optimizer):
    """``v ≈ row ⊗ col / mean(row)`` for matrices (the full ``v`` for vectors), decayed with
    ``1 - beta2_t = t^beta2_decay``; the step ``g / sqrt(v)`` is clipped to RMS ``d`` and
    scaled by ``max(eps2, RMS(p)) · min(lr, 1/sqrt(t))``.

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.Adafactor(model.parameters(), lr=1e-2)
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach=None, maximize: bool = False):
        if not 0.0 <= scalar(lr):
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            eps1, eps2 = group["eps"]
            for xp, p, g, state in self._grads(group, _init):
                if eps1 is None:  # PyTorch takes it from the group's first parameter
                    eps1 = float(np.finfo(p.dtype).eps)
                t = advance(state["step"])
                if group["maximize"]:
                    g = -g
                forget = t ** group["beta2_decay"]
                rho = min(lr, 1 / t ** 0.5)
                alpha = max(eps2, float(xp.linalg.norm(p.ravel())) / p.size ** 0.5) * rho
                if group["weight_decay"]:
                    p *= 1 - lr * group["weight_decay"]
                if g.ndim > 1:
                    row = state["row_var"]._data
                    col = state["col_var"]._data
                    square = g * g
                    lerp_(xp, row, square.mean(axis=-1, keepdims=True), forget,
                          xp.empty_like(row))
                    lerp_(xp, col, square.mean(axis=-2, keepdims=True), forget,
                          xp.empty_like(col))
                    v = xp.matmul(row, col)
                    v /= xp.maximum(row.mean(axis=-2, keepdims=True), eps1)
                else:
                    v = state["variance"]._data
                    lerp_(xp, v, g * g, forget, xp.empty_like(v))
                    v = v.copy()
                update = xp.maximum(v, eps1 * eps1, out=v)
                xp.sqrt(update, out=update)
                xp.divide(g, update, out=update)
                rms = float(xp.linalg.norm(update.ravel())) / (update.size ** 0.5 * group["d"])
                p -= (alpha / max(1.0, rms)) * update
        return loss


def _init(p, state) -> None:
    state["step"] = scalar_tensor(0.0)
    if p.ndim > 1:
        state["row_var"] = zeros(p.shape[:-1] + (1,), dtype=p.dtype)
        state["col_var"] = zeros(p.shape[:-2] + (1, p.shape[-1]), dtype=p.dtype)
    else:
        state["variance"] = zeros_state(p)
