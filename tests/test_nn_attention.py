"""Attention against PyTorch: scaled_dot_product_attention, MultiheadAttention and the
Transformer layers, with torch's weights loaded into ember; outputs and all gradients."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch, flatten


def _leaves(rng, *shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [ember.tensor(a, requires_grad=True) for a in arrays])


def _compare_backward(t_out, e_out, t_leaves, e_leaves, rng, t_mod=None, e_mod=None):
    t_flat = [t for t in flatten(t_out) if t is not None]
    e_flat = [e for e in flatten(e_out) if e is not None]
    assert len(t_flat) == len(e_flat)
    t_loss, e_loss = 0, 0
    for k, (t, e) in enumerate(zip(t_flat, e_flat)):
        assert_close(e, t, what=f"output {k}")
        w = rng.standard_normal(tuple(t.shape))
        t_loss = t_loss + (t * torch.tensor(w)).nan_to_num().sum()
        e_loss = e_loss + (e * ember.tensor(w)).nan_to_num().sum()
    t_loss.backward()
    e_loss.backward()
    for k, (t, e) in enumerate(zip(t_leaves, e_leaves)):
        assert_close(e.grad, t.grad, what=f"grad of input {k}")
    if t_mod is not None:
        for (name, p), (_, q) in zip(t_mod.named_parameters(), e_mod.named_parameters()):
            assert_close(q.grad, p.grad, what=f"grad of {name}")


def _mask_pair(mask):
    return (None, None) if mask is None else (torch.tensor(mask), ember.tensor(mask))


SDPA_SHAPES = [  # query, key, value
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)),
    ((4, 5), (6, 5), (6, 3)),                      # no batch dims
    ((2, 4, 3, 5), (2, 1, 6, 5), (2, 1, 6, 5)),    # one key/value head broadcast
]


@pytest.mark.parametrize("shapes", SDPA_SHAPES)
@pytest.mark.parametrize("mask_kind", [None, "bool", "float", "causal", "bool_full_row"])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_matches_torch(shapes, mask_kind, scale, rng):
    t_leaves, e_leaves = _leaves(rng, *shapes)
    target, source = shapes[0][-2], shapes[1][-2]
    mask = None
    if mask_kind in ("bool", "bool_full_row"):
        mask = rng.random((target, source)) > 0.3
        mask[:, 0] = mask_kind == "bool"  # every row keeps a key, or row 0 keeps none
        mask[1:, 0] = True
    elif mask_kind == "float":
        mask = rng.standard_normal((1,) * (len(shapes[0]) > 2) + (target, source))
    t_mask, e_mask = _mask_pair(mask)
    causal = mask_kind == "causal"
    t_out = torch.nn.functional.scaled_dot_product_attention(*t_leaves, t_mask,
                                                             is_causal=causal, scale=scale)
    e_out = ember.nn.functional.scaled_dot_product_attention(*e_leaves, e_mask,
                                                             is_causal=causal, scale=scale)
    _compare_backward(t_out, e_out, t_leaves, e_leaves, rng)


def test_sdpa_grouped_query_attention_matches_torch(rng):
    t_leaves, e_leaves = _leaves(rng, (2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 5))
    t_out = torch.nn.functional.scaled_dot_product_attention(*t_leaves, enable_gqa=True)
    e_out = ember.nn.functional.scaled_dot_product_attention(*e_leaves, enable_gqa=True)
    _compare_backward(t_out, e_out, t_leaves, e_leaves, rng)


def test_sdpa_float32_stays_float32(rng):
    q = rng.standard_normal((2, 3, 4)).astype(np.float32)
    t = torch.nn.functional.scaled_dot_product_attention(*[torch.tensor(q)] * 3, is_causal=True)
    e = ember.nn.functional.scaled_dot_product_attention(*[ember.tensor(q)] * 3, is_causal=True)
    assert_close(e, t)


@pytest.mark.parametrize("call", [
    lambda F, t: F.scaled_dot_product_attention(t.ones(2, 3), t.ones(2, 3), t.ones(2, 3),
                                                t.ones(2, 2, dtype=t.bool), is_causal=True),
    lambda F, t: F.scaled_dot_product_attention(t.ones(3), t.ones(3), t.ones(3)),
    lambda F, t: F.scaled_dot_product_attention(t.ones(2, 3), t.ones(2, 3, dtype=t.float64),
                                                t.ones(2, 3)),
    lambda F, t: F.scaled_dot_product_attention(t.ones(2, 3), t.ones(4, 2), t.ones(4, 3)),
    lambda F, t: F.scaled_dot_product_attention(t.ones(2, 3), t.ones(4, 3), t.ones(4, 3),
                                                t.ones(3, 4)),
])
def test_sdpa_errors_like_torch(call):
    assert_raises_like_torch(lambda: call(ember.nn.functional, ember),
                             lambda: call(torch.nn.functional, torch))


def _mha_pair(**kwargs):
    t_mod = torch.nn.MultiheadAttention(**kwargs).double().eval()
    e_mod = ember.nn.MultiheadAttention(**kwargs).double().eval()
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    assert repr(e_mod) == repr(t_mod)
    return t_mod, e_mod


E, HEADS, L, S, N = 6, 2, 3, 4, 2


@pytest.mark.parametrize("bias,add_bias_kv,add_zero_attn,kvdim", [
    (True, False, False, None), (False, False, False, None), (True, True, False, None),
    (True, False, True, None), (True, True, True, (5, 3)), (True, False, False, (5, 3))])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("self_attention", [False, True])
def test_mha_options_match_torch(bias, add_bias_kv, add_zero_attn, kvdim, batch_first,
                                 self_attention, rng):
    kdim, vdim = kvdim or (E, E)
    if self_attention and kvdim:
        return  # self-attention needs kdim == vdim == embed_dim
    t_mod, e_mod = _mha_pair(embed_dim=E, num_heads=HEADS, bias=bias, add_bias_kv=add_bias_kv,
                             add_zero_attn=add_zero_attn, kdim=kvdim and kdim,
                             vdim=kvdim and vdim, batch_first=batch_first)
    layout = (lambda length: (N, length) if batch_first else (length, N))
    if self_attention:
        t_leaves, e_leaves = _leaves(rng, (*layout(L), E))
        t_in, e_in = t_leaves * 3, e_leaves * 3
    else:
        t_leaves, e_leaves = _leaves(rng, (*layout(L), E), (*layout(S), kdim), (*layout(S), vdim))
        t_in, e_in = t_leaves, e_leaves
    _compare_backward(t_mod(*t_in), e_mod(*e_in), t_leaves, e_leaves, rng, t_mod, e_mod)


@pytest.mark.parametrize("mask_kind,padding_kind", list(itertools.product(
    [None, "bool", "float", "3d"], [None, "bool", "float"])))
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_masks_match_torch(mask_kind, padding_kind, need_weights, average, rng):
    t_mod, e_mod = _mha_pair(embed_dim=E, num_heads=HEADS)
    t_leaves, e_leaves = _leaves(rng, (L, N, E), (S, N, E), (S, N, E))
    mask = padding = None
    if mask_kind == "bool":
        mask = rng.random((L, S)) > 0.7
        mask[:, 0] = False
    elif mask_kind == "float":
        mask = rng.standard_normal((L, S))
    elif mask_kind == "3d":
        mask = rng.standard_normal((N * HEADS, L, S))
    if padding_kind == "bool":
        padding = np.zeros((N, S), bool)
        padding[1, 2:] = True
    elif padding_kind == "float":
        padding = rng.standard_normal((N, S))
    (t_mask, e_mask), (t_pad, e_pad) = _mask_pair(mask), _mask_pair(padding)
    kwargs = dict(need_weights=need_weights, average_attn_weights=average)
    t_out = t_mod(*t_leaves, key_padding_mask=t_pad, attn_mask=t_mask, **kwargs)
    e_out = e_mod(*e_leaves, key_padding_mask=e_pad, attn_mask=e_mask, **kwargs)
    assert (e_out[1] is None) == (not need_weights)
    _compare_backward(t_out, e_out, t_leaves, e_leaves, rng, t_mod, e_mod)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched_and_causal_hint_match_torch(need_weights, rng):
    t_mod, e_mod = _mha_pair(embed_dim=E, num_heads=HEADS, batch_first=True)
    t_leaves, e_leaves = _leaves(rng, (L, E))
    causal = np.triu(np.ones((L, L), bool), 1)
    (t_mask, e_mask), (t_pad, e_pad) = _mask_pair(causal), _mask_pair(np.zeros(L, bool))
    t_out = t_mod(*t_leaves * 3, key_padding_mask=t_pad, attn_mask=t_mask, is_causal=True,
                  need_weights=need_weights)
    e_out = e_mod(*e_leaves * 3, key_padding_mask=e_pad, attn_mask=e_mask, is_causal=True,
                  need_weights=need_weights)
    _compare_backward(t_out, e_out, t_leaves, e_leaves, rng, t_mod, e_mod)


def test_mha_train_mode_without_dropout_matches_torch(rng):
    t_mod, e_mod = _mha_pair(embed_dim=E, num_heads=HEADS)
    t_mod.train(), e_mod.train()
    t_leaves, e_leaves = _leaves(rng, (L, N, E))
    _compare_backward(t_mod(*t_leaves * 3), e_mod(*e_leaves * 3), t_leaves, e_leaves, rng,
                      t_mod, e_mod)


@pytest.mark.parametrize("make,call", [
    (lambda nn: nn.MultiheadAttention(6, 4), lambda m, t: None),
    (lambda nn: nn.MultiheadAttention(0, 2), lambda m, t: None),
    (lambda nn: nn.MultiheadAttention(6, 2), lambda m, t: m(*[t.ones(2, 3, 5)] * 3)),
    (lambda nn: nn.MultiheadAttention(6, 2),
     lambda m, t: m(*[t.ones(2, 3, 6)] * 3, attn_mask=t.ones(3, 3))),
    (lambda nn: nn.MultiheadAttention(6, 2),
     lambda m, t: m(*[t.ones(2, 3, 6)] * 3, attn_mask=t.ones(2, 2, 2, 2))),
    (lambda nn: nn.MultiheadAttention(6, 2), lambda m, t: m(*[t.ones(2, 3, 6)] * 3,
                                                            is_causal=True)),
    (lambda nn: nn.MultiheadAttention(6, 2), lambda m, t: m(t.ones(2, 3, 6, 1), t.ones(2, 3, 6),
                                                            t.ones(2, 3, 6))),
])
def test_mha_errors_like_torch(make, call):
    assert_raises_like_torch(lambda: call(make(ember.nn), ember),
                             lambda: call(make(torch.nn), torch))


def test_sdpa_dropout_zeroes_weights_and_rescales(rng):
    q = ember.randn(1, 64, 4)
    v = ember.eye(64).reshape(1, 64, 64)  # the output rows are the attention weights
    weights = ember.nn.functional.scaled_dot_product_attention(q, q, v, dropout_p=0.5)
    plain = ember.nn.functional.scaled_dot_product_attention(q, q, v)
    w, p = weights.numpy(), plain.numpy()
    dropped = w == 0
    assert 0.3 < dropped.mean() < 0.7
    np.testing.assert_allclose(w[~dropped], 2 * p[~dropped], rtol=1e-5)


def test_mha_dropout_only_in_training():
    mha = ember.nn.MultiheadAttention(E, HEADS, dropout=0.5)
    x = ember.randn(L, N, E)
    assert not np.allclose(mha(x, x, x)[1].detach().numpy(), mha(x, x, x)[1].detach().numpy())
    mha.eval()
    assert_close(mha(x, x, x)[1], mha(x, x, x)[1].detach())


@pytest.mark.parametrize("need_weights,with_padding", [(False, False), (True, False),
                                                       (False, True)])
def test_mha_causal_hint_overrides_mask_only_where_torch_does(need_weights, with_padding, rng):
    t_mod, e_mod = _mha_pair(embed_dim=E, num_heads=HEADS, add_zero_attn=True)
    t_leaves, e_leaves = _leaves(rng, (L, N, E))
    not_causal = rng.random((L, L)) > 0.5  # a wrong hint: torch then uses the causal mask
    not_causal[:, 0] = False
    (t_mask, e_mask) = _mask_pair(not_causal)
    (t_pad, e_pad) = _mask_pair(np.zeros((N, L), bool) if with_padding else None)
    kwargs = dict(need_weights=need_weights, is_causal=True)
    t_out = t_mod(*t_leaves * 3, attn_mask=t_mask, key_padding_mask=t_pad, **kwargs)
    e_out = e_mod(*e_leaves * 3, attn_mask=e_mask, key_padding_mask=e_pad, **kwargs)
    _compare_backward(t_out, e_out, t_leaves, e_leaves, rng, t_mod, e_mod)
