"""Transformer layers and models against PyTorch, with torch's weights loaded into ember
through the state dict: outputs and the gradients of inputs and every parameter."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch
from .test_nn_attention import _compare_backward, _leaves, _mask_pair

D, HEADS, FF, L, S, N = 8, 2, 12, 4, 5, 2


def _pair(make, train=False):
    """The same architecture from torch and ember (``make(nn)``), with torch's weights."""
    t_mod, e_mod = make(torch.nn).double(), make(ember.nn).double()
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    assert repr(e_mod) == repr(t_mod)
    t_mod.train(train), e_mod.train(train)
    return t_mod, e_mod


def _seq(batch_first, length, batch=N):
    return (batch, length, D) if batch_first else (length, batch, D)


LAYER_OPTIONS = list(itertools.product([False, True], [False, True], ["relu", "gelu"], [True]))
LAYER_OPTIONS += [(False, False, "relu", False), (True, True, "gelu", False)]


@pytest.mark.parametrize("norm_first,batch_first,activation,bias", LAYER_OPTIONS)
def test_encoder_layer_matches_torch(norm_first, batch_first, activation, bias, rng):
    t_mod, e_mod = _pair(lambda nn: nn.TransformerEncoderLayer(
        D, HEADS, FF, dropout=0.0, activation=activation, batch_first=batch_first,
        norm_first=norm_first, bias=bias))
    t_leaves, e_leaves = _leaves(rng, _seq(batch_first, L))
    padding = np.zeros((N, L), bool)
    padding[0, -1] = True
    (t_pad, e_pad) = _mask_pair(padding)
    t_out = t_mod(t_leaves[0], src_key_padding_mask=t_pad)
    e_out = e_mod(e_leaves[0], src_key_padding_mask=e_pad)
    _compare_backward(t_out, e_out, t_leaves, e_leaves, rng, t_mod, e_mod)


@pytest.mark.parametrize("norm_first,batch_first,activation,bias", LAYER_OPTIONS)
def test_decoder_layer_matches_torch(norm_first, batch_first, activation, bias, rng):
    t_mod, e_mod = _pair(lambda nn: nn.TransformerDecoderLayer(
        D, HEADS, FF, dropout=0.0, activation=activation, batch_first=batch_first,
        norm_first=norm_first, bias=bias))
    t_leaves, e_leaves = _leaves(rng, _seq(batch_first, L), _seq(batch_first, S))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(L).double()
    padding = np.zeros((N, S), bool)
    padding[1, -2:] = True
    (t_pad, e_pad) = _mask_pair(padding)
    e_causal = ember.nn.Transformer.generate_square_subsequent_mask(L, dtype=ember.float64)
    assert_close(e_causal, causal)
    t_out = t_mod(*t_leaves, tgt_mask=causal, memory_key_padding_mask=t_pad, tgt_is_causal=True)
    e_out = e_mod(*e_leaves, tgt_mask=e_causal, memory_key_padding_mask=e_pad,
                  tgt_is_causal=True)
    _compare_backward(t_out, e_out, t_leaves, e_leaves, rng, t_mod, e_mod)


def test_callable_activation_and_train_mode_match_torch(rng):
    t_mod, e_mod = _pair(lambda nn: nn.TransformerEncoderLayer(
        D, HEADS, FF, dropout=0.0, activation=nn.Tanh()), train=True)
    t_leaves, e_leaves = _leaves(rng, _seq(False, L))
    _compare_backward(t_mod(t_leaves[0]), e_mod(e_leaves[0]), t_leaves, e_leaves, rng,
                      t_mod, e_mod)


@pytest.mark.parametrize("with_norm", [False, True])
def test_encoder_and_decoder_stacks_match_torch(with_norm, rng):
    def make(nn):
        norm = nn.LayerNorm(D) if with_norm else None
        encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0),
                                        num_layers=2, norm=norm, enable_nested_tensor=False)
        decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, HEADS, FF, dropout=0.0),
                                        num_layers=2, norm=norm)
        return nn.ModuleDict({"encoder": encoder, "decoder": decoder})
    t_mod, e_mod = _pair(make)
    t_leaves, e_leaves = _leaves(rng, _seq(False, S), _seq(False, L))
    mask = rng.standard_normal((S, S))
    (t_mask, e_mask) = _mask_pair(mask)
    t_memory = t_mod["encoder"](t_leaves[0], mask=t_mask)
    e_memory = e_mod["encoder"](e_leaves[0], mask=e_mask)
    t_out = t_mod["decoder"](t_leaves[1], t_memory)
    e_out = e_mod["decoder"](e_leaves[1], e_memory)
    _compare_backward((t_memory, t_out), (e_memory, e_out), t_leaves, e_leaves, rng, t_mod,
                      e_mod)


