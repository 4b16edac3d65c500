"""Process-wide switches PyTorch programs set: determinism, matmul precision, warnings,
the default device, denormals.

Ember's CPU kernels are NumPy's: already deterministic, always full float32 precision, on
the CPU. Most switches are therefore recorded and reported back, changing no result; each
one validates its argument as PyTorch does.
"""
from __future__ import annotations

import warnings

from ._device import CPU, as_device
from .autograd import anomaly

_state = {"deterministic": False, "warn_only": False, "matmul_precision": "highest",
          "warn_always": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (Ember's are: the flag is recorded).

    >>> ember.use_deterministic_algorithms(True); ember.are_deterministic_algorithms_enabled()
    True
    >>> ember.use_deterministic_algorithms(False)
    """
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' must be bool, not "
                        f"{type(mode).__name__}")
    _state["deterministic"] = mode
    _state["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """Whether `use_deterministic_algorithms` was last turned on (False by default). The
    flag changes no result in Ember, whose kernels are deterministic anyway.

    >>> ember.use_deterministic_algorithms(True)
    >>> ember.are_deterministic_algorithms_enabled()
    True
    >>> ember.use_deterministic_algorithms(False)
    """
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether `use_deterministic_algorithms` was last given ``warn_only=True`` (False by
    default).

    >>> ember.use_deterministic_algorithms(True, warn_only=True)
    >>> ember.is_deterministic_algorithms_warn_only_enabled()
    True
    >>> ember.use_deterministic_algorithms(False)
    """
    return _state["warn_only"]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode: str | int) -> None:
    """``'default'``/0: off; ``'warn'``/1: deterministic, warn only; ``'error'``/2: on."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, "
                               f"`warn`, `error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode).__name__}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """The determinism setting as `set_deterministic_debug_mode` numbers it: 0 off, 1
    deterministic with warnings only, 2 deterministic.

    >>> ember.set_deterministic_debug_mode("warn")
    >>> ember.get_deterministic_debug_mode()
    1
    >>> ember.set_deterministic_debug_mode(0)
    """
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """Record 'highest', 'high' or 'medium' (Ember always multiplies in full float32)."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the "
                      f"current set_float32_matmul_precision call has no effect.", UserWarning,
                      stacklevel=2)
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """The precision `set_float32_matmul_precision` recorded: ``'highest'`` (the default),
    ``'high'`` or ``'medium'``. Ember multiplies float32 in full precision whatever it says.

    >>> ember.get_float32_matmul_precision()
    'highest'
    """
    return _state["matmul_precision"]


def set_warn_always(b: bool) -> None:
    """Repeat warnings PyTorch normally gives once (recorded)."""
    _state["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    """Whether `set_warn_always` was last turned on (False by default).

    >>> ember.is_warn_always_enabled()
    False
    """
    return _state["warn_always"]


def set_flush_denormal(mode: bool) -> bool:
    """Whether the requested denormal mode is in effect: NumPy can't flush denormals to
    zero, so turning it on answers False (PyTorch answers False where unsupported too)."""
    return not mode


def set_default_device(device) -> None:
    """Set the device factories use by default; Ember supports only ``'cpu'`` here."""
    if device is not None and as_device(device).type != "cpu":
        raise RuntimeError(f"set_default_device: ember creates tensors on the CPU by default "
                           f"and can't change that to {as_device(device)}; pass "
                           f"device='{as_device(device)}' to factories or call .to() instead")


def get_default_device():
    """The device factories such as `zeros` use when given none: always the CPU in Ember
    (see `set_default_device`).

    >>> ember.get_default_device()
    device(type='cpu')
    """
    return CPU


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection on or off (see `ember.autograd.detect_anomaly`)."""
    anomaly._enabled[0] = bool(enabled and check_nan)


is_anomaly_enabled = anomaly.is_anomaly_enabled
