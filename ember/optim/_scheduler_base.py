"""The base of the learning-rate schedulers: `LRScheduler` and the helpers they share."""
from __future__ import annotations

import warnings
from typing import Any

from .._tensor import Tensor
from .optimizer import Optimizer


def _lrs(optimizer: Optimizer) -> list:
    return [g["lr"].clone() if isinstance(g["lr"], Tensor) else g["lr"]
            for g in optimizer.param_groups]


def _set(group: dict, key: str, value) -> None:
    if isinstance(group[key], Tensor):
        group[key].fill_(float(value))
    else:
        group[key] = value


def _per_group(name: str, optimizer: Optimizer, value) -> list:
    """``value`` once per parameter group (a list must already have one per group)."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has "
                             f"{len(optimizer.param_groups)}.")
        return list(value)
    return [value] * len(optimizer.param_groups)


def _check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


class LRScheduler:
    """Base class: subclasses define `get_lr` (the rates after ``last_epoch`` moved by one).

    >>> opt = ember.optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    >>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    >>> rates = []
    >>> for epoch in range(4):
    ...     rates.append(sched.get_last_lr()[0]); opt.step(); sched.step()  # train, then step
    >>> [round(rate, 4) for rate in rates]
    [1.0, 1.0, 0.1, 0.1]
    """

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                lr = group["lr"]
                group.setdefault("initial_lr", lr.clone() if isinstance(lr, Tensor) else lr)
            elif "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                               "when resuming an optimizer")
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:
        """The learning rates for the current ``last_epoch``, one per parameter group: what
        each subclass defines and `step` applies. Read the rates in use with
        `get_last_lr` instead.
        """
        raise NotImplementedError

    def get_last_lr(self) -> list:
        """The learning rates the last `step` set, one per parameter group."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one (or jump to ``epoch``) and set the new rates."""
        self._step_count += 1
        if self._step_count == 2 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn("Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
                          "Call them in the opposite order: `optimizer.step()` before "
                          "`lr_scheduler.step()`, or the first value of the learning rate "
                          "schedule is skipped.", UserWarning, stacklevel=2)
        if epoch is not None:
            warnings.warn("The epoch parameter in `scheduler.step()` is deprecated; "
                          "call `scheduler.step()` instead.", UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form() if hasattr(self, "_closed_form") else self.get_lr()
        self._apply(values)

    def _apply(self, values) -> None:
        for group, lr in zip(self.optimizer.param_groups, values):
            _set(group, "lr", lr)
        self._last_lr = _lrs(self.optimizer)

    def _current(self) -> list:
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (plain values: save it with `ember.save`)."""
        return {k: v for k, v in self.__dict__.items() if k not in self._not_state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the schedule from what `state_dict` returned (the optimizer is not part
        of it: load that separately).

        >>> opt = ember.optim.SGD(ember.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        >>> opt.step(); sched.step(); saved = sched.state_dict()
        >>> again = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        >>> again.load_state_dict(saved); again.last_epoch
        1
        """
        self.__dict__.update(state_dict)

    _not_state = ("optimizer",)
