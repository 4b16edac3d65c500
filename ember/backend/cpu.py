"""The CPU backend: NumPy arrays."""
from __future__ import annotations

import numpy as np

xp = np


def to_host(array):
    return array


def from_host(array, device=None):
    return array


def generator(seed: int):
    """A random stream for this device (Philox: counter-based, splittable, reproducible)."""
    return np.random.Generator(np.random.Philox(seed))
