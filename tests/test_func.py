"""`ember.func` (torch.func): transforms compared with torch.func on random inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.func

import ember
import ember.func
from tests.helpers import assert_close, assert_raises_like_torch, copy_params

LIBS = {"ember": (ember, ember.func), "torch": (torch, torch.func)}


def leaves(tree):
    if isinstance(tree, dict):
        return [y for v in tree.values() for y in leaves(v)]
    if isinstance(tree, (tuple, list)):
        return [y for v in tree for y in leaves(v)]
    return [tree]


def compare(program, *arrays):
    """Run ``program(lib, func, *tensors)`` with ember and torch on the same float64 arrays;
    the outputs must have the same structure and values."""
    out = {}
    for name, (lib, func) in LIBS.items():
        out[name] = program(lib, func, *[lib.tensor(a) for a in arrays])
    e, t = leaves(out["ember"]), leaves(out["torch"])
    assert len(e) == len(t)
    for i, (a, b) in enumerate(zip(e, t)):
        assert_close(a, b, what=f"leaf {i}")
    return out


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def cubic(x, y):
    return (x ** 3 * y.sin()).sum()


# ---- grad, grad_and_value -------------------------------------------------------------------

def test_grad_argnums(rng):
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    compare(lambda T, F, x, y: F.grad(cubic)(x, y), x, y)
    compare(lambda T, F, x, y: F.grad(cubic, argnums=1)(x, y), x, y)
    compare(lambda T, F, x, y: F.grad(cubic, argnums=(0, 1))(x, y), x, y)
    compare(lambda T, F, x, y: F.grad(cubic, argnums=-1)(x, y), x, y)


def test_grad_pytree_args_and_aux(rng):
    def f(p, x):
        loss = (p["w"] * x).sum() + (p["b"][0] ** 2).sum()
        return loss, {"loss": loss, "n": x * 2}
    a, b, x = rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal(3)
    compare(lambda T, F, a, b, x: F.grad(f, has_aux=True)({"w": a, "b": (b,)}, x), a, b, x)
    compare(lambda T, F, a, b, x: F.grad_and_value(f, has_aux=True)({"w": a, "b": [b]}, x),
            a, b, x)


def test_grad_nested_and_under_no_grad(rng):
    x = rng.standard_normal(())
    compare(lambda T, F, x: F.grad(F.grad(lambda x: x.sin() * x ** 3))(x), x)
    compare(lambda T, F, x: F.grad(F.grad(F.grad(lambda x: x.exp() * x ** 4)))(x), x)
    for lib, func in LIBS.values():
        with lib.no_grad():
            g = func.grad(lambda x: (x ** 2).sum())(lib.tensor([1.0, 2.0]))
        assert not g.requires_grad
        np.testing.assert_allclose(g.numpy(), [2.0, 4.0])


def test_grad_closure_over_the_argument(rng):
    # The differentiated argument is the parameter, not the same tensor reached by closure.
    x = rng.standard_normal(3)
    compare(lambda T, F, x: F.grad(lambda y: (y * x).sum())(x.requires_grad_()).detach(), x)


def test_grad_composes_with_autograd(rng):
    x = rng.standard_normal(3)
    out = {}
    for name, (lib, func) in LIBS.items():
        t = lib.tensor(x, requires_grad=True)
        g = func.grad(lambda y: (y ** 3).sum())(t)
        assert g.requires_grad
        g.sum().backward()
        out[name] = t.grad
    assert_close(out["ember"], out["torch"])


def test_grad_of_unused_input_is_zero(rng):
    x, y = rng.standard_normal(2), rng.standard_normal(2)
    compare(lambda T, F, x, y: F.grad(lambda a, b: (a ** 2).sum(), argnums=(0, 1))(x, y), x, y)


def test_grad_errors():
    x = ember.ones(2), torch.ones(2)
    assert_raises_like_torch(lambda: ember.func.grad(lambda a: a)(x[0]),
                             lambda: torch.func.grad(lambda a: a)(x[1]))
    assert_raises_like_torch(lambda: ember.func.grad(ember.sum, argnums=2)(x[0]),
                             lambda: torch.func.grad(torch.sum, argnums=2)(x[1]))
    assert_raises_like_torch(lambda: ember.func.grad(ember.sum, has_aux=True)(x[0]),
                             lambda: torch.func.grad(torch.sum, has_aux=True)(x[1]))
    assert_raises_like_torch(lambda: ember.func.grad(lambda a: a.sum())(3.0),
                             lambda: torch.func.grad(lambda a: a.sum())(3.0))
    with pytest.raises(RuntimeError, match="scalar Tensor, got tensor with 1 dims"):
        ember.func.grad(lambda a: a)(x[0])


# ---- vjp, jvp -------------------------------------------------------------------------------

def test_vjp(rng):
    x, y, u, v = (rng.standard_normal(3) for _ in range(4))

    def f(a, b):
        return {"p": a * b.exp(), "q": (a.sin(),)}

    def program(T, F, x, y, u, v):
        out, vjp_fn = F.vjp(f, x, y)
        return out, vjp_fn({"p": u, "q": (v,)}), vjp_fn({"p": v, "q": (u,)})
    compare(program, x, y, u, v)
    compare(lambda T, F, x, u: F.vjp(T.sin, x)[1](u), x, u)
    compare(lambda T, F, x, u: F.vjp(lambda a: (a.cos(), a.sum()), x, has_aux=True)[2], x, u)


def test_vjp_errors():
    for lib, func in LIBS.values():
        _, vjp_fn = func.vjp(lib.sin, lib.ones(2))
        with pytest.raises(RuntimeError):
            vjp_fn(lib.ones(3))
        with pytest.raises(RuntimeError):
            vjp_fn((lib.ones(2),))


def test_jvp(rng):
    x, y, u, v = (rng.standard_normal(3) for _ in range(4))
    compare(lambda T, F, x, y, u, v: F.jvp(lambda a, b: (a * b.exp(), a.sin()), (x, y), (u, v)),
            x, y, u, v)
    compare(lambda T, F, x, u: F.jvp(lambda a: (a ** 2, a.sum()), (x,), (u,), has_aux=True),
            x, u)
    compare(lambda T, F, x, u: F.jvp(lambda a: T.zeros(2), (x,), (u,)), x, u)
    compare(lambda T, F, x, u: F.grad(lambda a: F.jvp(T.sin, (a,), (u,))[1].sum())(x), x, u)


# ---- jacrev, jacfwd, hessian ----------------------------------------------------------------

@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians(rng, transform):
    x, y = rng.standard_normal((2, 3)), rng.standard_normal(3)

    def f(a, b):
        return {"m": a @ b.exp(), "s": (a.sin() * b,)}

    compare(lambda T, F, x, y: getattr(F, transform)(f)(x, y), x, y)
    compare(lambda T, F, x, y: getattr(F, transform)(f, argnums=(0, 1))(x, y), x, y)
    compare(lambda T, F, x, y: getattr(F, transform)(lambda a: (a.exp(), a.sum()),
                                                     has_aux=True)(x), x, y)
    compare(lambda T, F, x, y: getattr(F, transform)(cubic, argnums=1)({"k": x}["k"], y), x, y)


def test_hessian(rng):
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    compare(lambda T, F, x, y: F.hessian(cubic)(x, y), x, y)
    compare(lambda T, F, x, y: F.hessian(cubic, argnums=(0, 1))(x, y), x, y)
    compare(lambda T, F, x, y: F.jacrev(F.jacrev(cubic))(x, y), x, y)
    for lib, func in LIBS.values():
        with lib.no_grad():
            h = func.hessian(cubic)(lib.tensor(x), lib.tensor(y))
        assert h.shape == (3, 3) and not h.requires_grad


def test_jacrev_chunk_size_error():
    assert_raises_like_torch(lambda: ember.func.jacrev(ember.sin, chunk_size=0),
                             lambda: torch.func.jacrev(torch.sin, chunk_size=0))


# ---- vmap -----------------------------------------------------------------------------------

def test_vmap_in_dims_out_dims(rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((3, 4))
    compare(lambda T, F, x, y: F.vmap(T.dot, in_dims=(0, 1))(x, y), x, y)
    compare(lambda T, F, x, y: F.vmap(T.mul, in_dims=(1, None))(x, y[0]), x, y)
    compare(lambda T, F, x, y: F.vmap(T.outer, in_dims=-1, out_dims=2)(x, y.T), x, y)
    compare(lambda T, F, x, y: F.vmap(lambda a: (a.sum(), a * 2), out_dims=(0, 1))(x), x, y)
    compare(lambda T, F, x, y: F.vmap(lambda a, n: a * n, in_dims=(0, None))(x, 3.0), x, y)
    compare(lambda T, F, x, y: F.vmap(lambda a, scale: a * scale)(x, scale=2.0), x, y)


def test_vmap_pytrees(rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((2, 4))

    def f(d, pair):
        return {"s": d["a"] + pair[0], "l": [d["a"].sum() * pair[1]]}
    compare(lambda T, F, x, y: F.vmap(f, in_dims=({"a": 0}, (0, None)))({"a": x}, (x, y)), x, y)
    compare(lambda T, F, x, y: F.vmap(f, in_dims=(0, [0, 1]))({"a": x}, [x, y]), x, y)


def test_vmap_nested(rng):
    x, y = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4))
    compare(lambda T, F, x, y: F.vmap(F.vmap(T.dot))(x, x), x, y)
    compare(lambda T, F, x, y: F.vmap(F.vmap(T.mul, in_dims=(0, None)), in_dims=(0, None))(x, y),
            x, y)
    compare(lambda T, F, x, y: F.vmap(F.vmap(T.outer, in_dims=(1, None)), in_dims=(2, 1))(x, y),
            x, y)


def test_vmap_empty_batch():
    for lib, func in LIBS.values():
        assert tuple(func.vmap(lib.sin)(lib.ones(0, 3)).shape) == (0, 3)


def test_vmap_gradient_flows_through(rng):
    x = rng.standard_normal((3, 2))
    out = {}
    for name, (lib, func) in LIBS.items():
        t = lib.tensor(x, requires_grad=True)
        func.vmap(lambda a: (a.exp() * a).sum())(t).sum().backward()
        out[name] = t.grad
    assert_close(out["ember"], out["torch"])


def test_vmap_randomness():
    with pytest.raises(RuntimeError, match="randomness error mode"):
        ember.func.vmap(lambda a: a + ember.rand(2))(ember.ones(3, 2))
    same = ember.func.vmap(lambda a: a + ember.rand(2), randomness="same")(ember.zeros(3, 2))
    assert (same[0] == same[1]).all() and (same[1] == same[2]).all()
    different = ember.func.vmap(lambda a: a + ember.rand(2),
                                randomness="different")(ember.zeros(3, 2))
    assert not (different[0] == different[1]).all()


@pytest.mark.parametrize("case", [
    lambda T, F, x: F.vmap(T.add)(x, T.ones(3, 3)),
    lambda T, F, x: F.vmap(T.sin, in_dims=2)(x),
    lambda T, F, x: F.vmap(T.sin, in_dims=-3)(x),
    lambda T, F, x: F.vmap(T.sin, in_dims=(0, 1))(x),
    lambda T, F, x: F.vmap(T.sin, in_dims=None)(x),
    lambda T, F, x: F.vmap(T.sin, in_dims=(None,))(x),
    lambda T, F, x: F.vmap(T.sin, in_dims="a")(x),
    lambda T, F, x: F.vmap(lambda a: 3)(x),
    lambda T, F, x: F.vmap(T.add, in_dims=(0, 0))(x, 2.0),
    lambda T, F, x: F.vmap(T.sin, out_dims=3)(x),
    lambda T, F, x: F.vmap(T.sin)(x[0, 0]),
    lambda T, F, x: F.vmap(T.sin, randomness="x")(x),
    lambda T, F, x: F.vmap(T.sin, chunk_size=0)(x),
])
def test_vmap_errors(case):
    assert_raises_like_torch(lambda: case(ember, ember.func, ember.ones(2, 3)),
                             lambda: case(torch, torch.func, torch.ones(2, 3)))


def test_vmap_error_messages():
    with pytest.raises(ValueError, match=r"got sizes \[2, 3\] for the mapped dimension"):
        ember.func.vmap(ember.add)(ember.ones(2, 3), ember.ones(3, 3))
    with pytest.raises(ValueError, match=r"Got in_dim=2 for some input, but that input is a "
                                         r"Tensor of dimensionality 2"):
        ember.func.vmap(ember.sin, in_dims=2)(ember.ones(2, 3))


# ---- modules as functions: functional_call, stack_module_state ------------------------------

def mlp(lib, seed=0):
    lib.manual_seed(seed)
    return lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2))


def twin_mlps():
    t, e = mlp(torch).double(), mlp(ember).double()
    copy_params(t, e)
    return {"ember": e, "torch": t}


def test_functional_call_substitutes_and_restores(rng):
    models = twin_mlps()
    x = rng.standard_normal((4, 3))
    w = rng.standard_normal((2, 5))
    out = {}
    for name, (lib, func) in LIBS.items():
        m = models[name]
        before = m[2].weight.detach().clone()
        weight = lib.tensor(w, requires_grad=True)
        y = func.functional_call(m, {"2.weight": weight}, (lib.tensor(x),))
        y.sum().backward()
        assert m[2].weight.grad is None and (m[2].weight == before).all()
        out[name] = (y, weight.grad)
    for a, b in zip(out["ember"], out["torch"]):
        assert_close(a, b)
    assert ember.nn.utils.stateless.functional_call is ember.func.functional_call


def test_functional_call_restores_after_an_exception():
    m = ember.nn.Linear(2, 2)
    weight = m.weight
    with pytest.raises(RuntimeError):
        ember.func.functional_call(m, {"weight": ember.ones(3, 3), "extra": ember.ones(1)},
                                   ember.ones(1, 2))
    assert m.weight is weight and not hasattr(m, "extra")


def test_functional_call_kwargs_buffers_and_tied_weights(rng):
    x = rng.standard_normal((4, 3))
    for lib, func in LIBS.values():
        bn = lib.nn.BatchNorm1d(3).double().eval()
        mean = lib.tensor(x[0])
        got = func.functional_call(bn, ({"running_mean": mean}, {}), lib.tensor(x))
        np.testing.assert_allclose(got.detach().numpy(), (x - x[0]) / np.sqrt(1 + 1e-5),
                                   atol=1e-12)
        assert (bn.running_mean == 0).all()

        tied = lib.nn.Sequential(lib.nn.Linear(3, 3, bias=False),
                              lib.nn.Linear(3, 3, bias=False)).double()
        tied[1].weight = tied[0].weight
        eye = lib.eye(3, dtype=lib.float64)
        y = func.functional_call(tied, {"0.weight": eye}, args=(), kwargs={"input": lib.tensor(x)})
        np.testing.assert_allclose(y.detach().numpy(), x)
        y = func.functional_call(tied, {"0.weight": eye}, (lib.tensor(x),), tie_weights=False)
        assert not np.allclose(y.detach().numpy(), x)


def test_functional_call_errors():
    cases = [
        lambda T, F, m: F.functional_call(m, {"weight": T.zeros(2, 2), "foo": T.ones(1)},
                                          (T.ones(1, 2),), strict=True),
        lambda T, F, m: F.functional_call(m, {"weight": T.zeros(2, 2)}, (T.ones(1, 2),),
                                          strict=True),
        lambda T, F, m: F.functional_call(m, ({"weight": T.zeros(2, 2)},
                                              {"weight": T.zeros(2, 2)}), (T.ones(1, 2),)),
    ]
    for case in cases:
        assert_raises_like_torch(lambda: case(ember, ember.func, ember.nn.Linear(2, 2)),
                                 lambda: case(torch, torch.func, torch.nn.Linear(2, 2)))
    with pytest.raises(RuntimeError, match="Missing key\\(s\\): 'bias'"):
        cases[1](ember, ember.func, ember.nn.Linear(2, 2))


def test_per_sample_gradients_match_torch(rng):
    """The torch.func recipe: vmap(grad(loss), in_dims=(None, 0, 0)) over a batch."""
    models = twin_mlps()
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    out = {}
    for name, (lib, func) in LIBS.items():
        model = models[name]
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, sample, target):
            prediction = func.functional_call(model, p, (sample.unsqueeze(0),))
            return lib.nn.functional.mse_loss(prediction, target.unsqueeze(0))

        out[name] = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, lib.tensor(x),
                                                                    lib.tensor(y))
    assert list(out["ember"]) == list(out["torch"])
    for k in out["torch"]:
        assert_close(out["ember"][k], out["torch"][k], what=k)
    # Their mean is the ordinary batch gradient.
    model = models["ember"]
    ember.nn.functional.mse_loss(model(ember.tensor(x)), ember.tensor(y)).backward()
    for k, p in model.named_parameters():
        np.testing.assert_allclose(out["ember"][k].mean(0).numpy(), p.grad.numpy(), atol=1e-12)


def test_stack_module_state_ensemble(rng):
    x = rng.standard_normal((4, 3))
    out = {}
    for name, (lib, func) in LIBS.items():
        models = [mlp(lib, seed).double() for seed in range(3)]
        if name == "ember":
            for t, e in zip([mlp(torch, s).double() for s in range(3)], models):
                copy_params(t, e)
        params, buffers = func.stack_module_state(models)
        assert params["0.weight"].is_leaf and params["0.weight"].requires_grad
        assert params["0.weight"].shape == (3, 5, 3)

        def run(p, b, data):
            return func.functional_call(models[0], (p, b), (data,))
        out[name] = func.vmap(run, in_dims=(0, 0, None))(params, buffers, lib.tensor(x))
    assert_close(out["ember"], out["torch"])
    assert_raises_like_torch(lambda: ember.func.stack_module_state([]),
                             lambda: torch.func.stack_module_state([]))


def test_functionalize(rng):
    x = rng.standard_normal(3)

    def f(a):
        b = a.clone()
        b.add_(1)
        return b * 2
    compare(lambda T, F, x: F.functionalize(f)(x), x)
    compare(lambda T, F, x: F.functionalize(f, remove="mutations_and_views")(x), x)
    assert_raises_like_torch(lambda: ember.func.functionalize(f, remove="x"),
                             lambda: torch.func.functionalize(f, remove="x"))


def test_linearize(rng):
    x, u = rng.standard_normal(3), rng.standard_normal(3)

    def program(T, F, x, u):
        out, jvp_fn = F.linearize(lambda a: a.sin() * a, x)
        return out, jvp_fn(u), jvp_fn(u * 2)
    compare(program, x, u)


def test_replace_all_batch_norm_modules(rng):
    x = rng.standard_normal((4, 3))
    compare(lambda T, F, x: F.replace_all_batch_norm_modules_(
        T.nn.Sequential(T.nn.BatchNorm1d(3).double()))(x).detach(), x)
    for lib, func in LIBS.values():
        bn = func.replace_all_batch_norm_modules_(lib.nn.Sequential(lib.nn.BatchNorm1d(3)))[0]
        assert bn.running_mean is None and not bn.track_running_stats


def test_top_level_vmap_alias():
    assert ember.vmap is ember.func.vmap


def test_vmap_dict_in_dims_by_key_and_bad_out_dims(rng):
    x = rng.standard_normal((3, 2))
    got = ember.func.vmap(lambda d: d["a"] * d["b"], in_dims=({"b": None, "a": 0},))(
        {"a": ember.tensor(x), "b": ember.ones(2, dtype=ember.float64)})
    assert_close(got, torch.tensor(x))
    assert_raises_like_torch(lambda: ember.func.vmap(ember.sin, out_dims="a")(ember.ones(2)),
                             lambda: torch.func.vmap(torch.sin, out_dims="a")(torch.ones(2)))


def test_compositions(rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal(3)

    def f(a, b):
        return (a.sin() * b).sum() + (a ** 2 * b.exp()).sum()
    compare(lambda T, F, x, y: F.vmap(F.jacrev(f), in_dims=(0, None))(x, y), x, y)
    compare(lambda T, F, x, y: F.vmap(F.hessian(f), in_dims=(0, None))(x, y), x, y)
    compare(lambda T, F, x, y: F.jacrev(F.vmap(f, in_dims=(0, None)), argnums=1)(x, y), x, y)
    compare(lambda T, F, x, y: F.grad(lambda a, b: F.vmap(f, in_dims=(0, None))(a, b).sum(),
                                      argnums=(0, 1))(x, y), x, y)
    compare(lambda T, F, x, y: F.jacrev(F.grad(f), argnums=1)(y, y), x, y)
    compare(lambda T, F, x, y: F.vmap(lambda a: F.vjp(T.sin, a)[1](y)[0])(x), x, y)


@pytest.mark.parametrize("case", [
    lambda T, F, x: F.jvp(T.sin, x, x),
    lambda T, F, x: F.jvp(T.sin, (x,), (T.ones(3),)),
    lambda T, F, x: F.jvp(T.sin, (x,), [x]),
    lambda T, F, x: F.jvp(lambda a: 3, (x,), (x,)),
    lambda T, F, x: F.vjp(lambda a: 3, x),
    lambda T, F, x: F.jacrev(lambda a: 3)(x),
    lambda T, F, x: F.grad(T.sum, argnums=())(x),
    lambda T, F, x: F.grad(T.sum, argnums=1.5)(x),
    lambda T, F, x: F.grad(T.sum, argnums=(0, 0))(x),
    lambda T, F, x: F.jacrev(T.sin, argnums=3)(x),
    lambda T, F, x: F.grad(T.sum)(T.ones(2, dtype=T.int64)),
])
def test_transform_errors(case):
    assert_raises_like_torch(lambda: case(ember, ember.func, ember.ones(2)),
                             lambda: case(torch, torch.func, torch.ones(2)))
