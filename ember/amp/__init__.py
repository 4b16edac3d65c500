"""Automatic mixed precision (`ember.amp`): `autocast` regions and the loss `GradScaler`.

>>> scaler = ember.amp.GradScaler("cpu")
>>> with ember.autocast("cpu"):
...     loss = loss_fn(model(x), y)
>>> scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
"""
from .autocast_mode import (autocast, is_autocast_available, is_autocast_enabled,
                            get_autocast_dtype, set_autocast_enabled, set_autocast_dtype,
                            custom_fwd, custom_bwd)
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_available", "custom_fwd", "custom_bwd"]
