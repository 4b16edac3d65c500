"""Turning what users log (ember tensors, NumPy arrays, Python numbers) into NumPy."""
from __future__ import annotations

import numpy as np

from ..._tensor import Tensor


def to_numpy(value) -> np.ndarray:
    """``value`` as a NumPy array on the host, detached from autograd."""
    if isinstance(value, Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value
    array = np.asarray(value)
    if array.dtype == object:
        raise NotImplementedError(f"Got {type(value).__name__}, but a tensor, a NumPy array "
                                  "or numbers are expected")
    return array


def to_float(value, what: str) -> float:
    """A scalar (one-element tensor or array, or number) as a Python float."""
    array = to_numpy(value)
    if array.size != 1:
        raise ValueError(f"{what}: expected a scalar value, got one of shape {array.shape}")
    try:
        return float(array.reshape(()))
    except (TypeError, ValueError):
        raise ValueError(f"{what}: expected a number, got {value!r}") from None
