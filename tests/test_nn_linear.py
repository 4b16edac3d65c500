"""Bilinear and LazyLinear against PyTorch: forward, gradients, reprs, initialization."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

from .helpers import assert_close, assert_raises_like_torch


@pytest.mark.parametrize("bias,lead", [(True, (5,)), (False, (2, 3)), (True, ())])
def test_bilinear_layer_matches_torch(bias, lead, rng):
    t_mod = torch.nn.Bilinear(3, 4, 2, bias=bias).double()
    e_mod = ember.nn.Bilinear(3, 4, 2, bias=bias).double()
    assert repr(e_mod) == repr(t_mod)
    for p, q in zip(t_mod.parameters(), e_mod.parameters()):
        q.data = ember.tensor(p.detach().numpy())
    a, b = rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (4,))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ea, eb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    ty, ey = t_mod(ta, tb), e_mod(ea, eb)
    assert_close(ey, ty)
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g))
    assert_close(ea.grad, ta.grad)
    assert_close(eb.grad, tb.grad)
    for (name, p), (_, q) in zip(t_mod.named_parameters(), e_mod.named_parameters()):
        assert_close(q.grad, p.grad, what=name)


def test_bilinear_default_init_bounds():
    m = ember.nn.Bilinear(16, 3, 8)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    bound = 1 / np.sqrt(16)
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound


def test_bilinear_shape_errors_like_torch():
    w = np.zeros((2, 3, 4))
    assert_raises_like_torch(
        lambda: F.bilinear(ember.zeros(5, 3).double(), ember.zeros(4, 4).double(),
                           ember.tensor(w)),
        lambda: TF.bilinear(torch.zeros(5, 3).double(), torch.zeros(4, 4).double(),
                            torch.tensor(w)))


def test_lazy_linear_materializes_on_first_call(rng):
    m = ember.nn.LazyLinear(3)
    assert repr(m) == repr(torch.nn.LazyLinear(3))
    params = list(m.parameters())
    x = rng.standard_normal((8, 5)).astype(np.float32)
    y = m(ember.tensor(x))
    assert type(m) is ember.nn.Linear and m.in_features == 5
    assert repr(m) == repr(torch.nn.Linear(5, 3))
    assert params[0] is m.weight and tuple(m.weight.shape) == (3, 5)
    bound = 1 / np.sqrt(5)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert_close(y, torch.tensor(x) @ torch.tensor(m.weight.detach().numpy()).T
                 + torch.tensor(m.bias.detach().numpy()))
    m2 = ember.nn.LazyLinear(2, bias=False).double()
    assert m2(ember.zeros(4, 6).double()).dtype == ember.float64 and m2.bias is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("weight_view", [False, True])
def test_large_linear_with_the_bias_in_the_product_matches_torch(dtype, weight_view, rng):
    """Above 65536 outputs the bias goes into the BLAS call (beta = 1); a transposed weight
    view takes NumPy's product and an add. Forward and every gradient against PyTorch."""
    x = rng.standard_normal((5, 60, 7)).astype(dtype)
    w = rng.standard_normal((7, 1200) if weight_view else (1200, 7)).astype(dtype)
    b = rng.standard_normal(1200).astype(dtype)
    grad = rng.standard_normal((5, 60, 1200)).astype(dtype)
    got = []
    for lib in (torch, ember):
        leaves = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        weight = leaves[1].mT if weight_view else leaves[1]
        y = lib.nn.functional.linear(leaves[0], weight, leaves[2])
        y.backward(lib.tensor(grad))
        got.append([y] + [t.grad for t in leaves])
    tolerance = 2e-4 if dtype == "float32" else None  # x's gradient sums 1200 products
    for k, (t, e) in enumerate(zip(*got)):
        assert_close(e, t, atol=tolerance, rtol=tolerance, what=f"output {k}")
