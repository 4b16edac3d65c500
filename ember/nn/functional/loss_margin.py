"""Margin and embedding losses: hinge-style penalties on scores, distances and similarities."""
from __future__ import annotations

from ... import _creation, _dtype as dtypes
from ...ops import TABLE
from .distance import pairwise_distance
from .loss import _check_reduction, _legacy_reduction, _reduce

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss", "multi_margin_loss",
           "multilabel_margin_loss"]

_where = TABLE["where"].fn

# Added to the squared norms in cosine_embedding_loss so that zero vectors divide safely.
_EPSILON = 1e-12


def _reduction(size_average, reduce, reduction: str, fn: str) -> str:
    return _check_reduction(_legacy_reduction(size_average, reduce, reduction), fn)


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean"):
    """``max(0, -target * (input1 - input2) + margin)``: ranks ``input1`` above ``input2``
    where ``target`` is 1, below where it is -1."""
    reduction = _reduction(size_average, reduce, reduction, "margin_ranking_loss")
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {list(input1.shape)}, input2: "
                           f"{list(input2.shape)}, target: {list(target.shape)} ")
    return ranking_loss(input1, input2, target, margin, reduction)


def ranking_loss(input1, input2, target, margin: float = 0.0, reduction: str = "mean"):
    """`margin_ranking_loss` as ``torch.margin_ranking_loss`` computes it: the operands
    broadcast, whatever their ranks.

    >>> ranking_loss(ember.tensor([1., 2.]), ember.tensor([[0.], [3.]]), ember.tensor(1.))
    """
    loss = (-target * (input1 - input2) + float(margin)).clamp_min(0)
    return _reduce(loss, reduction, "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1."""
    reduction = _reduction(size_average, reduce, reduction, "hinge_embedding_loss")
    zero = _creation.zeros((), dtype=input.dtype, device=input.device)
    # PyTorch fills the margin into a tensor of the input's dtype (an integer input keeps
    # its dtype, the margin truncated).
    margin = _creation.full((), margin, dtype=input.dtype, device=input.device)
    below_margin = _where(target != 1, (margin - input).clamp_min(0), zero)
    return _reduce(below_margin + _where(target != -1, input, zero), reduction,
                   "hinge_embedding_loss")


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean"):
    """``1 - cos(x1, x2)`` where ``target`` is 1, ``max(0, cos(x1, x2) - margin)`` where -1;
    vectors lie along the last dimension of (N, D) or (D,) inputs."""
    reduction = _reduction(size_average, reduce, reduction, "cosine_embedding_loss")
    if target.dim() not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = target.dim() + 1
    if input1.dim() != want or input2.dim() != want:
        raise RuntimeError(f"{target.dim()}D target tensor expects {want}D input tensors, but "
                           f"found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    dim = want - 1
    dot = (input1 * input2).sum(dim)
    norms = ((input1 * input1).sum(dim) + _EPSILON) * ((input2 * input2).sum(dim) + _EPSILON)
    cos = dot / norms.sqrt()
    zero = _creation.zeros((), dtype=cos.dtype, device=cos.device)
    loss = (_where(target == 1, 1 - cos, zero)
            + _where(target == -1, (cos - margin).clamp_min(0), zero))
    return _reduce(loss, reduction, "cosine_embedding_loss")


def _check_triplet_dims(anchor, positive, negative) -> None:
    a, p, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {p}D, "
                           f"and negative {n}D inputs")


def _triplet(dist_pos, dist_neg, dist_swap, margin: float, reduction: str, fn: str):
    if dist_swap is not None:  # the harder negative of the two
        dist_neg = dist_neg.minimum(dist_swap)
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction, fn)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean"):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with ``d`` the
    ``p``-norm distance; ``swap`` also tries the positive as the anchor of the negative."""
    reduction = _reduction(size_average, reduce, reduction, "triplet_margin_loss")
    _check_triplet_dims(anchor, positive, negative)
    swapped = pairwise_distance(positive, negative, p, eps) if swap else None
    return _triplet(pairwise_distance(anchor, positive, p, eps),
                    pairwise_distance(anchor, negative, p, eps), swapped, margin, reduction,
                    "triplet_margin_loss")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean"):
    """`triplet_margin_loss` with any ``distance_function(x1, x2)`` (default: the
    Euclidean pairwise distance)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    distance = distance_function or pairwise_distance
    swapped = distance(positive, negative) if swap else None
    return _triplet(distance(anchor, positive), distance(anchor, negative), swapped, margin,
                    reduction, "triplet_margin_with_distance_loss")


def _as_batch(input, fn: str):
    if input.dim() > 2 or input.numel() == 0:
        raise RuntimeError(f"{fn}(): Expected non-empty vector or matrix with optional 0-dim "
                           f"batch size, but got: {list(input.shape)}")
    return input if input.dim() == 2 else input.reshape(1, -1)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean"):
    """Multi-class hinge loss: ``sum_{i != y} max(0, margin - x[y] + x[i]) ** p / C``
    (times ``weight[y]``) for scores ``x`` (N, C) and classes ``y``."""
    reduction = _reduction(size_average, reduce, reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    scores = _as_batch(input, "multi_margin_loss")
    n, classes = scores.shape
    if target.dim() > 1 or target.numel() != n:
        raise RuntimeError(f"multi_margin_loss(): inconsistent target size, expected {n} but "
                           f"got {list(target.shape)}")
    if target.dtype.is_floating_point or target.dtype == dtypes.bool_:
        raise RuntimeError(f"multi_margin_loss(): expected target of an integer dtype, got "
                           f"{target.dtype}")
    y = target.reshape(n, 1)
    if n and bool(((y < 0) | (y >= classes)).any()):
        raise IndexError(f"multi_margin_loss(): target out of range for {classes} classes")
    hinge = (margin - scores.gather(1, y) + scores).clamp_min(0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[y]
    is_target = _creation.arange(classes, device=input.device) == y
    loss = hinge.masked_fill(is_target, 0).sum(1) / classes
    return _reduce(loss if input.dim() == 2 else loss.reshape(target.shape), reduction,
                   "multi_margin_loss")


def multilabel_margin_loss(input, target, size_average=None, reduce=None,
                           reduction: str = "mean"):
    """``sum_{j, i} max(0, 1 - (x[y_j] - x[i])) / C`` over the target classes ``y_j`` (the
    entries of ``target`` before its first -1) and the non-target classes ``i``."""
    reduction = _reduction(size_average, reduce, reduction, "multilabel_margin_loss")
    scores = _as_batch(input, "multilabel_margin_loss")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"multilabel_margin_loss(): inconsistent target size: "
                           f"{list(target.shape)} for input of size: {list(input.shape)}")
    n, classes = scores.shape
    labels = target.reshape(n, classes)
    listed = (labels != -1).long().cumprod(1) != 0  # the labels before the first -1
    safe = labels.masked_fill(listed.logical_not(), 0)
    if bool(((safe < 0) | (safe >= classes)).any()):
        raise IndexError(f"multilabel_margin_loss(): target out of range for {classes} classes")
    counts = _creation.zeros((n, classes), dtype=dtypes.int64, device=input.device)
    is_target = counts.scatter_add(1, safe, listed.long()) > 0
    hinge = (1 - scores.gather(1, safe).unsqueeze(2) + scores.unsqueeze(1)).clamp_min(0)
    counted = listed.unsqueeze(2) & is_target.logical_not().unsqueeze(1)
    loss = (hinge * counted.to(hinge.dtype)).sum((1, 2)) / classes
    return _reduce(loss if input.dim() == 2 else loss.reshape(()), reduction,
                   "multilabel_margin_loss")
