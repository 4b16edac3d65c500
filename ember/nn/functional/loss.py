"""Loss functions. Each reduces with ``reduction`` = 'mean' (default), 'sum' or 'none'.

The margin and embedding losses live in `loss_margin`, CTC in `loss_ctc`.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _creation, _dtype as dtypes
from ...ops import TABLE

__all__ = ["nll_loss", "cross_entropy", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss"]

_log_softmax = TABLE["log_softmax"].fn
_nll_loss = TABLE["nll_loss"].fn
_cross_entropy_loss = TABLE["cross_entropy_loss"].fn
_binary_cross_entropy = TABLE["binary_cross_entropy"].fn
_log_sigmoid = TABLE["log_sigmoid"].fn
_where = TABLE["where"].fn
_xlogy = TABLE["xlogy"].fn


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
        expected = [input.shape[0]] + list(input.shape[2:])
        raise RuntimeError(f"{fn}(): expected target of size {expected}, got "
                           f"{list(target.shape)}")


def _class_view(weight, input):
    """A (1, C, 1, ...) view of per-class ``weight`` that broadcasts against ``input``."""
    return weight.reshape((1, -1) + (1,) * (input.dim() - 2)) if input.dim() > 1 else weight


def _check_class_target(input, target, fn: str) -> None:
    if target.dtype.is_floating_point or target.dtype == dtypes.bool_:
        raise RuntimeError(f"{fn}(): expected target of an integer dtype (class indices), "
                           f"got {target.dtype}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"{fn}(): not implemented for '{input.dtype}' input "
                                  f"(expected floating point scores)")
    if input.dim() == 0:
        raise IndexError(f"{fn}(): expected input with at least 1 dimension, got a scalar")
    _check_batch(input, target, fn)


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    """Negative log-likelihood of ``target`` classes under log-probabilities ``input``.

    ``input`` is (N, C), (N, C, d1, ...) or (C,); ``target`` holds class indices.

    >>> F.nll_loss(ember.tensor([[-0.1, -2.5, -3.0]]), ember.tensor([0]))
    tensor(0.1000)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction), "nll_loss")
    _check_class_target(input, target, "nll_loss")
    return _nll_loss(input, target, weight, ignore_index, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross-entropy between ``input`` logits and ``target`` (class indices or probabilities).

    >>> F.cross_entropy(ember.tensor([[2., 0., -1.]]), ember.tensor([0]))
    tensor(0.1698)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"cross_entropy(): label_smoothing must be between 0.0 and 1.0. Got: "
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


def _warn_on_broadcast(input, target) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({_size(target)}) that is different to the input "
                      f"size ({_size(input)}). This will likely lead to incorrect results due "
                      f"to broadcasting. Please ensure they have the same size.", stacklevel=3)


def _size(x) -> str:
    return repr(x.shape)


def _pointwise_loss(input, target, size_average, reduce, reduction, fn: str):
    """The reduction to use, after the checks every elementwise regression loss shares."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction), fn)
    _warn_on_broadcast(input, target)
    return reduction


def _reduce_weighted(loss, weight, input, reduction: str, fn: str, weighted_mean=True):
    """Reduce ``loss * weight``; a weighted 'mean' divides by the summed weight (unless
    ``weighted_mean`` is False: then it is the plain mean, as PyTorch's huber_loss has it)."""
    if weight is None:
        return _reduce(loss, reduction, fn)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and weighted_mean:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction, fn)


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None):
    """Mean squared error ``(input - target) ** 2``, reduced.

    >>> F.mse_loss(ember.zeros(3), ember.ones(3))
    tensor(1.)
    """
    reduction = _pointwise_loss(input, target, size_average, reduce, reduction, "mse_loss")
    return _reduce_weighted((input - target) ** 2, weight, input, reduction, "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None):
    """Mean absolute error ``|input - target|``, reduced.

    >>> F.l1_loss(ember.zeros(3), ember.tensor([1., -2., 3.]))
    tensor(2.)
    """
    reduction = _pointwise_loss(input, target, size_average, reduce, reduction, "l1_loss")
    return _reduce_weighted((input - target).abs(), weight, input, reduction, "l1_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0):
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta``, of
    ``d = input - target``."""
    reduction = _pointwise_loss(input, target, size_average, reduce, reduction,
                                "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    diff = input - target
    if beta == 0:
        return _reduce(diff.abs(), reduction, "smooth_l1_loss")
    size = diff.abs()
    loss = _where(size < beta, 0.5 * diff * diff / beta, size - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,
               weight=None):
    """``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``."""
    reduction = _pointwise_loss(input, target, None, None, reduction, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = input - target
    size = diff.abs()
    loss = _where(size < delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
    return _reduce_weighted(loss, weight, input, reduction, "huber_loss", weighted_mean=False)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean"):
    """``-w * (y log x + (1 - y) log(1 - x))`` of probabilities ``input``; each log is
    clamped at -100 (as PyTorch does) so that ``x`` of exactly 0 or 1 stays finite.

    >>> F.binary_cross_entropy(ember.tensor([0.8, 0.1]), ember.tensor([1., 0.]))
    tensor(0.1643)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction),
                                 "binary_cross_entropy")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({_size(target)}) that is different to the "
                         f"input size ({_size(input)}) is deprecated. Please ensure they have "
                         f"the same size.")
    if input.numel() and bool(((input < 0) | (input > 1)).any()):
        raise RuntimeError("binary_cross_entropy(): all elements of input should be between "
                           "0 and 1")
    loss = _binary_cross_entropy(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction,
                   "binary_cross_entropy")


