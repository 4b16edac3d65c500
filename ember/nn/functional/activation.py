"""Activation functions."""
from __future__ import annotations

from ...ops import TABLE

__all__ = ["relu"]

_relu = TABLE["relu"].fn


def relu(input, inplace: bool = False):
    """``max(input, 0)`` elementwise."""
    return input.relu_() if inplace else _relu(input)
