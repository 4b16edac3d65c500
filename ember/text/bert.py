"""BERT: the transformer encoder of Devlin et al. (2018), in the module layout of the
checkpoints the ecosystem publishes, so their state_dicts load key for key.

    embeddings.{word,position,token_type}_embeddings, embeddings.LayerNorm
    encoder.layer.<i>.attention.self.{query,key,value}
    encoder.layer.<i>.attention.output.{dense,LayerNorm}
    encoder.layer.<i>.intermediate.dense, encoder.layer.<i>.output.{dense,LayerNorm}
    pooler.dense                                    (optional)

Each layer is post-norm: ``x = LayerNorm(x + attention(x))``, then
``x = LayerNorm(x + W2 gelu(W1 x))``.
"""
from __future__ import annotations

import dataclasses
import json
import os

from .. import nn
from ..nn import functional as F
from .._tensor import Tensor

__all__ = ["BertConfig", "BertModel"]


@dataclasses.dataclass
class BertConfig:
    """The sizes of a BERT model, as a checkpoint's ``config.json`` names them."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> BertConfig:
        """The config in a ``config.json`` (keys this class does not use are ignored).

        >>> BertConfig.from_json("all-MiniLM-L6-v2/config.json").hidden_size
        384
        """
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


_ACTIVATIONS = {"gelu": F.gelu, "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
                "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"), "relu": F.relu}


class BertEmbeddings(nn.Module):
    """Token + position + segment embeddings, layer-normalized."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size,
                                            padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor) -> Tensor:
        length = input_ids.shape[1]
        positions = self.position_embeddings.weight[:length]  # (T, H), broadcast over batch
        x = self.word_embeddings(input_ids) + positions + self.token_type_embeddings(
            token_type_ids)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    """Multi-head scaled dot-product attention of the sequence over itself."""

    def __init__(self, config: BertConfig):
        super().__init__()
        if config.hidden_size % config.num_attention_heads:
            raise ValueError(f"BertSelfAttention: hidden_size {config.hidden_size} is not a "
                             f"multiple of num_attention_heads {config.num_attention_heads}")
        self.heads = config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def _split_heads(self, x: Tensor) -> Tensor:
        batch, length, hidden = x.shape
        return x.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        q, k, v = (self._split_heads(proj(x)) for proj in (self.query, self.key, self.value))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                             dropout_p=self.dropout_p if self.training else 0.0)
        batch, _, length, _ = out.shape
        return out.transpose(1, 2).reshape(batch, length, -1)


class BertResidualNorm(nn.Module):
    """``LayerNorm(residual + dropout(dense(x)))``: how each sublayer's output rejoins."""

    def __init__(self, in_features: int, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(in_features, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, x: Tensor, residual: Tensor) -> Tensor:
        return self.LayerNorm(residual + self.dropout(self.dense(x)))


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertResidualNorm(config.hidden_size, config)

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        return self.output(self.self(x, mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.activation = _ACTIVATIONS[config.hidden_act]

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(self.dense(x))


class BertLayer(nn.Module):
    """Self-attention, then the position-wise feed-forward network."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertResidualNorm(config.intermediate_size, config)

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        x = self.attention(x, mask)
        return self.output(self.intermediate(x), x)


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        for layer in self.layer:
            x = layer(x, mask)
        return x


class BertPooler(nn.Module):
    """``tanh(dense(first token's state))``: BERT's sequence summary for classifiers."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: Tensor) -> Tensor:
        return self.dense(hidden[:, 0]).tanh()


class BertModel(nn.Module):
    """The BERT encoder: token ids (B, T) to hidden states (B, T, hidden_size), and with
    ``add_pooling_layer`` the pooled first token (B, hidden_size).

    >>> model = BertModel(BertConfig(hidden_size=32, num_hidden_layers=2,
    ...                              num_attention_heads=4, intermediate_size=64))
    >>> hidden, pooled = model(ember.tensor([[101, 7592, 102]]))
    >>> hidden.shape, pooled.shape
    (ember.Size([1, 3, 32]), ember.Size([1, 32]))
    """

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None,
                token_type_ids: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """(hidden states, pooled output or None); ``attention_mask`` is 1 for real tokens
        and 0 for padding, which no token attends to."""
        if input_ids.dim() != 2:
            raise ValueError(f"BertModel: input_ids must be (batch, length), got shape "
                             f"{list(input_ids.shape)}")
        if input_ids.shape[1] > self.config.max_position_embeddings:
            raise ValueError(f"BertModel: sequence of {input_ids.shape[1]} tokens is longer "
                             f"than max_position_embeddings "
                             f"({self.config.max_position_embeddings})")
        if token_type_ids is None:
            token_type_ids = input_ids.new_zeros(input_ids.shape)
        mask = None
        if attention_mask is not None:
            # (B, 1, 1, T) scores added to every query row: 0 to attend, a huge negative not to
            bias = (1.0 - attention_mask.to(self.embeddings.LayerNorm.weight.dtype)) * -1e30
            mask = bias[:, None, None, :]
        hidden = self.encoder(self.embeddings(input_ids, token_type_ids), mask)
        return hidden, None if self.pooler is None else self.pooler(hidden)
