"""The Transformer: encoder and decoder layers, their stacks, and the full model.

Submodule names and order are PyTorch's (``self_attn``, ``linear1``, ``norm1``...), so state
dicts interchange. ``norm_first`` selects pre-norm (``x + f(norm(x))``) over the original
post-norm (``norm(x + f(x))``).
"""
from __future__ import annotations

import copy
from typing import Callable

from ... import _creation
from ... import _dtype as dt
from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled
from .. import functional as F
from .. import init
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder",
           "TransformerEncoderLayer", "TransformerDecoderLayer"]


def _activation(activation: str | Callable) -> Callable:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if isinstance(activation, str):
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    return activation


def _clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _square_causal_mask(size: int, device=None, dtype=None) -> Tensor:
    return _creation.full((size, size), float("-inf"), dtype=dtype or dt.float32,
                          device=device).triu(1)


def _is_causal(mask: Tensor | None, is_causal: bool | None, size: int | None) -> bool:
    """PyTorch's rule: an explicit hint wins; without one, a mask that equals the square
    causal mask counts as causal."""
    if is_causal is not None or mask is None:
        return bool(is_causal)
    size = mask.shape[-2] if size is None else size
    if tuple(mask.shape[-2:]) != (size, size):
        return False
    causal = _square_causal_mask(size, device=mask.device, dtype=mask.dtype
                                 if mask.dtype != dt.bool_ else None)
    if mask.dtype == dt.bool_:
        return bool((mask == (causal != 0)).all())
    return bool((mask == causal).all())


class _Layer(Module):
    """What both layer kinds share: the feed-forward block and the residual wiring.
    Subclasses say how many attention blocks they have (``_attention_blocks``)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        factory = dict(device=device, dtype=dtype)
        blocks = self._attention_blocks
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **factory)
        if blocks == 2:
            self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                     bias=bias, batch_first=batch_first,
                                                     **factory)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        for k in range(1, blocks + 2):
            setattr(self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                **factory))
        for k in range(1, blocks + 2):  # after the norms: PyTorch's submodule order
            setattr(self, f"dropout{k}", Dropout(dropout))
        self.activation_relu_or_gelu = {"relu": 1, "gelu": 2}.get(activation, 0) \
            if isinstance(activation, str) else 0
        self.activation = _activation(activation)

    def __getstate__(self) -> dict:
        # relu and gelu pickle as their names: a saved layer names no function to allow
        state = self.__dict__.copy()
        for name in ("relu", "gelu"):
            if state.get("activation") is _activation(name):
                state["activation"] = name
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if isinstance(self.__dict__.get("activation"), str):
            self.activation = _activation(self.activation)

    def _residual(self, x: Tensor, norm: Module, block: Callable) -> Tensor:
        if self.norm_first:
            return x + block(norm(x))
        return norm(x + block(x))

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout_last(x)

    def _attention(self, attn: MultiheadAttention, dropout: Module, x: Tensor, memory: Tensor,
                   mask, padding_mask, is_causal: bool) -> Tensor:
        x = attn(x, memory, memory, attn_mask=mask, key_padding_mask=padding_mask,
                 need_weights=False, is_causal=is_causal)[0]
        return dropout(x)


class TransformerEncoderLayer(_Layer):
    """Self-attention then a feed-forward block, each with a residual connection and
    layer norm.

    >>> layer = ember.nn.TransformerEncoderLayer(d_model=8, nhead=2, batch_first=True)
    >>> layer(ember.randn(3, 5, 8)).shape
    ember.Size([3, 5, 8])
    """

    _attention_blocks = 1

    @property
    def dropout_last(self) -> Module:
        """The dropout after the feed-forward block (``dropout2``), last of the layer."""
        return self.dropout2

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        x = self._residual(src, self.norm1, lambda y: self._attention(
            self.self_attn, self.dropout1, y, y, src_mask, src_key_padding_mask, is_causal))
        return self._residual(x, self.norm2, self._ff_block)


class TransformerDecoderLayer(_Layer):
    """Self-attention, attention over the encoder's output (``memory``), then a feed-forward
    block; each with a residual connection and layer norm.

    >>> layer = ember.nn.TransformerDecoderLayer(d_model=8, nhead=2)
    >>> layer(ember.randn(4, 3, 8), ember.randn(6, 3, 8)).shape
    ember.Size([4, 3, 8])
    """

    _attention_blocks = 2

    @property
    def dropout_last(self) -> Module:
        """The dropout after the feed-forward block (``dropout3``), last of the layer."""
        return self.dropout3

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        x = self._residual(tgt, self.norm1, lambda y: self._attention(
            self.self_attn, self.dropout1, y, y, tgt_mask, tgt_key_padding_mask,
            tgt_is_causal))
        x = self._residual(x, self.norm2, lambda y: self._attention(
            self.multihead_attn, self.dropout2, y, memory, memory_mask,
            memory_key_padding_mask, memory_is_causal))
        return self._residual(x, self.norm3, self._ff_block)


class TransformerEncoder(Module):
    """``num_layers`` copies of an encoder layer, then an optional final norm.

    >>> layer = ember.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    >>> ember.nn.TransformerEncoder(layer, num_layers=2)(ember.randn(5, 3, 8)).shape
    ember.Size([5, 3, 8])
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor and _nested_friendly(encoder_layer)
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        batch_first = self.layers[0].self_attn.batch_first if self.layers else False
        size = src.shape[1 if batch_first and src.dim() == 3 else 0]
        is_causal = _is_causal(mask, is_causal, size)
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, is_causal=is_causal,
                           src_key_padding_mask=src_key_padding_mask)
        if self._pads_with_zeros(src, mask, src_key_padding_mask):
            padded = (src_key_padding_mask if src_key_padding_mask.dtype == dt.bool_
                      else src_key_padding_mask != 0)
            output = output.masked_fill(padded.unsqueeze(-1), 0.0)
        return output if self.norm is None else self.norm(output)

    def _pads_with_zeros(self, src: Tensor, mask, padding_mask) -> bool:
        """Whether PyTorch would take its inference fast path here: it runs the layers on
        nested tensors, which drop the padded positions, and pads the output with zeros."""
        if not (self.use_nested_tensor and self.layers and not self.layers[0].training
                and src.dim() == 3 and padding_mask is not None and mask is None):
            return False
        attn = self.layers[0].self_attn
        if is_grad_enabled() and (src.requires_grad or any(
                p.requires_grad for p in self.layers[0].parameters())):
            return False
        if not self.mask_check:
            return True
        kept = (padding_mask == 0) if padding_mask.dtype != dt.bool_ else ~padding_mask
        # "left aligned": every sequence keeps a prefix of its positions
        return attn.batch_first and bool((kept[:, 1:] <= kept[:, :-1]).all())


