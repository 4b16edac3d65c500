"""Loss functions. Each reduces with ``reduction`` = 'mean' (default), 'sum' or 'none'."""
from __future__ import annotations

from ... import _dtype as dtypes
from ...ops import TABLE

__all__ = ["nll_loss", "cross_entropy", "mse_loss"]

_log_softmax = TABLE["log_softmax"].fn
_nll_loss = TABLE["nll_loss"].fn
_cross_entropy_loss = TABLE["cross_entropy_loss"].fn


def _reduce(loss, reduction: str, fn: str):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{fn}(): {reduction} is not a valid value for reduction")


def _check_reduction(reduction: str, fn: str) -> str:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{fn}(): {reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(size_average, reduce, reduction):
    # PyTorch's deprecated size_average/reduce flags, when given, decide the reduction
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


def _check_batch(input, target, fn):
    if input.dim() >= 2 and target.dim() >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if input.dim() >= 2 and tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"{fn}(): expected target of size {[input.shape[0]] + list(input.shape[2:])}"
                           f", got {list(target.shape)}")


def _class_view(weight, input):
    """A (1, C, 1, ...) view of per-class ``weight`` that broadcasts against ``input``."""
    return weight.reshape((1, -1) + (1,) * (input.dim() - 2)) if input.dim() > 1 else weight


def _check_class_target(input, target, fn: str) -> None:
    if target.dtype.is_floating_point or target.dtype == dtypes.bool_:
        raise RuntimeError(f"{fn}(): expected target of an integer dtype (class indices), "
                           f"got {target.dtype}")
    if input.dim() == 0:
        raise IndexError(f"{fn}(): expected input with at least 1 dimension, got a scalar")
    _check_batch(input, target, fn)


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    """Negative log-likelihood of ``target`` classes under log-probabilities ``input``.

    ``input`` is (N, C), (N, C, d1, ...) or (C,); ``target`` holds class indices.

    >>> F.nll_loss(F.log_softmax(ember.randn(8, 10), 1), ember.randint(0, 10, (8,)))
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction), "nll_loss")
    _check_class_target(input, target, "nll_loss")
    return _nll_loss(input, target, weight, ignore_index, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross-entropy between ``input`` logits and ``target`` (class indices or probabilities).

    >>> F.cross_entropy(ember.randn(8, 10), ember.randint(0, 10, (8,)))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy(): label_smoothing must be between 0.0 and 1.0. Got: "
                         f"{label_smoothing}")
    if not target.dtype.is_floating_point:
        _check_reduction(reduction, "cross_entropy")
        _check_class_target(input, target, "cross_entropy")
        return _cross_entropy_loss(input, target, weight, ignore_index, label_smoothing,
                                   reduction)[0]
    class_dim = 1 if input.dim() > 1 else 0
    if target.shape != input.shape:
        raise RuntimeError(f"cross_entropy(): expected target of size {list(input.shape)} "
                           f"(class probabilities), got {list(target.shape)}")
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / input.shape[class_dim]
    logp = _log_softmax(input, class_dim)
    weighted = logp if weight is None else logp * _class_view(weight, input)
    return _reduce(-(weighted * target).sum(class_dim), reduction, "cross_entropy")


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """Mean squared error ``(input - target) ** 2``, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce((input - target) ** 2, reduction, "mse_loss")
