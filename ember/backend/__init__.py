"""Backends: one module per device kind, all with the same small interface.

A backend hands out its array module (`xp`, NumPy or CuPy) and the few things the array
API lacks: moving arrays to and from the host and making random-number streams. Ops never
name NumPy directly; they receive `xp` from here, so one op body serves every device.
"""
from __future__ import annotations

import numpy as np

from .._device import CPU, as_device, device
from . import cpu


class CudaUnavailable(ImportError, AssertionError):
    """No CuPy on this machine. An ImportError that names the extra to install, and also the
    AssertionError PyTorch raises for CUDA tensors in a build without CUDA, so that either
    ``except`` clause a program has written catches it."""


def for_device(d: device):
    """The backend module serving device ``d``."""
    if d.type == "cpu":
        return cpu
    if d.type == "cuda":
        from . import cuda
        return cuda
    raise RuntimeError(f"no backend for device {d}")


def device_of(array) -> device:
    """The device an array lives on."""
    if type(array) is np.ndarray:
        return CPU
    from . import cuda
    return cuda.device_of(array)


def xp_of(array):
    """The array module (NumPy or CuPy) that works on ``array``."""
    return np if type(array) is np.ndarray else for_device(device_of(array)).xp


def to_device(array, d):
    """Copy ``array`` to device ``d`` (no copy if it is already there)."""
    d = as_device(d)
    src = device_of(array)
    if src == d:
        return array
    host = array if src is CPU else for_device(src).to_host(array)
    return host if d is CPU else for_device(d).from_host(host, d)
