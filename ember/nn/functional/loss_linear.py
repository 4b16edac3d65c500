"""`linear_cross_entropy`: a linear layer's logits scored by cross-entropy, in one call."""
from __future__ import annotations

import math
import warnings

from .linear import linear
from .loss import cross_entropy

__all__ = ["linear_cross_entropy"]


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target)``.

    ``input`` is (in_features,) or (N, in_features); ``linear_weight`` is (C, in_features),
    or (C, d1, ..., dK, in_features) for a K-dimensional loss whose logits come out as
    (N, C, d1, ..., dK). ``ignore_index=None`` means -100 for class-index targets and is
    the only value allowed with class-probability targets. ``options`` (a
    `LinearCrossEntropyOptions`) chooses how PyTorch chunks the batch to save memory; the
    loss and its gradients are the same either way, and Ember computes them in one piece.

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
    if options is not None and (out_features or label_smoothing != 0.0
                                or target.dtype.is_floating_point):
        warnings.warn(f"linear_cross_entropy: options ignored; the chunked path needs "
                      f"label_smoothing == 0, an int64 target and out_features == (); got "
                      f"label_smoothing={label_smoothing}, target.dtype={target.dtype}, "
                      f"out_features={out_features}", stacklevel=2)
    rows = math.prod(out_features, start=classes)
    logits = linear(input, linear_weight.reshape(rows, in_features),
                    None if linear_bias is None else linear_bias.reshape(rows))
    return cross_entropy(logits.reshape(logits_shape), target, weight=weight,
                         reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         label_smoothing=label_smoothing)
