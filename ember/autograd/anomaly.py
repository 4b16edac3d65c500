"""Anomaly detection: find the forward op whose backward produced NaN.

When enabled, each recorded node keeps the Python stack of the forward call that made it,
and the engine checks every gradient a node returns; the error names the node and shows
where its forward ran.
"""
from __future__ import annotations

import traceback

_enabled = [False]


def enabled() -> bool:
    return _enabled[0]


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on.

    >>> x = ember.zeros(1, requires_grad=True)
    >>> with ember.autograd.detect_anomaly():
    ...     (x * 0).sqrt().sum().backward()   # d sqrt(0) = inf, times 0: NaN
    Traceback (most recent call last):
    RuntimeError: Function 'MulBackward0' returned nan values in its 0th output.
    The forward call that created it: ...
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self.check_nan

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapped


class set_detect_anomaly(detect_anomaly):
    """Turn anomaly detection on or off, as a call or a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = _enabled[0]
        self.check_nan = mode and check_nan
        _enabled[0] = self.check_nan

    def __enter__(self):
        pass


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (`detect_anomaly`, `set_detect_anomaly`): backward
    passes then check every gradient for NaN and name the forward operation that made it.
    ``ember.is_anomaly_enabled`` is the same function.

    >>> with ember.autograd.detect_anomaly():
    ...     print(ember.autograd.is_anomaly_enabled())
    True
    """
    return _enabled[0]


def record_stack(node) -> None:
    node.metadata = {"traceback_": traceback.format_stack()[:-3]}


def check_grads(node, grad_inputs) -> None:
    for i, g in enumerate(grad_inputs):
        if g is None:
            continue
        xp = g._xp
        if xp.isnan(g._data).any():
            stack = "".join((node.metadata or {}).get("traceback_", ["(stack not recorded)\n"]))
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                f"The forward call that created it:\n{stack}")
