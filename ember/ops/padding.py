"""Constant padding of the last dims (`constant_pad_nd`); negative amounts crop.

Its derivative is the same op with the amounts negated (padding's adjoint is cropping, and
cropping's is padding with zeros), so derivatives of any order come from this one op.
"""
from __future__ import annotations

from ._op import op
from .pointwise import in_type


def pad_pairs(pad, ndim: int) -> list:
    """``pad`` = (last_lo, last_hi, prev_lo, prev_hi, ...) as (lo, hi) per dim, first dim
    first, with PyTorch's checks of its length."""
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {ndim}")
    pairs = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        pairs[ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return pairs


@op(method=False)
def constant_pad_nd(xp, input, pad, value=0):
    """``input`` with ``pad[2i]``/``pad[2i+1]`` entries of ``value`` before/after its
    ``i``-th dim from the end; negative amounts remove entries instead.

    >>> ember.constant_pad_nd(ember.ones(2), (1, -1))
    tensor([0., 1.])
    """
    pairs = pad_pairs(pad, input.ndim)
    shape, src, dst = [], [], []
    for d, (n, (lo, hi)) in enumerate(zip(input.shape, pairs)):
        size = n + lo + hi
        if size < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {lo} and {hi} "
                               f"resulted in a negative output size, which is invalid. Check "
                               f"dimension {d} of your input.")
        shape.append(size)
        kept = n - max(-lo, 0) - max(-hi, 0)
        src.append(slice(max(-lo, 0), max(-lo, 0) + kept))
        dst.append(slice(max(lo, 0), max(lo, 0) + kept))
    if any(s.stop < s.start for s in src):  # PyTorch narrows the input before padding it
        raise RuntimeError("narrow(): length must be non-negative.")
    out = xp.full(shape, in_type(value, input.dtype), dtype=input.dtype)  # -1 wraps in uint8
    out[tuple(dst)] = input[tuple(src)]
    return out


@constant_pad_nd.derivative
def constant_pad_nd(ctx, grad, pad, value=0):
    return constant_pad_nd.fn(grad, tuple(-p for p in pad))


@constant_pad_nd.onnx
def constant_pad_nd(g, input, pad, value=0):
    # PyTorch lists (begin, end) pairs from the last dim backwards; ONNX all begins, then ends.
    rank = g.rank(input)
    begins, ends = [0] * rank, [0] * rank
    for i in range(len(pad) // 2):
        begins[rank - 1 - i], ends[rank - 1 - i] = pad[2 * i], pad[2 * i + 1]
    return g.op("Pad", input, g.ints(begins + ends), g.scalar(value, input), mode="constant")
