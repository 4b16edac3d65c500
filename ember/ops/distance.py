"""Pairwise distances between the rows of two batches of matrices."""
from __future__ import annotations

import math

from ._op import op
from .shape import legacy_name


def _uses_mm(p: float, rows1: int, rows2: int, compute_mode) -> bool:
    # PyTorch's choice: the matmul expansion of |a - b|^2 for Euclidean distances between
    # many rows (faster, slightly less exact), direct differences otherwise.
    if p != 2 or compute_mode == "donot_use_mm_for_euclid_dist":
        return False
    return compute_mode == "use_mm_for_euclid_dist" or rows1 > 25 or rows2 > 25


_IF_NECESSARY = "use_mm_for_euclid_dist_if_necessary"
_COMPUTE_MODES = (_IF_NECESSARY, "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


@op(nin=2, save=(0, 1), save_output=True, broadcasts=True)
def cdist(xp, x1, x2, p=2.0, compute_mode=_IF_NECESSARY):
    """The ``p``-norm distance between every row of ``x1`` (…, P, M) and every row of
    ``x2`` (…, R, M): a (…, P, R) tensor.

    >>> ember.cdist(ember.zeros(2, 3), ember.ones(4, 3)).shape
    ember.Size([2, 4])
    """
    if compute_mode not in _COMPUTE_MODES:  # PyTorch's Python wrapper checks its arguments
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if not isinstance(p, (int, float)):
        raise TypeError(f"cdist(): argument 'p' must be float, not {type(p).__name__}")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{x.ndim}D")
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{legacy_name(x.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"expected scalar type {legacy_name(x1.dtype)} but found "
                           f"{legacy_name(x2.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if _uses_mm(p, x1.shape[-2], x2.shape[-2], compute_mode):
        squares = ((x1 * x1).sum(-1)[..., :, None] + (x2 * x2).sum(-1)[..., None, :]
                   - 2 * (x1 @ x2.swapaxes(-1, -2)))
        return xp.sqrt(xp.maximum(squares, 0))
    diff = xp.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return (diff != 0).sum(-1).astype(x1.dtype)
    if p == math.inf:
        return diff.max(-1, initial=0)
    if p == 1:
        return diff.sum(-1)
    if p == 2:
        return xp.sqrt((diff * diff).sum(-1))
    return ((diff ** p).sum(-1) ** (1 / p)).astype(x1.dtype)


@cdist.derivative
def cdist(ctx, grad, p=2.0, compute_mode=_IF_NECESSARY):
    x1, x2, dist = ctx.saved_tensors
    if p == 0:
        return x1 * 0, x2 * 0
    if p == 2:
        # Row i of x1 moves along (x1_i - x2_j) / d_ij for each j: two matmuls, no P*R*M.
        w = (grad / dist).masked_fill(dist == 0, 0)
        grad1 = w.sum(-1, keepdim=True) * x1 - w @ x2
        grad2 = w.sum(-2).unsqueeze(-1) * x2 - w.mT @ x1
        return grad1, grad2
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 1:
        w = diff.sign() * grad.unsqueeze(-1)
    elif p == math.inf:
        w = diff.sign() * (diff.abs() == dist.unsqueeze(-1)) * grad.unsqueeze(-1)
    else:
        scale = (grad / dist ** (p - 1)).masked_fill(dist == 0, 0)
        w = diff.sign() * diff.abs() ** (p - 1) * scale.unsqueeze(-1)
    return w.sum(-2), -w.sum(-3)
