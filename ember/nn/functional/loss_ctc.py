"""Connectionist temporal classification loss (the recursions are in `ember.ops.ctc`)."""
from __future__ import annotations

from ... import _creation, _dtype as dtypes
from ..._tensor import Tensor
from ...ops import TABLE

__all__ = ["ctc_loss"]

_ctc_loss = TABLE["ctc_loss"].fn


def _lengths(lengths, name: str) -> tuple:
    if isinstance(lengths, Tensor):
        if lengths.dtype.is_floating_point:
            raise RuntimeError(f"ctc_loss(): {name} must be integral, got {lengths.dtype}")
        return tuple(int(v) for v in lengths.reshape(-1).tolist())
    if isinstance(lengths, int):
        return (lengths,)
    return tuple(int(v) for v in lengths)


def _padded(targets, target_lengths: tuple):
    """Targets as an (N, S) tensor, from either (N, S) or all sequences concatenated."""
    if targets.dim() == 2:
        return targets
    starts = [sum(target_lengths[:i]) for i in range(len(target_lengths))]
    width = max(target_lengths, default=0)
    rows = [targets[a:a + n].reshape(1, -1) for a, n in zip(starts, target_lengths)]
    padded = _creation.zeros((len(rows), width), dtype=targets.dtype, device=targets.device)
    for i, row in enumerate(rows):
        padded[i, :row.shape[1]] = row[0]
    return padded


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False):
    """Connectionist temporal classification loss of ``log_probs`` (T, N, C) (or (T, C))
    against label sequences ``targets``: padded (N, S), or concatenated (sum(target_lengths),).

    'mean' divides each sample's loss by its target length, then averages over the batch.
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"ctc_loss(): {reduction} is not a valid value for reduction")
    unbatched = log_probs.dim() == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.dim() == 1 else targets
    if log_probs.dim() != 3:
        raise RuntimeError(f"ctc_loss(): expected log_probs of 2 or 3 dimensions, got "
                           f"{list(log_probs.shape)}")
    if targets.dtype.is_floating_point or targets.dtype == dtypes.bool_:
        raise RuntimeError(f"ctc_loss(): expected integer targets, got {targets.dtype}")
    t_max, n, classes = log_probs.shape
    inputs = _lengths(input_lengths, "input_lengths")
    labels = _lengths(target_lengths, "target_lengths")
    if len(inputs) != n or len(labels) != n:
        raise RuntimeError(f"ctc_loss(): expected input_lengths and target_lengths of size "
                           f"{n} (the batch size), got {len(inputs)} and {len(labels)}")
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    if max(inputs) > t_max or min(inputs) < 0:
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                           f"value {max(inputs) if max(inputs) > t_max else min(inputs)}")
    padded = _padded(targets, labels)
    if padded.shape[0] != n or max(labels, default=0) > padded.shape[1]:
        raise RuntimeError(f"ctc_loss(): targets of size {list(targets.shape)} are too short "
                           f"for target_lengths {list(labels)}")
    loss = _ctc_loss(log_probs, padded, inputs, labels, blank, zero_infinity)
    if reduction == "sum":
        loss = loss.sum()
    elif reduction == "mean":
        divisors = _creation.tensor([max(v, 1) for v in labels], dtype=loss.dtype,
                                    device=loss.device)
        loss = (loss / divisors).mean()
    return loss[0] if unbatched and reduction == "none" else loss
