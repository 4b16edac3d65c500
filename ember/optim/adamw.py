"""AdamW: Adam with decoupled weight decay."""
from __future__ import annotations

from .adam import Adam


class AdamW(Adam):
    """Adam whose weight decay shrinks the parameters directly (``p *= 1 - lr * wd``)
    instead of entering the gradient (Loshchilov & Hutter).

    >>> model = nn.Linear(4, 1)
    >>> opt = ember.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    >>> model(ember.ones(2, 4)).square().sum().backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
