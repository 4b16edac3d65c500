"""`autocast`: regions where matrix products and convolutions run in lower precision.

Inside an enabled region, the ops of `LOWER_PRECISION` get their floating operands cast to
the region's dtype (bfloat16 on the CPU by default), the ops of `FULL_PRECISION` get them
cast to float32, and every other op runs on the dtypes it is given, as in PyTorch.
"""
from __future__ import annotations

import functools
import threading
import warnings
from typing import Any, Callable

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor
from . import _hook

__all__ = ["autocast", "is_autocast_enabled", "get_autocast_dtype", "is_autocast_available",
           "set_autocast_enabled", "set_autocast_dtype", "custom_fwd", "custom_bwd",
           "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache"]

LOWER_PRECISION = frozenset({
    "mm", "matmul", "bmm", "addmm", "baddbmm", "addbmm", "linear", "conv", "conv_transpose",
    "prelu",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "scaled_dot_product_attention"})
FULL_PRECISION = frozenset({
    "prod", "cdist", "nll_loss", "cross_entropy_loss", "binary_cross_entropy", "kl_div",
    "ctc_loss", "smooth_l1_loss", "huber_loss", "mse_loss", "poisson_nll_loss",
    "multi_margin_loss", "multilabel_margin_loss", "soft_margin_loss", "margin_ranking_loss",
    "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
    "binary_cross_entropy_with_logits", "quantile", "nanquantile", "trace", "inverse",
    "cholesky", "cholesky_inverse", "cholesky_solve", "pinverse", "max_pool3d", "avg_pool3d",
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "max_unpool2d", "max_unpool3d"})

_DEFAULT_DTYPE = {"cpu": dt.bfloat16, "cuda": dt.float16}
_SUPPORTED = {"cpu": (dt.bfloat16, dt.float16), "cuda": (dt.bfloat16, dt.float16, dt.float32)}
_ELIGIBLE = frozenset(("float16", "bfloat16", "float32"))


class _ThreadState(threading.local):
    """Autocast settings are per thread, as in PyTorch: a region opened in one thread
    leaves the ops of the others alone."""

    def __init__(self):
        self.devices = {device: [False, dtype] for device, dtype in _DEFAULT_DTYPE.items()}
        self.cache: dict = {}   # cast copies of weights, while a region is open
        self.cache_on = True
        self.depth = 0


_LOCAL = _ThreadState()
_THREADS_ON: set = set()  # threads with autocast on: the dispatcher's hook stays while any


def _device_type(device_type: str | None) -> str:
    device_type = "cuda" if device_type is None else str(device_type)
    if device_type not in _DEFAULT_DTYPE:
        raise RuntimeError(f"User specified an unsupported autocast device_type "
                           f"'{device_type}'")
    return device_type


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast knows ``device_type`` ('cpu' and 'cuda')."""
    return device_type in _DEFAULT_DTYPE


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an enabled autocast region for ``device_type`` (default 'cuda') is open."""
    return _LOCAL.devices[_device_type(device_type)][0]


def get_autocast_dtype(device_type: str) -> dt.dtype:
    """The lower-precision dtype autocast uses on ``device_type``."""
    return _LOCAL.devices[_device_type(device_type)][1]


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    """Switch autocast for ``device_type`` on or off (`autocast` does this for a region)."""
    devices = _LOCAL.devices
    devices[_device_type(device_type)][0] = bool(enabled)
    if any(state[0] for state in devices.values()):
        _THREADS_ON.add(threading.get_ident())
    else:
        _THREADS_ON.discard(threading.get_ident())
    _hook.ACTIVE[:] = [_cast] if _THREADS_ON else []


def set_autocast_dtype(device_type: str, dtype: dt.dtype) -> None:
    """Set the lower-precision dtype autocast uses on ``device_type``."""
    _LOCAL.devices[_device_type(device_type)][1] = dtype


