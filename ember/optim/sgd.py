"""Stochastic gradient descent, with momentum, dampening and Nesterov momentum."""
from __future__ import annotations

import numpy as np

from .._tensor import wrap
from ..kernels import optim as kernels
from .optimizer import Optimizer, check, effective_grad, scalar


class SGD(Optimizer):
    """``p -= lr * g``; with momentum ``buf = momentum * buf + (1 - dampening) * g`` and the
    step follows ``buf`` (or ``g + momentum * buf`` with ``nesterov``).

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> opt.zero_grad(); model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None):
        check(scalar(lr) >= 0.0, "learning rate", lr)
        check(momentum >= 0.0, "momentum value", momentum)
        check(weight_decay >= 0.0, "weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = scalar(group["lr"])
            momentum = group["momentum"]
            keep = 1.0 - group["dampening"]
            for xp, p, g, state in self._grads(group, _no_state if momentum else None):
                if xp is np:
                    _sgd_kernel(p, g, state, group, lr, momentum, keep)
                    continue
                g = effective_grad(p, g, group["weight_decay"], group["maximize"])
                if momentum:
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        # the first step starts the buffer at the gradient, undamped
                        buf = state["momentum_buffer"] = wrap(g.copy())
                        buf = buf._data
                    else:
                        buf = buf._data
                        buf *= momentum
                        buf += g if keep == 1.0 else keep * g
                    g = g + momentum * buf if group["nesterov"] else buf
                p -= lr * g
        return loss


def _no_state(p, state) -> None:
    pass


# What the kernel gets as the momentum buffer when there is none (it is not read then).
_NO_BUFFER: dict = {}


def _sgd_kernel(p, g, state, group, lr, momentum, keep) -> None:
    """The update of one CPU parameter, in one compiled pass (`ember.kernels.optim`)."""
    first = False
    buf = _NO_BUFFER.get(p.dtype)
    if buf is None:
        buf = _NO_BUFFER[p.dtype] = np.empty(0, p.dtype)
    if momentum:
        buf = state.get("momentum_buffer")
        first = buf is None
        if first:
            buf = state["momentum_buffer"] = wrap(np.empty_like(p))
        buf = buf._data
    t = p.dtype.type
    kernels.update(kernels.sgd_step, p, g, buf, t(lr), t(group["weight_decay"]), t(momentum),
                   t(keep), bool(group["nesterov"]), bool(group["maximize"]), first)
