"""``torch.embedding_bag`` (ATen's four outputs) against PyTorch: values, bookkeeping, gradients."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch

INDICES = np.array([1, 2, 4, 5, 4, 3, 2, 9, 7])
OFFSETS = np.array([0, 4, 4, 6])


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_outputs_and_gradient_match_torch(mode, padding_idx, dtype, index_dtype, rng):
    w = rng.standard_normal((10, 3)).astype(dtype)
    idx, off = INDICES.astype(index_dtype), OFFSETS.astype(index_dtype)
    tw, ew = torch.tensor(w, requires_grad=True), ember.tensor(w, requires_grad=True)
    t_out = torch.embedding_bag(tw, torch.tensor(idx), torch.tensor(off), False, mode, False,
                                None, False, padding_idx)
    e_out = ember.embedding_bag(ew, ember.tensor(idx), ember.tensor(off), False, mode, False,
                                None, False, padding_idx)
    assert len(e_out) == 4
    for name, e, t in zip(("output", "offset2bag", "bag_size", "max_indices"), e_out, t_out):
        assert_close(e, t, what=name)
    g = rng.standard_normal(tuple(t_out[0].shape)).astype(dtype)
    t_out[0].backward(torch.tensor(g))
    e_out[0].backward(ember.tensor(g))
    assert_close(ew.grad, tw.grad)


def test_per_sample_weights_and_last_offset_match_torch(rng):
    w = rng.standard_normal((10, 4))
    psw = rng.standard_normal(9)
    args = (False, 0, False)
    t_out = torch.embedding_bag(torch.tensor(w), torch.tensor(INDICES),
                                torch.tensor([0, 4, 4, 9]), *args, torch.tensor(psw), True)
    e_out = ember.embedding_bag(ember.tensor(w), ember.tensor(INDICES),
                                ember.tensor([0, 4, 4, 9]), *args, ember.tensor(psw), True)
    for e, t in zip(e_out, t_out):
        assert_close(e, t)


@pytest.mark.parametrize("mode", [3, -1])
def test_bad_mode_raises_like_torch(mode):
    w, idx, off = np.zeros((4, 2), np.float32), np.array([0, 1]), np.array([0])
    assert_raises_like_torch(
        lambda: ember.embedding_bag(ember.tensor(w), ember.tensor(idx), ember.tensor(off),
                                    False, mode),
        lambda: torch.embedding_bag(torch.tensor(w), torch.tensor(idx), torch.tensor(off),
                                    False, mode))
