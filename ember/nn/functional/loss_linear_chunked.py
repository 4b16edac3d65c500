"""The chunked form of `linear_cross_entropy`: the batch goes through the classifier a chunk
of rows at a time, so the (N, C) logits never exist at once, in forward or in backward (which
recomputes each chunk's logits). Worth it when C (a vocabulary) dwarfs the features."""
from __future__ import annotations

import dataclasses

from ...autograd.function import Function
from .activation import softmax
from .linear import linear

__all__: list[str] = []  # reached through linear_cross_entropy(..., options=...)

_POLICIES = {"auto", "accurate", "balanced", "compact"}


@dataclasses.dataclass(frozen=True)
class LinearCrossEntropyOptions:
    """How `linear_cross_entropy` chunks its batch (PyTorch's options, same meanings).

    ``batch_chunk_size`` rows per chunk, or ``chunking_method``: 'aspect_ratio[:k]' makes a
    chunk's logits about as large as the input (a power of two of rows, divided by k); 'auto'
    is 'aspect_ratio:2'. ``acc_policy`` and ``acc_dtype`` choose PyTorch's half-precision
    accumulation and are accepted as given: Ember accumulates in the input's dtype.

    >>> opts = ember.nn.LinearCrossEntropyOptions(batch_chunk_size=1024)
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in _POLICIES:
            raise ValueError(f"LinearCrossEntropyOptions: invalid acc_policy: "
                             f"{self.acc_policy!r}")
        if self.chunking_method not in (None, "auto"):
            name, sep, factor = str(self.chunking_method).partition(":")
            if not (name == "aspect_ratio" and (not sep or factor.isdigit() and int(factor) > 0)):
                raise ValueError(f"LinearCrossEntropyOptions: invalid chunking_method: "
                                 f"{self.chunking_method!r}")
        if not (self.batch_chunk_size is None or type(self.batch_chunk_size) is int
                and self.batch_chunk_size > 0):
            raise ValueError(f"LinearCrossEntropyOptions: batch_chunk_size must be positive "
                             f"int or None, got {self.batch_chunk_size!r}")

    def chunk_rows(self, rows: int, in_features: int, classes: int) -> int:
        """Rows per chunk for a batch of ``rows`` through a (classes, in_features) weight."""
        method = self.chunking_method
        if method == "auto":
            method = None if self.batch_chunk_size is not None else "aspect_ratio:2"
        size = rows if self.batch_chunk_size is None else min(self.batch_chunk_size, rows)
        if method is not None:
            _, _, factor = method.partition(":")
            target = -(-rows // -(-classes // in_features))
            size = min((1 << (target - 1).bit_length()) // int(factor or 1), rows)
            if self.batch_chunk_size is not None and self.batch_chunk_size != size:
                raise ValueError(f"linear_cross_entropy: batch_chunk_size "
                                 f"(={self.batch_chunk_size}) and chunking_method ('{method}') "
                                 f"give different chunk sizes ({self.batch_chunk_size} vs "
                                 f"{size}); pass only one.")
        return max(1, size)


class ChunkedLinearCrossEntropy(Function):
    """Cross-entropy of class-index ``target`` (N,) under ``linear(input, weight, bias)``,
    one chunk of rows at a time; saves only the inputs, and backward recomputes."""

    @staticmethod
    def forward(ctx, input, weight, bias, target, class_weight, ignore_index: int,
                reduction: str, chunk: int):
        kept = target != ignore_index
        safe_target = target.masked_fill(~kept, 0)
        row_weight = kept.to(input.dtype)
        if class_weight is not None:
            row_weight = row_weight * class_weight[safe_target]
        losses = input.new_empty(input.shape[0])
        for start in range(0, input.shape[0], chunk):
            logits = linear(input[start:start + chunk], weight, bias)
            picked = logits.gather(1, safe_target[start:start + chunk, None]).squeeze(1)
            losses[start:start + chunk] = logits.logsumexp(1) - picked
        losses = losses * row_weight
        ctx.save_for_backward(input, weight, bias, safe_target)
        ctx.chunk, ctx.row_scale = chunk, row_weight  # d reduced loss / d row loss, over grad
        if reduction == "none":
            return losses
        if reduction == "sum":
            return losses.sum()
        total = row_weight.sum()  # the weighted mean over the rows not ignored
        ctx.row_scale = row_weight / total
        return losses.sum() / total

    @staticmethod
    def backward(ctx, grad):
        input, weight, bias, safe_target = ctx.saved_tensors
        scale = ctx.row_scale * grad  # d loss / d (each row's cross-entropy)
        grad_input = input.new_empty(input.shape) if ctx.needs_input_grad[0] else None
        grad_weight = weight.new_zeros(weight.shape) if ctx.needs_input_grad[1] else None
        grad_bias = None if bias is None or not ctx.needs_input_grad[2] else \
            bias.new_zeros(bias.shape)
        for start in range(0, input.shape[0], ctx.chunk):
            rows = slice(start, start + ctx.chunk)
            x = input[rows]
            g = softmax(linear(x, weight, bias), 1)
            g.scatter_add_(1, safe_target[rows, None], g.new_full((g.shape[0], 1), -1.0))
            g = g * scale[rows, None]  # d loss / d logits of this chunk
            if grad_input is not None:
                grad_input[rows] = g @ weight
            if grad_weight is not None:
                grad_weight += g.mT @ x
            if grad_bias is not None:
                grad_bias += g.sum(0)
        return grad_input, grad_weight, grad_bias, None, None, None, None, None
