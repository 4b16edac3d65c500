"""``ember.special`` and the special-function ops: the namespace against ``torch.special``,
poles and edge values, errors, in-place variants and views."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch

RNG = np.random.default_rng(7)
UNARY = {  # name -> a domain for random inputs
    "expit": (-4, 4), "logit": (0.05, 0.95), "erf": (-3, 3), "erfc": (-3, 3),
    "erfinv": (-0.9, 0.9), "erfcx": (-2, 8), "exp2": (-3, 3), "expm1": (-2, 2),
    "log1p": (-0.5, 3), "gammaln": (-4.5, 9), "digamma": (-4.5, 9), "psi": (0.2, 9),
    "i0": (-8, 8), "i0e": (-30, 30), "i1": (-8, 8), "i1e": (-30, 30), "sinc": (-3, 3),
    "round": (-5, 5), "entr": (0.01, 4), "ndtr": (-5, 5), "ndtri": (0.01, 0.99),
    "log_ndtr": (-30, 5),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_special_function_matches_torch(name):
    low, high = UNARY[name]
    x = RNG.uniform(low, high, 40)
    e, t = getattr(ember.special, name)(ember.tensor(x)), getattr(torch.special, name)(
        torch.tensor(x))
    assert_close(e, t, rtol=1e-9, atol=1e-12, what=name)
    e32 = getattr(ember.special, name)(ember.tensor(x, dtype=ember.float32))
    assert e32.dtype == ember.float32


@pytest.mark.parametrize("name,args", [
    ("polygamma", (3,)), ("multigammaln", (2,)), ("logsumexp", (0,)), ("softmax", (0,)),
    ("log_softmax", (0,))])
def test_special_functions_with_arguments(name, args):
    x = RNG.uniform(1.0, 4.0, 10)
    if name == "polygamma":
        e, t = ember.special.polygamma(3, ember.tensor(x)), torch.special.polygamma(
            3, torch.tensor(x))
    else:
        e = getattr(ember.special, name)(ember.tensor(x), *args)
        t = getattr(torch.special, name)(torch.tensor(x), *args)
    assert_close(e, t, rtol=1e-9, atol=1e-12, what=name)


@pytest.mark.parametrize("name", ["xlogy", "xlog1py", "zeta"])
def test_special_binary_functions(name):
    a, b = RNG.uniform(1.2, 4.0, (3, 5)), RNG.uniform(0.1, 3.0, 5)
    a[0, 0] = 0
    assert_close(getattr(ember.special, name)(ember.tensor(a), ember.tensor(b)),
                 getattr(torch.special, name)(torch.tensor(a), torch.tensor(b)), rtol=1e-9)


def test_zeta_gradient_in_q_matches_torch():
    s, q = RNG.uniform(1.5, 4.0, 6), RNG.uniform(0.2, 3.0, 6)
    eq, tq = ember.tensor(q, requires_grad=True), torch.tensor(q, requires_grad=True)
    ember.special.zeta(ember.tensor(s), eq).sum().backward()
    torch.special.zeta(torch.tensor(s), tq).sum().backward()
    assert_close(eq.grad, tq.grad, rtol=1e-8)


def test_poles_and_edges_match_torch():
    x = np.array([0.0, -0.0, -1.0, -2.0, -2.5, 1.0, 2.0, np.inf, -np.inf, np.nan, 1e-300, 200.5])
    for e_fn, t_fn in [(ember.lgamma, torch.lgamma), (ember.digamma, torch.digamma),
                       (ember.special.i0, torch.special.i0), (ember.special.i1e,
                                                              torch.special.i1e),
                       (ember.sinc, torch.sinc)]:
        assert_close(e_fn(ember.tensor(x)), t_fn(torch.tensor(x)), rtol=1e-10,
                     what=t_fn.__name__)
    p = np.array([0.0, 1.0, -0.5, 1.5, 1e-20, 1 - 1e-12, np.nan])
    assert_close(ember.special.ndtri(ember.tensor(p)), torch.special.ndtri(torch.tensor(p)),
                 rtol=1e-9)
    big = np.array([-30.0, 30.0, 1e10, np.nan])
    assert_close(ember.special.erfcx(ember.tensor(big)), torch.special.erfcx(torch.tensor(big)),
                 rtol=1e-12)


def test_polygamma_refuses_negative_order_and_complex_input():
    with pytest.raises(RuntimeError, match="negative n"):
        ember.polygamma(-1, ember.ones(2))
    with pytest.raises(RuntimeError):
        torch.polygamma(-1, torch.ones(2))
    with pytest.raises(NotImplementedError, match="lgamma"):
        ember.lgamma(ember.tensor([1 + 1j]))


@pytest.mark.parametrize("name,args", [("lgamma", ()), ("digamma", ()), ("polygamma", (2,)),
                                       ("i0", ()), ("sinc", ())])
def test_inplace_variants_match_torch(name, args):
    x = RNG.uniform(0.5, 3.0, 6)
    e, t = ember.tensor(x), torch.tensor(x)
    assert getattr(e, name + "_")(*args) is e
    getattr(t, name + "_")(*args)
    assert_close(e, t, rtol=1e-9)


def test_integer_inputs_compute_in_the_default_float_type():
    for name in ("lgamma", "digamma", "i0", "sinc"):
        e, t = getattr(ember, name)(ember.tensor([1, 2, 3])), getattr(torch, name)(
            torch.tensor([1, 2, 3]))
        assert_close(e, t)


def test_view_as_real_and_complex_share_memory():
    z = ember.tensor([1 + 2j, 3 - 1j])
    r = ember.view_as_real(z)
    r[0, 0] = 9.0
    assert z[0].item() == 9 + 2j
    x = ember.zeros(3, 2)
    c = ember.view_as_complex(x)
    c[1] = 2 - 5j
    assert x[1].tolist() == [2.0, -5.0]
    for bad in ((3,), (2, 4)):
        with pytest.raises(RuntimeError, match="last dimension"):
            ember.view_as_complex(ember.ones(*bad)[..., ::2] if bad == (2, 4) else
                                  ember.ones(*bad))
    with pytest.raises(RuntimeError, match="only supported for complex"):
        ember.view_as_real(ember.ones(2))


def test_statistics_errors_match_torch():
    x = ember.randn(3, 4)
    t = torch.tensor(x.numpy())
    cases = [
        (lambda m, v: m.quantile(v, 1.5), RuntimeError),
        (lambda m, v: m.quantile(v.long(), 0.5), RuntimeError),
        (lambda m, v: m.quantile(v, 0.5, interpolation="cubic"), RuntimeError),
        (lambda m, v: m.diff(v.sum()), RuntimeError),
        (lambda m, v: m.cov(v.reshape(1, 3, 4)), RuntimeError),
        (lambda m, v: m.renorm(v[0], 2, 0, 1.0), RuntimeError),
        (lambda m, v: m.unravel_index(v, (3, 4)), TypeError),
        (lambda m, v: m.gcd(v, v), NotImplementedError),
        (lambda m, v: m.frexp(v.long()), RuntimeError),
    ]
    for fn, kind in cases:
        with pytest.raises(kind):
            fn(torch, t)
        with pytest.raises(kind):
            fn(ember, x)


def test_tensor_methods_exist_like_torch():
    for name in ("lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "diff", "cov",
                 "corrcoef", "quantile", "nanquantile", "msort", "renorm", "dist", "frexp",
                 "ldexp", "angle", "heaviside", "gcd", "lcm", "nextafter"):
        assert hasattr(torch.Tensor, name) and hasattr(ember.Tensor, name), name


@pytest.mark.parametrize("name,args", [("mvlgamma", (3,)), ("renorm", (2, 0, 1.0)),
                                       ("ldexp", (lambda m: m.tensor([1.0, 2.0, 0.0, -1.0]),))])
def test_inplace_composites_match_torch_with_gradients(name, args):
    x = RNG.uniform(1.5, 3.0, (3, 4))
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e, t = ex * 1, tx * 1
    assert getattr(e, name + "_")(*(a(ember) if callable(a) else a for a in args)) is e
    getattr(t, name + "_")(*(a(torch) if callable(a) else a for a in args))
    assert_close(e, t, rtol=1e-9)
    e.sum().backward()
    t.sum().backward()
    assert_close(ex.grad, tx.grad, rtol=1e-9)


def test_polygamma_far_below_zero_matches_torch_without_summing_every_term():
    x = np.array([-3.7, -0.2, -1e4 + 0.3, -12.5, -5.5])
    for n in (2, 3, 4):
        assert_close(ember.polygamma(n, ember.tensor(x)), torch.polygamma(n, torch.tensor(x)),
                     rtol=1e-8)
    # torch sums |x| terms here; the reflection answers at once
    assert np.isfinite(ember.polygamma(2, ember.tensor([-1e12 + 0.5], dtype=ember.float64)).item())
    assert ember.special.zeta(ember.tensor([2.0]), ember.tensor([-1e300])).item() == np.inf


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_gradient_in_x_matches_torch(name):
    a, x = RNG.uniform(0.3, 8.0, (3, 4)), RNG.uniform(0.1, 15.0, 4)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e = getattr(ember.special, name)(ember.tensor(a), ex)
    t = getattr(torch.special, name)(torch.tensor(a), tx)
    assert_close(e, t, rtol=1e-8)
    e.sum().backward()
    t.sum().backward()
    assert_close(ex.grad, tx.grad, rtol=1e-8)
    assert ember.autograd.gradcheck(lambda v: getattr(ember.special, name)(ember.tensor(a), v),
                                    [ember.tensor(x, requires_grad=True)])
    with pytest.raises(NotImplementedError):
        getattr(ember.special, name)(ember.tensor(a, requires_grad=True), ex).sum().backward()
