"""Attention: `scaled_dot_product_attention` and the multi-head attention of
`nn.MultiheadAttention` (`multi_head_attention_forward`)."""
from __future__ import annotations

import math

from ... import _dtype as dt
from ..._tensor import Tensor
from ...amp._hook import autocast_function
from ...ops import TABLE
from .linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_matmul = TABLE["matmul"].fn
_softmax = TABLE["softmax"].fn
_where = TABLE["where"].fn
_cat = TABLE["cat"].fn
_NEG_INF = float("-inf")


def _dropout(x: Tensor, p: float) -> Tensor:
    from .. import functional as F  # dropout lives in its own family module
    return F.dropout(x, p, True)


def _additive_mask(mask: Tensor | None, dtype, allowed_when: bool) -> Tensor | None:
    """A float mask to add to attention scores: a bool mask becomes 0 where attending is
    allowed (where it equals ``allowed_when``) and -inf elsewhere."""
    if mask is None or mask.dtype != dt.bool_:
        return mask
    blocked = ~mask if allowed_when else mask
    return mask.new_zeros(mask.shape, dtype=dtype).masked_fill(blocked, _NEG_INF)


def attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float,
           scale: float, safe: bool) -> tuple[Tensor, Tensor]:
    """``softmax(q k^T * scale + mask) v``; returns (output, attention weights). With
    ``safe``, rows whose every key is masked out get zero weights instead of NaN."""
    scores = _matmul(q * scale, k.mT)
    fully_masked = None
    if mask is not None:
        scores = scores + mask
        if safe:
            fully_masked = (mask == _NEG_INF).all(-1, keepdim=True)
            if bool(fully_masked.any()):
                # zero those rows *before* softmax too, so no NaN reaches the gradients
                scores = _where(fully_masked, 0.0, scores)
            else:
                fully_masked = None
    weights = _softmax(scores, -1)
    if fully_masked is not None:
        weights = _where(fully_masked, 0.0, weights)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p)
    return _matmul(weights, v), weights


