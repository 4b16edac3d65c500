"""Loss functions. Each reduces with ``reduction`` = 'mean' (default), 'sum' or 'none'."""
from __future__ import annotations

from ... import _creation
from ...ops import TABLE

__all__ = ["nll_loss", "cross_entropy", "mse_loss"]

_log_softmax = TABLE["log_softmax"].fn


def _reduce(loss, reduction: str, fn: str):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{fn}(): {reduction} is not a valid value for reduction")


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


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    """Negative log-likelihood of ``target`` classes under log-probabilities ``input``.

    ``input`` is (N, C), (N, C, d1, ...) or (C,); ``target`` holds class indices.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.dtype.is_floating_point:
        raise RuntimeError(f"nll_loss(): expected target of an integer dtype (class indices), "
                           f"got {target.dtype}")
    _check_batch(input, target, "nll_loss")
    classes = input.shape[1] if input.dim() > 1 else input.shape[0]
    ignored = target == ignore_index
    safe = target.masked_fill(ignored, 0)
    bad = (safe < 0) | (safe >= classes)
    if bool(bad.any()):
        raise IndexError(f"nll_loss(): Target {int(safe[bad][0])} is out of bounds for "
                         f"{classes} classes.")
    class_dim = 1 if input.dim() > 1 else 0
    picked = -input.gather(class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
    w = (weight[safe] if weight is not None else _creation.ones_like(picked))
    w = w.masked_fill(ignored, 0)
    loss = picked * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction, "nll_loss")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross-entropy between ``input`` logits and ``target`` (class indices or probabilities).

    >>> F.cross_entropy(ember.randn(8, 10), ember.randint(0, 10, (8,)))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy(): label_smoothing must be between 0.0 and 1.0. Got: "
                         f"{label_smoothing}")
    class_dim = 1 if input.dim() > 1 else 0
    classes = input.shape[class_dim]
    logp = _log_softmax(input, class_dim)
    if target.dtype.is_floating_point:  # class probabilities
        if target.shape != input.shape:
            raise RuntimeError(f"cross_entropy(): expected target of size {list(input.shape)} "
                               f"(class probabilities), got {list(target.shape)}")
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        weighted = logp if weight is None else logp * _class_view(weight, input)
        return _reduce(-(weighted * target).sum(class_dim), reduction, "cross_entropy")
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return nll
    # Smoothing mixes in the uniform distribution's cross-entropy: minus the mean log-prob.
    weighted = logp if weight is None else logp * _class_view(weight, input)
    smooth = -weighted.sum(class_dim).masked_fill(target == ignore_index, 0)
    if reduction == "mean":
        safe = target.masked_fill(target == ignore_index, 0)
        kept = (target != ignore_index).to(logp.dtype)
        denominator = (weight[safe] * kept).sum() if weight is not None else kept.sum()
        smooth = smooth.sum() / denominator
    else:
        smooth = _reduce(smooth, reduction, "cross_entropy")
    return (1 - label_smoothing) * nll + (label_smoothing / classes) * smooth


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """Mean squared error ``(input - target) ** 2``, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce((input - target) ** 2, reduction, "mse_loss")