@pytest.mark.parametrize("batch_first,norm_first", [(False, False), (True, True)])
def test_transformer_matches_torch(batch_first, norm_first, rng):
    t_mod, e_mod = _pair(lambda nn: nn.Transformer(
        D, HEADS, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FF, dropout=0.0,
        batch_first=batch_first, norm_first=norm_first))
    t_leaves, e_leaves = _leaves(rng, _seq(batch_first, S), _seq(batch_first, L))
    t_causal = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    e_causal = ember.nn.Transformer.generate_square_subsequent_mask(L, dtype=ember.float64)
    padding = np.zeros((N, S), bool)
    padding[0, -1] = True
    (t_pad, e_pad) = _mask_pair(padding)
    t_out = t_mod(*t_leaves, tgt_mask=t_causal, src_key_padding_mask=t_pad,
                  memory_key_padding_mask=t_pad)
    e_out = e_mod(*e_leaves, tgt_mask=e_causal, src_key_padding_mask=e_pad,
                  memory_key_padding_mask=e_pad)
    _compare_backward(t_out, e_out, t_leaves, e_leaves, rng, t_mod, e_mod)


def test_transformer_init_is_xavier_and_layers_are_independent_copies():
    model = ember.nn.Transformer(D, HEADS, 2, 2, FF)
    layers = model.encoder.layers
    assert layers[0].linear1.weight is not layers[1].linear1.weight
    bound = np.sqrt(6 / (D + FF))
    w = layers[0].linear1.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > bound / 2


@pytest.mark.parametrize("make,call", [
    (lambda nn: nn.TransformerEncoderLayer(D, HEADS, activation="tanh"), lambda m, t: None),
    (lambda nn: nn.Transformer(D, HEADS, 1, 1, FF),
     lambda m, t: m(t.ones(3, 2, D), t.ones(3, 4, D))),
    (lambda nn: nn.Transformer(D, HEADS, 1, 1, FF),
     lambda m, t: m(t.ones(3, 2, D), t.ones(3, 2, D + 1))),
    (lambda nn: nn.TransformerEncoderLayer(D, HEADS, FF),
     lambda m, t: m(t.ones(3, 2, D), is_causal=True)),
])
def test_transformer_errors_like_torch(make, call):
    assert_raises_like_torch(lambda: call(make(ember.nn), ember),
                             lambda: call(make(torch.nn), torch))


@pytest.mark.parametrize("batch_first,norm_first,padding_kind,left_aligned", [
    (True, False, "bool", True), (True, False, "float", True), (True, False, "bool", False),
    (False, False, "bool", True), (True, True, "bool", True)])
def test_encoder_inference_pads_like_torch(batch_first, norm_first, padding_kind, left_aligned,
                                           rng):
    # torch's inference fast path runs on nested tensors and pads the output with zeros
    t_mod, e_mod = _pair(lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(D, HEADS, FF, batch_first=batch_first,
                                   norm_first=norm_first), 2, norm=nn.LayerNorm(D)))
    x = rng.standard_normal(_seq(batch_first, L))
    padding = np.zeros((N, L), bool)
    padding[1, 2:] = True
    padding[0, 0] = not left_aligned
    t_pad, e_pad = _mask_pair(padding)
    if padding_kind == "float":
        t_pad = torch.zeros(N, L, dtype=torch.float64).masked_fill(t_pad, float("-inf"))
        e_pad = ember.zeros(N, L, dtype=ember.float64).masked_fill(e_pad, float("-inf"))
    with torch.no_grad(), ember.no_grad():
        assert_close(e_mod(ember.tensor(x), src_key_padding_mask=e_pad),
                     t_mod(torch.tensor(x), src_key_padding_mask=t_pad))
