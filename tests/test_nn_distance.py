"""Distances and similarities against PyTorch: forward, gradients, layers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

from .helpers import assert_close, assert_raises_like_torch


def _compare(name, arrays, rng, **kwargs):
    es = [ember.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ey, ty = getattr(F, name)(*es, **kwargs), getattr(TF, name)(*ts, **kwargs)
    assert_close(ey, ty)
    g = rng.standard_normal(tuple(ty.shape))
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    for e, t in zip(es, ts):
        assert_close(e.grad, t.grad)


@pytest.mark.parametrize("kwargs", [{}, {"p": 1.0, "dim": 0}, {"p": 3.0, "dim": -1}])
def test_normalize_matches_torch(kwargs, rng):
    x = rng.standard_normal((4, 5))
    x[1] = 0  # a zero row: the eps floor
    _compare("normalize", [x], rng, **kwargs)


@pytest.mark.parametrize("shapes,kwargs", [(((4, 5), (4, 5)), {}), (((3, 4), (4,)), {"dim": -1}),
                                           (((2, 3, 4), (2, 1, 4)), {"dim": 1, "eps": 0.5})])
def test_cosine_similarity_matches_torch(shapes, kwargs, rng):
    _compare("cosine_similarity", [rng.standard_normal(s) for s in shapes], rng, **kwargs)


def test_cosine_similarity_of_zero_vector_matches_torch(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    a[0] = 0
    _compare("cosine_similarity", [a, b], rng)


@pytest.mark.parametrize("shapes,kwargs", [(((4, 5), (4, 5)), {}), (((3, 4), (4,)),
                                                                    {"p": 1.0, "keepdim": True}),
                                           (((5,), (5,)), {"p": 3.0, "eps": 0.0})])
def test_pairwise_distance_matches_torch(shapes, kwargs, rng):
    _compare("pairwise_distance", [rng.standard_normal(s) for s in shapes], rng, **kwargs)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_pdist_matches_torch(p, rng):
    _compare("pdist", [rng.standard_normal((5, 3))], rng, p=p)


def test_distance_layers_match_torch(rng):
    a, b = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    for name, kwargs in [("CosineSimilarity", {"dim": 0}), ("PairwiseDistance", {"p": 1.5})]:
        e_mod, t_mod = getattr(ember.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
        assert repr(e_mod) == repr(t_mod)
        assert_close(e_mod(ember.tensor(a), ember.tensor(b)), t_mod(torch.tensor(a),
                                                                    torch.tensor(b)))


def test_pdist_errors_like_torch():
    x = np.zeros((2, 3, 4))
    assert_raises_like_torch(lambda: F.pdist(ember.tensor(x)), lambda: TF.pdist(torch.tensor(x)))
    assert_raises_like_torch(lambda: F.pdist(ember.tensor(x[0]), -1.0),
                             lambda: TF.pdist(torch.tensor(x[0]), -1.0))
