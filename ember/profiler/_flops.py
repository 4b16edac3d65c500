"""Floating-point operation counts for ``with_flops``, from an op's input shapes.

Only the matrix products are counted (as PyTorch counts its matmul family); other ops
report none.
"""
from __future__ import annotations

import math


def _matmul(a: list, b: list) -> int:
    if not a or not b:
        return 0
    m = a[-2] if len(a) > 1 else 1
    n = b[-1] if len(b) > 1 else 1
    batch_a, batch_b = a[:-2], b[:-2]
    width = max(len(batch_a), len(batch_b))
    batch_a = [1] * (width - len(batch_a)) + list(batch_a)
    batch_b = [1] * (width - len(batch_b)) + list(batch_b)
    batch = math.prod(max(x, y) for x, y in zip(batch_a, batch_b))
    return 2 * batch * m * n * a[-1]


def flops_of(name: str, shapes: list) -> int:
    """The FLOPs of op ``name`` called with inputs of ``shapes`` (0 when not counted)."""
    if name in ("matmul", "mm", "bmm") and len(shapes) >= 2:
        return _matmul(shapes[0], shapes[1])
    if name == "addmm" and len(shapes) >= 3:
        return _matmul(shapes[1], shapes[2])
    return 0
