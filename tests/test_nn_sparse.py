"""Embedding, EmbeddingBag and one_hot against PyTorch: values, gradients, options, errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

from .helpers import assert_close, assert_raises_like_torch


def _pair(name, *args, **kwargs):
    t_mod = getattr(torch.nn, name)(*args, **kwargs).double()
    e_mod = getattr(ember.nn, name)(*args, **kwargs).double()
    e_mod.weight.data = ember.tensor(t_mod.weight.detach().numpy().copy())
    assert repr(e_mod) == repr(t_mod)
    return t_mod, e_mod


def _backward_both(e_out, t_out, rng):
    g = rng.standard_normal(tuple(t_out.shape))
    e_out.backward(ember.tensor(g))
    t_out.backward(torch.tensor(g))


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 3}, {"padding_idx": -1},
                                    {"scale_grad_by_freq": True},
                                    {"max_norm": 1.5}, {"max_norm": 1.0, "norm_type": 1.0}])
def test_embedding_layer_matches_torch(kwargs, rng):
    t_mod, e_mod = _pair("Embedding", 10, 4, **kwargs)
    idx = rng.integers(0, 10, (3, 7))
    t_out, e_out = t_mod(torch.tensor(idx)), e_mod(ember.tensor(idx))
    assert_close(e_out, t_out)
    _backward_both(e_out, t_out, rng)
    assert_close(e_mod.weight.grad, t_mod.weight.grad)
    assert_close(e_mod.weight, t_mod.weight, what="weight after max_norm")


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_embedding_float32_table_gradient_with_repeated_rows_matches_torch(index_dtype, rng):
    """The language-model path: a float32 table, rows looked up many times each."""
    weight = rng.standard_normal((50, 8)).astype(np.float32)
    idx = rng.integers(0, 50, (35, 20)).astype(index_dtype)
    grad = rng.standard_normal((35, 20, 8)).astype(np.float32)
    e_w = ember.tensor(weight, requires_grad=True)
    t_w = torch.tensor(weight, requires_grad=True)
    ember.nn.functional.embedding(ember.tensor(idx), e_w).backward(ember.tensor(grad))
    torch.nn.functional.embedding(torch.tensor(idx), t_w).backward(torch.tensor(grad))
    assert e_w.grad.dtype == ember.float32
    assert_close(e_w.grad, t_w.grad)


def test_embedding_default_init_and_padding_row():
    m = ember.nn.Embedding(1000, 16, padding_idx=5)
    w = m.weight.detach().numpy()
    assert w.dtype == np.float32 and not w[5].any()
    assert abs(w.std() - 1) < 0.05 and abs(w.mean()) < 0.05


def test_embedding_renorm_is_in_place_and_touches_only_looked_up_rows(rng):
    w = rng.standard_normal((6, 3)) * 3
    ew = ember.tensor(w)
    F.embedding(ember.tensor([1, 1, 4]), ew, max_norm=1.0)
    tw = torch.tensor(w)
    TF.embedding(torch.tensor([1, 1, 4]), tw, max_norm=1.0)
    assert_close(ew, tw)
    np.testing.assert_array_equal(ew.numpy()[[0, 2, 3, 5]], w[[0, 2, 3, 5]])


def test_embedding_scaled_table_gradient_has_its_derivative(rng):
    # the table gradient with padding and frequency scaling is linear in the incoming
    # gradient; its own derivative (used by double backward) must be its adjoint
    from ember.ops import TABLE
    idx = ember.tensor(rng.integers(0, 5, (4, 3)))
    g = ember.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda g: TABLE["embedding_backward"].fn(g, idx, 5, 1, True), [g])


def test_from_pretrained_freezes_by_default(rng):
    w = rng.standard_normal((4, 3))
    e = ember.nn.Embedding.from_pretrained(ember.tensor(w))
    t = torch.nn.Embedding.from_pretrained(torch.tensor(w))
    assert repr(e) == repr(t) and not e.weight.requires_grad
    assert_close(e(ember.tensor([3, 0])), t(torch.tensor([3, 0])))
    e = ember.nn.Embedding.from_pretrained(ember.tensor(w), freeze=False, padding_idx=0)
    assert e.weight.requires_grad and e.padding_idx == 0
    bag = ember.nn.EmbeddingBag.from_pretrained(ember.tensor(w), mode="sum")
    assert not bag.weight.requires_grad


BAGS = [
    ({"mode": "sum"}, [1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 2, 5], None),
    ({"mode": "mean"}, [1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 2, 5], None),
    ({"mode": "max"}, [1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 2, 5], None),
    ({"mode": "mean", "padding_idx": 4}, [1, 2, 4, 5, 4, 3, 2, 9], [0, 3, 4], None),
    ({"mode": "sum", "include_last_offset": True}, [1, 2, 4, 5, 4, 3], [0, 2, 4, 6], None),
    ({"mode": "sum"}, [1, 2, 4, 5, 4, 3], [0, 1, 3], "weights"),
    ({"mode": "max"}, [[1, 2, 3], [7, 7, 0]], None, None),
    ({"mode": "mean", "max_norm": 1.0}, [[1, 2, 3], [7, 7, 0]], None, None),
]


@pytest.mark.parametrize("kwargs,idx,offsets,weights", BAGS)
def test_embedding_bag_matches_torch(kwargs, idx, offsets, weights, rng):
    t_mod, e_mod = _pair("EmbeddingBag", 10, 3, **kwargs)
    idx = np.array(idx)
    psw = rng.standard_normal(idx.shape) if weights else None
    t_in = [torch.tensor(idx), None if offsets is None else torch.tensor(offsets)]
    e_in = [ember.tensor(idx), None if offsets is None else ember.tensor(offsets)]
    t_psw = e_psw = None
    if psw is not None:
        t_psw = torch.tensor(psw, requires_grad=True)
        e_psw = ember.tensor(psw, requires_grad=True)
    t_out, e_out = t_mod(*t_in, per_sample_weights=t_psw), e_mod(*e_in,
                                                                 per_sample_weights=e_psw)
    assert_close(e_out, t_out)
    _backward_both(e_out, t_out, rng)
    assert_close(e_mod.weight.grad, t_mod.weight.grad)
    if psw is not None:
        assert_close(e_psw.grad, t_psw.grad)


@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot_matches_torch(num_classes, rng):
    idx = rng.integers(0, 5, (3, 4))
    assert_close(F.one_hot(ember.tensor(idx), num_classes),
                 TF.one_hot(torch.tensor(idx), num_classes))


@pytest.mark.parametrize("fn", [
    lambda lib, f, w: f.embedding(lib.tensor([10]), w),
    lambda lib, f, w: f.embedding(lib.tensor([-1]), w),
    lambda lib, f, w: f.embedding(lib.tensor([1.0]), w),
    lambda lib, f, w: f.embedding(lib.tensor([1]), w, padding_idx=10),
    lambda lib, f, w: f.embedding(lib.tensor([1]), w[0]),
    lambda lib, f, w: lib.nn.Embedding(5, 2, padding_idx=5),
    lambda lib, f, w: lib.nn.Embedding.from_pretrained(w[0]),
    lambda lib, f, w: f.embedding_bag(lib.tensor([1, 2]), w, lib.tensor([1])),
    lambda lib, f, w: f.embedding_bag(lib.tensor([[1, 2]]), w, lib.tensor([0])),
    lambda lib, f, w: f.embedding_bag(lib.tensor([1, 2]), w),
    lambda lib, f, w: f.embedding_bag(lib.tensor([1, 2]), w, lib.tensor([0]), mode="min"),
    lambda lib, f, w: f.embedding_bag(lib.tensor([1, 2]), w, lib.tensor([0]), mode="max",
                                      per_sample_weights=lib.ones(2, dtype=w.dtype)),
    lambda lib, f, w: f.embedding_bag(lib.tensor([1, 2]), w, lib.tensor([0]), mode="sum",
                                      per_sample_weights=lib.ones(3, dtype=w.dtype)),
    lambda lib, f, w: f.one_hot(lib.tensor([1.0])),
    lambda lib, f, w: f.one_hot(lib.tensor([-1])),
    lambda lib, f, w: f.one_hot(lib.tensor([3]), 2),
])
def test_embedding_errors_like_torch(fn):
    w = np.random.default_rng(0).standard_normal((10, 3))
    assert_raises_like_torch(lambda: fn(ember, F, ember.tensor(w)),
                             lambda: fn(torch, TF, torch.tensor(w)))


def test_embedding_index_error_names_index_and_table_size():
    with pytest.raises(IndexError, match="index 12 .* 10 rows"):
        F.embedding(ember.tensor([3, 12]), ember.zeros(10, 2))
