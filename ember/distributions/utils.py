"""Helpers shared by the distributions: parameter broadcasting, probs <-> logits."""
from __future__ import annotations

import numbers

from .. import _dtype as dt
from .._creation import tensor
from .._tensor import Tensor


def broadcast_all(*values):
    """The arguments as tensors of one broadcast shape; numbers take the tensors' dtype and
    device (the default dtype when all are numbers)."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, (Tensor, numbers.Number)):
            raise ValueError("Input arguments must all be instances of Number, "
                             "torch.Tensor or objects implementing __torch_function__.")
    if not tensors:
        d = dt.get_default_dtype()
        return tuple(tensor(float(v), dtype=d) for v in values)
    like = tensors[0]
    values = [v if isinstance(v, Tensor) else tensor(v, dtype=like.dtype, device=like.device)
              for v in values]
    shape = ()
    for v in values:
        shape = _broadcast_pair(shape, tuple(v.shape))
    return tuple(v if tuple(v.shape) == shape else v.expand(shape) for v in values)


def _broadcast_pair(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
    return tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a, b))


def enumerate_values(values, batch_shape, expand: bool):
    """The support ``values`` (first dim) laid out for a batch: ``(n, 1, ..., 1, *event)``,
    or expanded to ``(n, *batch_shape, *event)``."""
    event = tuple(values.shape[1:])
    values = values.view((values.shape[0],) + (1,) * len(batch_shape) + event)
    return values.expand((-1,) + tuple(batch_shape) + event) if expand else values


def clamp_probs(probs: Tensor) -> Tensor:
    """``probs`` kept a machine epsilon away from 0 and 1."""
    eps = dt.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Log-odds of binary ``probs``, or log-probabilities of categorical ones."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """The inverse of `probs_to_logits`."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)
