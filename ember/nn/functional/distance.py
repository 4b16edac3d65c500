"""Distances and similarities between vectors: `normalize`, `cosine_similarity`,
`pairwise_distance`, `pdist`."""
from __future__ import annotations

import numpy as np

from ... import _creation
from ..._dtype import promote_types
from ...ops import TABLE
from ...ops._inplace import _legacy

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]

_vector_norm = TABLE["linalg_vector_norm"].fn


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``.

    >>> F.normalize(ember.tensor([[3., 4.]]))
    tensor([[0.6000, 0.8000]])
    """
    result = input / _vector_norm(input, p, dim, True).clamp_min(eps)
    return result if out is None else out.copy_(result)


def _floored(norm, eps: float):
    # PyTorch clamps the norms in place without recording it: the value is floored at eps,
    # while the gradient still flows as if through the unclamped norm.
    return norm + (norm.clamp_min(eps) - norm).detach()


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcasting).

    >>> ember.nn.functional.cosine_similarity(ember.tensor([[1., 0.]]), ember.tensor([[1., 1.]]))
    tensor([0.7071])
    """
    common = promote_types(x1.dtype, x2.dtype)
    if not common.is_floating_point:
        raise RuntimeError(f"cosine_similarity(): expected common dtype to be floating point, "
                           f"yet common dtype is {_legacy(common)}")
    if eps < 0:
        raise RuntimeError(f"cosine_similarity(): eps must be non-negative, got: {eps}")
    shape = _broadcast(x1, x2)
    x1, x2 = x1.to(common).expand(shape), x2.to(common).expand(shape)
    n1 = _floored(_vector_norm(x1, 2, dim, True), eps)
    n2 = _floored(_vector_norm(x2, 2, dim, True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _broadcast(x1, x2) -> tuple:
    try:
        return tuple(np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape)))
    except ValueError:
        raise RuntimeError(f"cosine_similarity(): The size of tensor a ({list(x1.shape)}) must "
                           f"match the size of tensor b ({list(x2.shape)}) at a non-singleton "
                           f"dimension") from None


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """``||x1 - x2 + eps||_p`` along the last dim (broadcasting).

    >>> ember.nn.functional.pairwise_distance(ember.tensor([[0., 0.]]),
    ...                                       ember.tensor([[3., 4.]]), eps=0)
    tensor([5.])
    """
    return _vector_norm(x1 - x2 + float(eps), p, -1, keepdim)  # integers compute in float


def pdist(input, p: float = 2.0):
    """The ``p``-norm distances between all pairs of rows of an (N, M) input: the upper
    triangle of the distance matrix, row by row, shape (N * (N - 1) / 2,)."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError(f"pdist only supports floating-point dtypes (got {input.dtype})")
    if input.dtype.itemsize == 2 and input.shape[0] > 1 and input.numel():  # a kernel runs
        raise NotImplementedError(f"\"pdist\" not implemented for '{_legacy(input.dtype)}'")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(input.shape[0], 1)
    rows_i = input.index_select(0, _creation.tensor(i, device=input.device))
    rows_j = input.index_select(0, _creation.tensor(j, device=input.device))
    return _vector_norm(rows_i - rows_j, p, -1)
