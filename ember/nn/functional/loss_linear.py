"""`linear_cross_entropy`: a linear layer's logits scored by cross-entropy, in one call."""
from __future__ import annotations

import math
import warnings

from ..._dtype import int64
from .linear import linear
from .loss import cross_entropy
from .loss_linear_chunked import ChunkedLinearCrossEntropy

__all__ = ["linear_cross_entropy"]


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target)``.

    ``input`` is (in_features,) or (N, in_features); ``linear_weight`` is (C, in_features),
    or (C, d1, ..., dK, in_features) for a K-dimensional loss whose logits come out as
    (N, C, d1, ..., dK). ``ignore_index=None`` means -100 for class-index targets and is
    the only value allowed with class-probability targets. ``options`` (a
    `LinearCrossEntropyOptions`) sends the batch through in chunks of rows, never holding all
    the logits (class-index targets, no label smoothing; otherwise it warns and ignores
    them); the loss and its gradients are the same, but not its second derivatives.

    >>> x, w = ember.randn(8, 4), ember.randn(10, 4)
    >>> F.linear_cross_entropy(x, w, ember.randint(0, 10, (8,))).shape
    ember.Size([])
    """
    if not 1 <= input.dim() <= 2:
        raise RuntimeError(f"linear_cross_entropy: expected input with dimensionality 1 or 2, "
                           f"got {input.dim()} (shape {list(input.shape)})")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"linear_cross_entropy: expected linear_weight with dimensionality "
                           f"at least 2, got {linear_weight.dim()}")
    batch, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"linear_cross_entropy: expected equal input and linear_weight last "
                           f"dimensions (in_features), got {in_features} and "
                           f"{linear_weight.shape[-1]}, respectively")
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(f"linear_cross_entropy: expected linear_bias shape "
                           f"{(classes, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and not batch:
        raise RuntimeError(f"linear_cross_entropy: K-dimensional loss defined by linear_weight "
                           f"shape {tuple(linear_weight.shape)} requires batched input, "
                           f"(N, {in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*batch, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("linear_cross_entropy: ignore_index cannot be specified when target "
                           "contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    if options is not None:
        if (not out_features and label_smoothing == 0.0 and target.dtype == int64
                and reduction in ("mean", "sum", "none")):
            return _chunked(input, linear_weight, linear_bias, target, weight, ignore_index,
                            reduction, options)
        warnings.warn(f"linear_cross_entropy: options ignored; the chunked path needs "
                      f"reduction in {{'mean','sum','none'}}, label_smoothing == 0, an int64 "
                      f"target and out_features == (); got reduction={reduction!r}, "
                      f"label_smoothing={label_smoothing}, target.dtype={target.dtype}, "
                      f"out_features={out_features}", stacklevel=2)
    rows = math.prod(out_features, start=classes)
    logits = linear(input, linear_weight.reshape(rows, in_features),
                    None if linear_bias is None else linear_bias.reshape(rows))
    return cross_entropy(logits.reshape(logits_shape), target, weight=weight,
                         reduction=reduction, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)


def _chunked(input, linear_weight, linear_bias, target, weight, ignore_index: int,
             reduction: str, options):
    batched = input.dim() == 2
    if not batched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    chunk = options.chunk_rows(input.shape[0], input.shape[1], linear_weight.shape[0])
    loss = ChunkedLinearCrossEntropy.apply(input, linear_weight, linear_bias, target, weight,
                                           ignore_index, reduction, chunk)
    return loss if batched or reduction != "none" else loss.squeeze(0)
