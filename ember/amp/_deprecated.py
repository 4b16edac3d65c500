"""``ember.cuda.amp`` and ``ember.cpu.amp``: PyTorch's older, device-bound spellings of
`autocast` and `GradScaler`, which warn and forward to `ember.amp`."""
from __future__ import annotations

import functools
import sys
import types
import warnings

from .autocast_mode import autocast as _autocast, custom_bwd, custom_fwd
from .grad_scaler import GradScaler as _GradScaler


def _device_autocast(device: str) -> type:
    class autocast(_autocast):
        __doc__ = f"Deprecated: ``ember.amp.autocast('{device}', ...)``."

        def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True):
            warnings.warn(f"`torch.{device}.amp.autocast(args...)` is deprecated. Please use "
                          f"`torch.amp.autocast('{device}', args...)` instead.", FutureWarning)
            super().__init__(device, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
    return autocast


class _CudaGradScaler(_GradScaler):
    """Deprecated: ``ember.amp.GradScaler('cuda', ...)``."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning)
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)


def install(parent: types.ModuleType, device: str) -> None:
    """Attach ``<parent>.amp`` (importable as ``ember.<device>.amp``)."""
    amp = types.ModuleType(f"{parent.__name__}.amp", __doc__)
    amp.autocast = _device_autocast(device)
    amp.autocast.__name__ = amp.autocast.__qualname__ = "autocast"
    amp.GradScaler = _CudaGradScaler if device == "cuda" else _GradScaler
    amp.GradScaler.__name__ = amp.GradScaler.__qualname__ = "GradScaler"
    if device == "cuda":  # the old spellings imply the device
        amp.custom_fwd = functools.partial(custom_fwd, device_type="cuda")
        amp.custom_bwd = functools.partial(custom_bwd, device_type="cuda")
    parent.amp = amp
    sys.modules[amp.__name__] = amp