def _nested_friendly(layer) -> bool:
    """PyTorch's conditions for running an encoder stack on nested tensors in inference."""
    attn = getattr(layer, "self_attn", None)
    return (isinstance(layer, TransformerEncoderLayer) and not layer.norm_first
            and attn.batch_first and attn._qkv_same_embed_dim and attn.in_proj_bias is not None
            and bool(layer.activation_relu_or_gelu) and layer.norm1.eps == layer.norm2.eps
            and attn.num_heads % 2 == 0)


class TransformerDecoder(Module):
    """``num_layers`` copies of a decoder layer, then an optional final norm.

    >>> layer = ember.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
    >>> ember.nn.TransformerDecoder(layer, 2)(ember.randn(4, 3, 8), ember.randn(6, 3, 8)).shape
    ember.Size([4, 3, 8])
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        batch_first = self.layers[0].self_attn.batch_first if self.layers else False
        size = tgt.shape[1 if batch_first and tgt.dim() == 3 else 0]
        tgt_is_causal = _is_causal(tgt_mask, tgt_is_causal, size)
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder Transformer of "Attention Is All You Need".

    >>> model = ember.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
    ...                              num_decoder_layers=1, dim_feedforward=16)
    >>> model(ember.randn(5, 3, 8), ember.randn(4, 3, 8)).shape
    ember.Size([4, 3, 8])
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = "relu",
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        factory = dict(device=device, dtype=dtype)
        options = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                       layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                       norm_first=norm_first, bias=bias, **factory)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, nhead, **options), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, nhead, **options), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        batch_dim = 0 if self.batch_first else 1
        if src.dim() == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """A float mask with -inf above the diagonal: position i attends to 0..i only.

        >>> ember.nn.Transformer.generate_square_subsequent_mask(2)
        tensor([[0., -inf],
                [0., 0.]])
        """
        return _square_causal_mask(sz, device=device, dtype=dtype)
