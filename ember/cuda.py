"""`ember.cuda`: whether NVIDIA GPUs are usable (through CuPy), and their seeds.

Everything answers sensibly on a machine without CuPy or a GPU: `is_available()` is False and
`device_count()` is 0, so ``'cuda' if ember.cuda.is_available() else 'cpu'`` works anywhere.
"""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=None)
def device_count() -> int:
    """The number of GPUs CuPy can see (0 without CuPy or a driver)."""
    try:
        import cupy
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001 - no CuPy, no driver, no device: all mean "none"
        return 0


def is_available() -> bool:
    """Whether CUDA tensors can be made here.

    >>> device = 'cuda' if ember.cuda.is_available() else 'cpu'
    """
    return device_count() > 0


def _require() -> None:
    if not is_available():
        raise RuntimeError("CUDA is not available: ember needs CuPy and an NVIDIA GPU for "
                           "'cuda' tensors (pip install 'ember[cuda]')")


def current_device() -> int:
    _require()
    import cupy
    return int(cupy.cuda.Device().id)


def set_device(device) -> None:
    _require()
    import cupy
    from ._device import as_device
    index = device if isinstance(device, int) else as_device(device).index or 0
    cupy.cuda.Device(index).use()


def synchronize(device=None) -> None:
    """Wait for all queued GPU work to finish."""
    _require()
    import cupy
    cupy.cuda.Device().synchronize()


def empty_cache() -> None:
    """Hand cached, unused GPU memory back to the driver."""
    if is_available():
        import cupy
        cupy.get_default_memory_pool().free_all_blocks()


def manual_seed(seed: int) -> None:
    """Seed the current GPU's default generator (a no-op without GPUs, as in PyTorch)."""
    if is_available():
        from .random import generator_for
        generator_for(f"cuda:{current_device()}").manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's default generator."""
    from .random import generator_for
    for index in range(device_count()):
        generator_for(f"cuda:{index}").manual_seed(seed)
