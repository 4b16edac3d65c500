"""Rprop: per-weight step sizes adapted by the sign agreement of successive gradients."""
from __future__ import annotations

from .._creation import full_like
from .optimizer import Optimizer, advance, check, scalar, scalar_tensor, zeros_state


class Rprop(Optimizer):
    """Each weight moves by its own step size against the gradient's sign; the step grows by
    ``etas[1]`` while the sign holds and shrinks by ``etas[0]`` when it flips (then that
    weight skips one move), clamped to ``step_sizes``.

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.Rprop(model.parameters(), lr=1e-2)
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach=None, maximize: bool = False, differentiable: bool = False):
        check(scalar(lr) >= 0.0, "learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            shrink, grow = group["etas"]
            smallest, largest = group["step_sizes"]
            lr = scalar(group["lr"])

            def init(p, state):
                state["step"] = scalar_tensor(0.0)
                state["prev"] = zeros_state(p)
                state["step_size"] = full_like(p, lr)

            for xp, p, g, state in self._grads(group, init):
                advance(state["step"])
                if group["maximize"]:
                    g = -g
                prev = state["prev"]._data
                size = state["step_size"]._data
                agreement = xp.multiply(g, prev)
                flipped = agreement < 0
                factor = xp.where(agreement > 0, grow, xp.where(flipped, shrink, 1.0))
                size *= factor.astype(size.dtype, copy=False)
                xp.clip(size, smallest, largest, out=size)
                xp.copyto(prev, g)
                prev[flipped] = 0  # a flipped weight waits a step, and forgets this gradient
                p -= xp.sign(prev) * size
        return loss
