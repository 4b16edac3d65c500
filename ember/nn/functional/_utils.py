"""Argument normalization shared by the functional layers."""
from __future__ import annotations


def ntuple(value, n: int, name: str, fn: str) -> tuple:
    """``value`` as an n-tuple of ints (an int repeats; a sequence must have length n)."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"{fn}(): expected {name} to be a single integer or a sequence of "
                         f"{n} integers, got {list(value)}")
    return tuple(int(v) for v in value)


def batched(x, spatial: int, fn: str):
    """Add the batch dim to an unbatched input; returns (input, whether it was added)."""
    if x.dim() == spatial + 1:
        return x.unsqueeze(0), True
    if x.dim() != spatial + 2:
        raise RuntimeError(f"{fn}(): Expected {spatial + 1}D (unbatched) or {spatial + 2}D "
                           f"(batched) input, but got input of size: {list(x.shape)}")
    return x, False
