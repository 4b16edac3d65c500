"""`GradScaler`: scales the loss so that low-precision gradients don't underflow, and skips
optimizer steps whose gradients overflowed."""
from __future__ import annotations

import math
import warnings
from enum import Enum

import numpy as np

from .._tensor import Tensor

__all__ = ["GradScaler"]


class _Stage(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


class GradScaler:
    """Dynamic loss scaling: ``scale(loss).backward()``, ``step(optimizer)``, ``update()``.

    A step whose gradients hold inf/nan is skipped and the scale shrinks by
    ``backoff_factor``; after ``growth_interval`` clean steps it grows by ``growth_factor``.

    >>> model = nn.Linear(4, 1); opt = ember.optim.SGD(model.parameters(), lr=0.1)
    >>> scaler = ember.amp.GradScaler("cpu")
    >>> loss = model(ember.ones(2, 4)).sum()
    >>> scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
    >>> scaler.get_scale()
    65536.0
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        self._device = str(device)
        self._enabled = enabled
        if enabled and self._device == "cuda":
            from .. import cuda
            if not cuda.is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not "
                              "available.  Disabling.")
                self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise ValueError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise ValueError("The backoff factor must be < 1.0.")
        self._init_scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._scale: float | None = None  # set lazily, at the first scale()
        self._growth_tracker = 0
        self._reset()

    def _reset(self) -> None:
        self._stages: dict[int, _Stage] = {}
        self._found_inf: dict[int, bool] = {}

    # -- scaling ---------------------------------------------------------------------------
    def scale(self, outputs):
        """``outputs`` (a tensor or nested sequence of tensors) times the current scale."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = self._init_scale
        if isinstance(outputs, Tensor):
            return outputs * np.float32(self._scale).item()
        if isinstance(outputs, (list, tuple)):
            scaled = [self.scale(o) for o in outputs]
            return scaled if isinstance(outputs, list) else type(outputs)(scaled)
        if hasattr(outputs, "__iter__"):
            return map(self.scale, outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale in place (once per step), noting
        whether any of them is inf or nan."""
        if not self._enabled:
            return
        stage = self._stages.get(id(optimizer), _Stage.READY)
        if stage is _Stage.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since "
                               "the last update().")
        if stage is _Stage.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        self._check_scale("unscale_")
        inv_scale = np.float32(1.0 / np.float64(np.float32(self._scale)))
        found_inf = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if g.dtype.name == "float16":
                    raise ValueError("Attempting to unscale FP16 gradients.")
                data = g._data
                found_inf = found_inf or not bool(np.isfinite(data).all())
                data *= inv_scale.astype(data.dtype)
                g._vc[0] += 1
        self._found_inf[id(optimizer)] = found_inf
        self._stages[id(optimizer)] = _Stage.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale the gradients (unless `unscale_` did) and run ``optimizer.step`` unless
        they hold an inf or nan; returns what the step returned (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        self._check_scale("step")
        stage = self._stages.get(id(optimizer), _Stage.READY)
        if stage is _Stage.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if stage is _Stage.READY:
            self.unscale_(optimizer)
        result = None
        if not self._found_inf[id(optimizer)]:
            result = optimizer.step(*args, **kwargs)
        self._stages[id(optimizer)] = _Stage.STEPPED
        return result

    def update(self, new_scale=None) -> None:
        """Shrink the scale after an overflow, grow it after ``growth_interval`` clean steps;
        or set it to ``new_scale`` (a float or a one-element float32 tensor)."""
        if not self._enabled:
            return
        self._check_scale("update")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale.dtype.name != "float32":
                    raise AssertionError("new_scale should be a float or a 1-element "
                                         "torch.cuda.FloatTensor or torch.FloatTensor with "
                                         "requires_grad=False.")
                new_scale = new_scale.item()
            self._scale = float(np.float32(new_scale))
        else:
            if not self._found_inf:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(self._found_inf.values()):
                self._scale = float(np.float32(self._scale) * np.float32(self._backoff_factor))
                self._growth_tracker = 0
            elif self._growth_tracker + 1 == self._growth_interval:
                grown = float(np.float32(self._scale) * np.float32(self._growth_factor))
                if math.isfinite(grown):  # PyTorch never grows the scale into inf
                    self._scale = grown
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
        self._reset()

    def _check_scale(self, fn: str) -> None:
        if self._scale is None:
            raise AssertionError(f"Attempted {fn} but _scale is None.  This may indicate "
                                 f"your script did not use scaler.scale(loss or outputs) "
                                 f"earlier in the iteration.")

    # -- settings and state ----------------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale (``init_scale`` before the first `scale`; 1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def get_growth_factor(self) -> float:
        """The factor the scale is multiplied by after ``growth_interval`` finite steps."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Set the factor the scale grows by (``growth_factor``, default 2.0)."""
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        """The factor the scale is multiplied by when a step finds inf or NaN gradients."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Set the factor the scale shrinks by (``backoff_factor``, default 0.5)."""
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        """How many consecutive steps without inf or NaN gradients grow the scale."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Set how many clean steps grow the scale (``growth_interval``, default 2000)."""
        self._growth_interval = int(new_interval)

    def is_enabled(self) -> bool:
        """Whether scaling is on (a disabled scaler passes everything through)."""
        return self._enabled

    def state_dict(self) -> dict:
        """The scale and its schedule (empty when disabled)."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what `state_dict` returned."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale = self._init_scale
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
