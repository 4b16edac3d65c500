"""Whether operations record a graph for autograd: `no_grad`, `enable_grad`, and friends.

The flag is per thread, as in PyTorch. Each manager works as a context manager and as a
decorator.
"""
from __future__ import annotations

import functools
import threading


class _State(threading.local):
    grad_enabled = True
    inference = False


STATE = _State()


def is_grad_enabled() -> bool:
    """Whether operations on this thread record a graph for autograd: True unless inside
    `no_grad`, `inference_mode` or ``set_grad_enabled(False)``. ``ember.is_grad_enabled`` is
    the same function.

    >>> with ember.no_grad():
    ...     print(ember.is_grad_enabled())
    False
    """
    return STATE.grad_enabled


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside `inference_mode` (with its default, True).
    ``ember.is_inference_mode_enabled`` is the same function.

    >>> with ember.inference_mode():
    ...     print(ember.is_inference_mode_enabled())
    True
    """
    return STATE.inference


class _GradModeContext:
    """Base for the managers: set a mode on entry, restore the previous one on exit."""

    _enabled = True

    def __enter__(self):
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self._enabled

    def __exit__(self, *exc):
        STATE.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapped

    def clone(self):
        """A new manager of the same kind and mode (what the decorator form uses per call)."""
        return type(self)()


class no_grad(_GradModeContext):
    """Run without recording operations for autograd.

    >>> x = ember.ones(2, requires_grad=True)
    >>> with ember.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _enabled = False


class enable_grad(_GradModeContext):
    """Record operations again inside a `no_grad` region."""

    _enabled = True


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off: as a function call, a context manager or a decorator."""

    def __init__(self, mode: bool):
        self._prev = STATE.grad_enabled
        self._enabled = bool(mode)
        STATE.grad_enabled = self._enabled

    def __enter__(self):
        pass

    def clone(self):
        """A new `set_grad_enabled` with the same mode."""
        return set_grad_enabled(self._enabled)

    def __call__(self, fn):
        STATE.grad_enabled = self._prev  # used as a decorator: undo the eager switch
        mode = self._enabled

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapped


class inference_mode(_GradModeContext):
    """Like `no_grad`, for code that will never need gradients of what it makes."""

    def __init__(self, mode: bool = True):
        self.mode = mode

    def __enter__(self):
        self._prev = STATE.grad_enabled
        self._prev_inf = STATE.inference
        if self.mode:
            STATE.grad_enabled = False
            STATE.inference = True

    def __exit__(self, *exc):
        STATE.grad_enabled = self._prev
        STATE.inference = self._prev_inf
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapped

    def clone(self):
        """A new `inference_mode` with the same mode."""
        return inference_mode(self.mode)
