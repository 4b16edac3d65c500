"""The CUDA backend: CuPy arrays (the `ember[cuda]` extra)."""
from __future__ import annotations

from .._device import device
from . import CudaUnavailable

try:
    import cupy as xp
except ImportError as e:  # pragma: no cover - depends on the machine
    raise CudaUnavailable("CUDA tensors need CuPy: pip install 'ember[cuda]'") from e


def device_of(array) -> device:
    return device("cuda", array.device.id)


def to_host(array):
    return xp.asnumpy(array)


def from_host(array, d: device):
    with xp.cuda.Device(d.index or 0):
        return xp.asarray(array)


def generator(seed: int):
    return xp.random.default_rng(seed)