@autocast_function
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two dims.

    ``attn_mask`` is a bool mask (True: may attend) or a float mask added to the scores;
    ``is_causal`` masks every key after the query's position; ``scale`` defaults to
    ``1/sqrt(E)``; ``enable_gqa`` lets fewer key/value heads (dim -3) serve the query heads.

    >>> q = ember.randn(2, 4, 5, 8)  # (batch, heads, length, E)
    >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
    ember.Size([2, 4, 5, 8])
    """
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.dim()} key.dim: {key.dim()} and "
                           f"value.dim: {value.dim()} instead.")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {query.dtype} key.dtype: {key.dtype} and "
                           f"value.dtype: {value.dtype} instead.")
    if attn_mask is not None and attn_mask.dtype not in (dt.bool_, query.dtype):
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {attn_mask.dtype} and "
                           f"query.dtype: {query.dtype} instead.")
    target, source = query.shape[-2], key.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not "
                               "be set when is_causal=True")
        attn_mask = query.new_ones((target, source), dtype=dt.bool_).tril()
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if heads % kv_heads or value.shape[-3] != kv_heads:
            raise RuntimeError(f"scaled_dot_product_attention(): with enable_gqa, the query's "
                               f"{heads} heads must be a multiple of the key's and value's "
                               f"heads, got {kv_heads} and {value.shape[-3]}")
        key = key.repeat_interleave(heads // kv_heads, -3)
        value = value.repeat_interleave(heads // kv_heads, -3)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    mask = _additive_mask(attn_mask, query.dtype, allowed_when=True)
    return attend(query, key, value, mask, dropout_p, scale, safe=True)[0]


def _project_inputs(query, key, value, weight, bias, weights, biases):
    """Query, key and value projections: one product when they are the same tensor."""
    if weights is None:
        if query is key and key is value:
            return linear(query, weight, bias).chunk(3, -1)
        weights = weight.chunk(3)
    if biases is None:
        biases = (None,) * 3 if bias is None else bias.chunk(3)
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def _check_attn_mask(attn_mask: Tensor, target: int, source: int, batch_heads: int) -> Tensor:
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (target, source):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                               f"be {(target, source)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != (batch_heads, target, source):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should "
                               f"be {(batch_heads, target, source)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def _pad_key_column(mask: Tensor | None) -> Tensor | None:
    """One more key (a learned bias or a zero key): nothing masks it."""
    if mask is None:
        return None
    return _cat((mask, mask.new_zeros(tuple(mask.shape[:-1]) + (1,))), -1)


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on sequence-first inputs ``(L, N, E)`` (or unbatched ``(L, E)``);
    returns the output and, with ``need_weights``, the attention weights (averaged over
    heads with ``average_attn_weights``). Masks: ``key_padding_mask`` (N, S) and a bool
    ``attn_mask`` are True where attending is *not* allowed; float masks are added."""
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    unbatched = query.dim() == 2
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(f"query, key and value must all be {query.dim()}-D, got "
                             f"{key.dim()}-D key and {value.dim()}-D value")
    kind = "unbatched (2-D)" if unbatched else "batched (3-D)"
    if attn_mask is not None and attn_mask.dim() not in (2, 3):
        raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or "
                             f"3-D but found {attn_mask.dim()}-D tensor instead")
    if key_padding_mask is not None and key_padding_mask.dim() != query.dim() - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{query.dim() - 1}-D but found {key_padding_mask.dim()}-D tensor "
                             f"instead")
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    target, batch, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    if embed_dim % num_heads:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if tuple(key.shape[:2]) != tuple(value.shape[:2]):
        raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                             f"value's {value.shape[:2]}")
    head_dim = embed_dim // num_heads
    heads = batch * num_heads
    if use_separate_proj_weight:
        q, k, v = _project_inputs(query, key, value, None, in_proj_bias,
                                  (q_proj_weight, k_proj_weight, v_proj_weight), None)
    else:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _project_inputs(query, key, value, in_proj_weight, in_proj_bias, None, None)
    source = key.shape[0]
    # PyTorch trusts the hint where it can use it: the mask itself is then ignored
    causal_hint = is_causal and key_padding_mask is None and not need_weights
    attn_mask = None if causal_hint else _additive_mask(attn_mask, q.dtype, allowed_when=False)
    if attn_mask is not None:
        attn_mask = _check_attn_mask(attn_mask, target, source, heads)
    key_padding_mask = _additive_mask(key_padding_mask, q.dtype, allowed_when=False)
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k is set but bias_v is None" if bias_v is None
                             else "bias_v is set but bias_k is None")
    if bias_k is not None:
        k = _cat((k, bias_k.expand(1, batch, embed_dim)), 0)
        v = _cat((v, bias_v.expand(1, batch, embed_dim)), 0)
        attn_mask, key_padding_mask = _pad_key_column(attn_mask), _pad_key_column(
            key_padding_mask)
    # (L, N, E) -> (N * heads, L, head_dim)
    q = q.reshape(target, heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], heads, head_dim).transpose(0, 1) if static_k is None else static_k
    v = v.reshape(v.shape[0], heads, head_dim).transpose(0, 1) if static_v is None else static_v
    if add_zero_attn:
        k = _cat((k, k.new_zeros((heads, 1, head_dim))), 1)
        v = _cat((v, v.new_zeros((heads, 1, head_dim))), 1)
        attn_mask, key_padding_mask = _pad_key_column(attn_mask), _pad_key_column(
            key_padding_mask)
    source = k.shape[1]
    if causal_hint:
        attn_mask = _additive_mask(q.new_ones((target, source), dtype=dt.bool_).tril(),
                                   q.dtype, allowed_when=True)
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (batch, source):
            raise AssertionError(f"expecting key_padding_mask shape of {(batch, source)}, but "
                                 f"got {tuple(key_padding_mask.shape)}")
        padding = key_padding_mask.reshape(batch, 1, 1, source).expand(
            batch, num_heads, 1, source).reshape(heads, 1, source)
        attn_mask = padding if attn_mask is None else attn_mask + padding
    output, weights = attend(q, k, v, attn_mask, dropout_p if training else 0.0,
                             1.0 / math.sqrt(head_dim), safe=not need_weights)
    output = output.transpose(0, 1).reshape(target * batch, embed_dim)
    output = linear(output, out_proj_weight, out_proj_bias).reshape(target, batch, embed_dim)
    if unbatched:
        output = output.squeeze(1)
    if not need_weights:
        return output, None
    weights = weights.reshape(batch, num_heads, target, source)
    if average_attn_weights:
        weights = weights.mean(1)
    return output, (weights.squeeze(0) if unbatched else weights)
