"""LU family, solve_ex, tensorinv/tensorsolve, householder_product and the pooling
``*_with_indices`` aliases against torch: values and gradients."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.helpers import assert_close, assert_raises_like_torch


def pair(a, grad=True):
    return (ember.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad))


def check_grads(e_out, t_out, e_leaves, t_leaves, rng):
    e_out = e_out if isinstance(e_out, (tuple, list)) else [e_out]
    t_out = t_out if isinstance(t_out, (tuple, list)) else [t_out]
    e_loss, t_loss = 0, 0
    for eo, to in zip(e_out, t_out):
        assert_close(eo, to.detach(), atol=1e-8, rtol=1e-7)
        if to.requires_grad:
            g = rng.standard_normal(tuple(to.shape))
            e_loss = e_loss + (eo * ember.tensor(g)).sum()
            t_loss = t_loss + (to * torch.tensor(g)).sum()
    e_loss.backward()
    t_loss.backward()
    for el, tl in zip(e_leaves, t_leaves):
        assert_close(el.grad, tl.grad, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 3, 3)])
def test_lu_matches_torch(rng, shape):
    e, t = pair(rng.standard_normal(shape))
    check_grads(ember.linalg.lu(e), torch.linalg.lu(t), [e], [t], rng)
    P, L, U = ember.linalg.lu(e)
    assert_close(P @ L @ U, t.detach())


@pytest.mark.parametrize("left,adjoint", [(True, False), (True, True), (False, False),
                                          (False, True)])
def test_lu_solve_matches_torch(rng, left, adjoint):
    a = rng.standard_normal((2, 4, 4))
    b = rng.standard_normal((2, 4, 3) if left else (2, 3, 4))
    (ea, ta), (eb, tb) = pair(a), pair(b)
    eLU, epiv = ember.linalg.lu_factor(ea)
    tLU, tpiv = torch.linalg.lu_factor(ta)
    e_out = ember.linalg.lu_solve(eLU, epiv, eb, left=left, adjoint=adjoint)
    t_out = torch.linalg.lu_solve(tLU, tpiv, tb, left=left, adjoint=adjoint)
    check_grads(e_out, t_out, [ea, eb], [ta, tb], rng)


def test_singular_lu_factor_and_solve_ex(rng):
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert_raises_like_torch(lambda: ember.linalg.lu_factor(ember.tensor(a)),
                             lambda: torch.linalg.lu_factor(torch.tensor(a)))
    e = ember.linalg.lu_factor_ex(ember.tensor(a))
    t = torch.linalg.lu_factor_ex(torch.tensor(a))
    for eo, to in zip(e, t):
        assert_close(eo, to)
    result, info = ember.linalg.solve_ex(ember.tensor(a), ember.ones(2).double())
    assert int(info) == 2 and result.shape == (2,) and not bool(result.isfinite().any())
    with pytest.raises(RuntimeError):
        ember.linalg.solve_ex(ember.tensor(a), ember.ones(2).double(), check_errors=True)
    with pytest.raises(RuntimeError):
        ember.linalg.lu_factor(ember.ones(2))


def test_solve_ex_matches_torch(rng):
    (ea, ta), (eb, tb) = pair(rng.standard_normal((3, 3))), pair(rng.standard_normal(3))
    e, t = ember.linalg.solve_ex(ea, eb), torch.linalg.solve_ex(ta, tb)
    assert_close(e.info, t.info)
    check_grads(e.result, t.result, [ea, eb], [ta, tb], rng)


def test_tensorinv_and_tensorsolve(rng):
    e, t = pair(rng.standard_normal((4, 6, 8, 3)))
    check_grads(ember.linalg.tensorinv(e, ind=2), torch.linalg.tensorinv(t, ind=2), [e], [t],
                rng)
    (ea, ta), (eb, tb) = pair(rng.standard_normal((2, 3, 6))), pair(rng.standard_normal((2, 3)))
    check_grads(ember.linalg.tensorsolve(ea, eb), torch.linalg.tensorsolve(ta, tb),
                [ea, eb], [ta, tb], rng)
    (ea, ta), (eb, tb) = pair(rng.standard_normal((6, 2, 3))), pair(rng.standard_normal((2, 3)))
    check_grads(ember.linalg.tensorsolve(ea, eb, dims=0),
                torch.linalg.tensorsolve(ta, tb, dims=(0,)), [ea, eb], [ta, tb], rng)
    assert_raises_like_torch(lambda: ember.linalg.tensorinv(ember.ones(2, 3), ind=1),
                             lambda: torch.linalg.tensorinv(torch.ones(2, 3), ind=1))
    assert_raises_like_torch(lambda: ember.linalg.tensorinv(ember.ones(2, 2), ind=0),
                             lambda: torch.linalg.tensorinv(torch.ones(2, 2), ind=0))


@pytest.mark.parametrize("shape,k", [((4, 3), 3), ((5, 2), 1), ((2, 4, 4), 4)])
def test_householder_product_matches_torch(rng, shape, k):
    (ea, ta), (et, tt) = pair(rng.standard_normal(shape)), \
        pair(rng.standard_normal(shape[:-2] + (k,)))
    check_grads(ember.linalg.householder_product(ea, et),
                torch.linalg.householder_product(ta, tt), [ea, et], [ta, tt], rng)
    assert_raises_like_torch(
        lambda: ember.linalg.householder_product(ember.ones(2, 3), ember.ones(2)),
        lambda: torch.linalg.householder_product(torch.ones(2, 3), torch.ones(2)))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_pool_with_indices_aliases(rng, n):
    x = rng.standard_normal((2, 3) + (6,) * n).astype(np.float32)
    for name, args in ((f"max_pool{n}d_with_indices", (2,)),
                       (f"adaptive_max_pool{n}d_with_indices", (3,))):
        e = getattr(F, name)(ember.tensor(x), *args)
        t = getattr(torch.nn.functional, name)(torch.tensor(x), *args)
        assert len(e) == 2
        assert_close(e[0], t[0])
        assert_close(e[1], t[1])


def test_older_top_level_api(rng):
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 2))
    with warnings.catch_warnings():  # torch's deprecation warning (once per process)
        warnings.simplefilter("ignore")
        t_LU, t_piv = torch.lu(torch.tensor(a))
    e_LU, e_piv = ember.lu(ember.tensor(a))
    assert_close(e_LU, t_LU)
    assert_close(e_piv, t_piv)
    assert len(ember.lu(ember.tensor(a), get_infos=True)) == 3
    for eo, to in zip(ember.lu_unpack(e_LU, e_piv), torch.lu_unpack(t_LU, t_piv)):
        assert_close(eo, to)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.lu_solve(torch.tensor(b), t_LU, t_piv)
    assert_close(ember.lu_solve(ember.tensor(b), e_LU, e_piv), expected)
    (ea, ta), (et, tt) = pair(rng.standard_normal((4, 3))), pair(rng.standard_normal(2))
    assert_close(ember.orgqr(ea, et), torch.orgqr(ta, tt).detach())


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 3), (0, 3, 3), (3, 0)])
def test_lu_factor_ex_empty_shapes(shape):
    e = ember.linalg.lu_factor_ex(ember.zeros(*shape))
    t = torch.linalg.lu_factor_ex(torch.zeros(*shape))
    for eo, to in zip(e, t):
        assert_close(eo, to)