def is_autocast_cache_enabled() -> bool:
    """Whether autocast keeps the cast copies of weights for the rest of its region."""
    return _LOCAL.cache_on


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Turn on or off (for this thread) the cache of weights that `autocast` has cast to the
    lower precision, kept for the rest of its region so that each is cast once. On by
    default; `is_autocast_cache_enabled` reads it back.

    >>> ember.set_autocast_cache_enabled(False)
    >>> ember.is_autocast_cache_enabled()
    False
    >>> ember.set_autocast_cache_enabled(True)
    """
    _LOCAL.cache_on = bool(enabled)


def clear_autocast_cache() -> None:
    """Drop the cast copies of weights autocast keeps within a region."""
    _LOCAL.cache.clear()


def _cast(name: str, args: tuple) -> tuple:
    """The dispatcher's hook: ``args`` with floating tensors moved to op ``name``'s autocast
    dtype (unchanged for ops on neither list)."""
    lower = name in LOWER_PRECISION
    if not lower and name not in FULL_PRECISION:
        return args
    return tuple(_cast_one(a, lower) if isinstance(a, Tensor) else a for a in args)


def _cast_one(x: Tensor, lower: bool) -> Tensor:
    local = _LOCAL
    enabled, dtype = local.devices["cpu" if type(x._data) is np.ndarray else "cuda"]
    if not enabled or x.dtype.name not in _ELIGIBLE:
        return x
    target = dtype if lower else dt.float32
    if x.dtype is target:
        return x
    cacheable = local.cache_on and x._requires_grad and x.is_leaf  # weights: cast once
    if cacheable:
        hit = local.cache.get((id(x), target))
        if hit is not None and hit[0] is x and hit[2] == x._version:
            return hit[1]
    y = x.to(target)
    if cacheable:
        local.cache[(id(x), target)] = (x, y, x._version)
    return y


class autocast:
    """A region (context manager or decorator) where chosen ops run in lower precision.

    >>> with ember.autocast("cpu"):
    ...     y = nn.Linear(4, 2)(ember.ones(1, 4))   # linear layers compute in bfloat16
    >>> y.dtype
    ember.bfloat16
    """

    def __init__(self, device_type: str, dtype: dt.dtype | None = None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = _device_type(device_type)
        self.fast_dtype = _DEFAULT_DTYPE[self.device] if dtype is None else dtype
        self._enabled = bool(enabled)
        self._cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        if self._enabled and self.device == "cuda":
            from .. import cuda
            if not cuda.is_available():
                warnings.warn("User provided device_type of 'cuda', but CUDA is not available. "
                              "Disabling")
                self._enabled = False
        if self._enabled and self.fast_dtype not in _SUPPORTED[self.device]:
            names = ", ".join(f"torch.{d.name}" for d in _SUPPORTED[self.device])
            warnings.warn(f"In {self.device.upper()} autocast, but the target dtype is not "
                          f"supported. Disabling autocast.\n{self.device.upper()} Autocast "
                          f"only supports dtypes of {names} currently.")
            self._enabled = False
        self._saved: list = []

    def __enter__(self) -> "autocast":
        local = _LOCAL
        state = local.devices[self.device]
        self._saved.append((state[0], state[1], local.cache_on))
        set_autocast_dtype(self.device, self.fast_dtype)
        set_autocast_enabled(self.device, self._enabled)
        local.cache_on = self._cache_enabled
        local.depth += 1
        return self

    def __exit__(self, *exc: Any) -> bool:
        enabled, dtype, cache_on = self._saved.pop()
        local = _LOCAL
        local.depth -= 1
        if local.depth == 0:  # PyTorch frees the cast weights when the outermost region ends
            local.cache.clear()
        local.cache_on = cache_on
        set_autocast_dtype(self.device, dtype)
        set_autocast_enabled(self.device, enabled)
        return False

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def autocast_region(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)
        return autocast_region


def custom_fwd(fwd: Callable | None = None, *, device_type: str,
               cast_inputs: dt.dtype | None = None) -> Callable:
    """Decorate a custom `Function`'s forward: inside an enabled autocast region it runs
    with ``cast_inputs`` (its floating tensor arguments cast, autocast off), or, without
    ``cast_inputs``, under the region's settings, which `custom_bwd` then replays."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def forward(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        enabled = is_autocast_enabled(device_type)
        if cast_inputs is None or not enabled:
            ctx._fwd_used_autocast = enabled
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        cast = [a.to(cast_inputs) if isinstance(a, Tensor) and a.is_floating_point() else a
                for a in args[1:]]
        with autocast(device_type, enabled=False):
            return fwd(ctx, *cast, **kwargs)
    return forward


def custom_bwd(bwd: Callable | None = None, *, device_type: str) -> Callable:
    """Decorate a custom `Function`'s backward to run with its forward's autocast state."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def backward(ctx, *grads):
        with autocast(device_type, ctx._dtype, ctx._fwd_used_autocast):
            return bwd(ctx, *grads)
    return backward