def _softplus_of_negative(x):
    """``log(1 + exp(-x))``, without overflow: ``-log(sigmoid(x))``."""
    return -_log_sigmoid(x)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight=None):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits.

    >>> F.binary_cross_entropy_with_logits(ember.tensor([2., -1.]), ember.tensor([1., 0.]))
    tensor(0.2201)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction),
                                 "binary_cross_entropy_with_logits")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_size(target)}) must be the same as input size "
                         f"({_size(input)})")
    return logits_cross_entropy(input, target, weight, pos_weight, reduction)


def logits_cross_entropy(input, target, weight=None, pos_weight=None, reduction: str = "mean"):
    """`binary_cross_entropy_with_logits` as ``torch.binary_cross_entropy_with_logits``
    computes it: the operands broadcast into ``target``'s shape, unchecked.

    >>> logits_cross_entropy(ember.tensor([2., -1.]), ember.tensor(1.))
    """
    softplus = _softplus_of_negative(input)
    if pos_weight is not None:  # positives count pos_weight times
        scale = (pos_weight - 1) * target + 1
        _check_into(softplus, scale)
        softplus = softplus * scale
    # PyTorch accumulates into (1 - target) in place: the loss has its shape and dtype
    _check_into(target, input)
    loss = (1 - target) * input + softplus
    if weight is not None:
        _check_into(target, weight)
        loss = loss * weight
    if loss.dtype != target.dtype:
        loss = loss.to(target.dtype)
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def _check_into(out, other) -> None:
    """Refuse what an in-place ``out op= other`` refuses: a result of another shape, or of a
    type ``out``'s can't hold."""
    try:
        shape = tuple(np.broadcast_shapes(tuple(out.shape), tuple(other.shape)))
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({list(out.shape)}) must match the size of "
                           f"tensor b ({list(other.shape)}) at a non-singleton dimension") \
            from None
    if shape != tuple(out.shape):
        raise RuntimeError(f"output with shape {list(out.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    result = dtypes.result_type(out, other)
    if not dtypes.can_cast(result, out.dtype):
        raise RuntimeError(f"result type {result} can't be cast to the desired output type "
                           f"{out.dtype}")


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False):
    """``target * (log(target) - input)`` with ``input`` given as log-probabilities
    (``target`` too when ``log_target``). 'batchmean' divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"kl_div(): {reduction} is not a valid value for reduction")
    for x in (input, target):
        if not (x.dtype.is_floating_point or x.dtype.is_complex):
            raise RuntimeError(f"kl_div: Integral inputs not supported (got {x.dtype}).")
    for x in (input, target):
        if x.dtype.is_complex:
            raise RuntimeError(f"kl_div: Complex inputs not supported (got {x.dtype}).")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogy(target, target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() else total
    return _reduce(loss, reduction, "kl_div")


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean"):
    """Negative log-likelihood of ``target`` counts under a Poisson of rate ``input``
    (``exp(input)`` when ``log_input``); ``full`` adds Stirling's term for ``target > 1``."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction),
                                 "poisson_nll_loss")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + float(eps)).log()  # (an int eps wraps in uint8)
    if full:
        stirling = (target * target.log() - target + 0.5 * (2 * math.pi * target).log())
        # added into the loss in place: the loss keeps its dtype
        loss = loss + stirling.masked_fill(target <= 1, 0).to(loss.dtype)
    return _reduce(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):
    """Negative log-likelihood of ``target`` under Gaussians of mean ``input`` and variance
    ``var`` (one per element, or shared along one dimension, or a float)."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _creation.full_like(input, float(var))
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and
                  sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not valid")
    # Clamped for stability; the gradient still reaches var as if unclamped (as PyTorch's).
    var = var + (var.detach().clamp_min(eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """``log(1 + exp(-target * input))`` for targets of +-1, computed without overflow."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction),
                                 "soft_margin_loss")
    return _reduce(_softplus_of_negative(target * input), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean"):
    """Per-class binary cross-entropy of logits ``input`` (N, C), averaged over classes."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction),
                                 "multilabel_soft_margin_loss")
    loss = target * _softplus_of_negative(input) + (1 - target) * _softplus_of_negative(-input)
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction, "multilabel_soft_margin_loss")
