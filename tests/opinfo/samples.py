"""Sample-input generators shared by the family modules."""
from __future__ import annotations

import numpy as np

from . import Sample

SHAPES = [(), (5,), (3, 4), (2, 3, 4)]
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)),
                   ((5, 1), (1, 6))]


def randn(rng, shape, dtype, low=None, high=None):
    if low is not None:
        return rng.uniform(low, high, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def unary(low=None, high=None):
    """Samples for a one-input elementwise op; ``low``/``high`` bound its domain."""
    def samples(rng, dtype):
        return [Sample((randn(rng, s, dtype, low, high),)) for s in SHAPES]
    return samples


def binary(low=None, high=None, scalars=(2.5, -3)):
    """Broadcasting pairs plus tensor-scalar and scalar-tensor samples."""
    def samples(rng, dtype):
        out = [Sample((randn(rng, a, dtype, low, high), randn(rng, b, dtype, low, high)))
               for a, b in BROADCAST_PAIRS]
        for s in scalars:
            out.append(Sample((randn(rng, (3, 4), dtype, low, high), s)))
        return out
    return samples


def shaped(*cases):
    """Samples from ``(shape, *args)`` cases: a random tensor of ``shape``, then ``args``;
    a ``dict`` as the last element of a case holds keyword arguments."""
    def samples(rng, dtype):
        out = []
        for shape, *args in cases:
            kwargs = args.pop() if args and isinstance(args[-1], dict) else {}
            out.append(Sample((randn(rng, shape, dtype), *args), kwargs))
        return out
    return samples
