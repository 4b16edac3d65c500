"""Autograd against torch: accumulation, retain/create graph, grad(), modes, hooks, custom
Functions, gradcheck, anomaly detection, autograd.functional, and long graphs."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch

BOTH = pytest.mark.parametrize("m", [ember, torch], ids=["ember", "torch"])


def leaves(rng, *shapes, dtype=np.float64):
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    return ([ember.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def test_backward_accumulates_into_leaves(rng):
    (e,), (t,) = leaves(rng, (3,))
    for x in (e, t):
        (x * x).sum().backward()
        (x * 3).sum().backward()
    assert_close(e.grad, t.grad)
    e.grad = None
    (e * 2).sum().backward()
    assert e.grad.tolist() == [2.0] * 3


def test_transposed_weight_gradients_are_contiguous_and_unshared(rng):
    # x @ w.mT (a linear layer) hands w its gradient through a transpose of a transpose;
    # the leaf keeps it only if nothing else holds the same memory
    (x, w, v), (tx, tw, tv) = leaves(rng, (5, 3), (4, 3), (4, 3))
    for x_, w_, v_ in ((x, w, v), (tx, tw, tv)):
        y = x_ @ w_.mT
        (y * y).sum().backward(retain_graph=True)
        (x_ @ v_.mT).sum().backward()
        y.sum().backward()  # accumulates into w.grad in place
    assert_close(w.grad, tw.grad)
    assert_close(v.grad, tv.grad)
    assert w.grad.is_contiguous() and v.grad.is_contiguous()
    before = v.grad.clone()
    w.grad.zero_()
    assert_close(v.grad, before)


@pytest.mark.parametrize("transposed_leaf", [False, True])
def test_leaf_gradients_take_the_leafs_layout_like_torch(transposed_leaf, rng):
    # PyTorch's gradient layout contract: .grad has the parameter's strides, whatever layout
    # the backward produced it in
    a = rng.standard_normal((4, 3) if transposed_leaf else (3, 4))
    grads = []
    for m in (ember, torch):
        w = m.tensor(a)
        w = (w.t() if transposed_leaf else w).detach().requires_grad_()
        (w.t() * 2).sum().backward()
        grads.append((w.stride(), w.grad.stride()))
    assert grads[0] == grads[1]
    assert grads[0][0] == grads[0][1]


def test_retain_graph_allows_a_second_backward(rng):
    (e,), (t,) = leaves(rng, (3,))
    for x in (e, t):
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
    assert_close(e.grad, t.grad)


def test_second_backward_through_freed_graph_has_torch_message():
    def twice(m):
        x = m.ones(2, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()
    with pytest.raises(RuntimeError) as e_info:
        twice(ember)
    with pytest.raises(RuntimeError) as t_info:
        twice(torch)
    assert str(e_info.value) == str(t_info.value)


def test_create_graph_gives_higher_derivatives(rng):
    (e,), (t,) = leaves(rng, (4,))
    results = []
    for m, x in ((ember, e), (torch, t)):
        y = (x * x * x).sum()
        (g,) = m.autograd.grad(y, x, create_graph=True)
        (gg,) = m.autograd.grad(g.sum(), x, create_graph=True)
        (ggg,) = m.autograd.grad(gg.sum(), x)
        results.append((g, gg, ggg))
    for a, b in zip(*results):
        assert_close(a, b)
    (e.sin() * e).sum().backward(create_graph=True)
    assert e.grad.requires_grad


def test_grad_options_match_torch(rng):
    (ex, ey), (tx, ty) = leaves(rng, (3,), (3,))
    eu, tu = ember.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    go = rng.standard_normal(3)
    for m, x, y, u in ((ember, ex, ey, eu), (torch, tx, ty, tu)):
        out = x * y
        g = m.autograd.grad(out, (x, y), grad_outputs=m.tensor(go), retain_graph=True)
        unused = m.autograd.grad(out.sum(), [x, u], allow_unused=True, retain_graph=True)
        zeros = m.autograd.grad(out.sum(), [x, u], materialize_grads=True, allow_unused=True)
        if m is ember:
            e_res = (g, unused, zeros)
        else:
            t_res = (g, unused, zeros)
    for a, b in zip(e_res[0], t_res[0]):
        assert_close(a, b)
    assert_close(e_res[1][0], t_res[1][0]) and e_res[1][1] is None and t_res[1][1] is None
    assert_close(e_res[2][1], t_res[2][1])
    assert ex.grad is None  # grad() returns, never accumulates


def test_backward_inputs_restricts_accumulation(rng):
    (ex, ey), (tx, ty) = leaves(rng, (2,), (2,))
    for x, y in ((ex, ey), (tx, ty)):
        (x * y).sum().backward(inputs=[x])
    assert_close(ex.grad, tx.grad)
    assert ey.grad is None and ty.grad is None


def test_grad_errors_match_torch():
    cases = [
        lambda m: (m.ones(2, requires_grad=True) * 2).backward(),
        lambda m: m.ones(1).backward(),
        lambda m: (m.ones(2, requires_grad=True) * 2).backward(m.ones(3)),
        lambda m: m.autograd.grad((m.ones(2, requires_grad=True) * 2).sum(), m.ones(1)),
        lambda m: m.autograd.grad((m.ones(2, requires_grad=True) * 2).sum(),
                                  m.ones(1, requires_grad=True)),
        lambda m: m.ones(2, requires_grad=True).sum().backward(inputs=[]),
    ]
    for case in cases:
        assert_raises_like_torch(lambda: case(ember), lambda: case(torch))


@BOTH
def test_grad_modes_as_context_managers_and_decorators(m):
    x = m.ones(2, requires_grad=True)
    with m.no_grad():
        assert not (x * 2).requires_grad and not m.is_grad_enabled()
        with m.enable_grad():
            assert (x * 2).requires_grad
    assert m.is_grad_enabled()

    @m.no_grad()
    def frozen():
        return (x * 2).requires_grad

    @m.enable_grad()
    def thawed():
        return (x * 2).requires_grad

    assert frozen() is False
    with m.no_grad():
        assert thawed() is True
    m.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    m.set_grad_enabled(True)
    with m.set_grad_enabled(False):
        assert not m.is_grad_enabled()
    assert m.is_grad_enabled()

    @m.set_grad_enabled(False)
    def off():
        return m.is_grad_enabled()

    assert off() is False and m.is_grad_enabled()
    with m.inference_mode():
        assert not (x * 2).requires_grad and m.is_inference_mode_enabled()
    with m.inference_mode(False):
        assert (x * 2).requires_grad

    @m.inference_mode()
    def infer():
        return m.is_inference_mode_enabled()

    assert infer() and not m.is_inference_mode_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with ember.no_grad():
            raise ValueError
    assert ember.is_grad_enabled()


def test_grad_fn_names_and_next_functions_match_torch():
    graphs = []
    for m in (ember, torch):
        x = m.ones(2, requires_grad=True)
        y = m.ones(2, requires_grad=True)
        out = (x * y + x).exp()
        graphs.append(out.grad_fn)
    e, t = graphs

    def walk(node, depth=0):
        if node is None or depth > 4:
            return []
        names = [type(node).__name__]
        for nxt, nr in node.next_functions:
            names.append((nr, walk(nxt, depth + 1)))
        return names
    assert walk(e) == walk(t)
    assert e.name() == t.name() == "ExpBackward0"


def test_tensor_hooks_change_gradients_and_can_be_removed(rng):
    (e,), (t,) = leaves(rng, (3,))
    for x in (e, t):
        h = x.register_hook(lambda g: g * 10)
        (x * 2).sum().backward()
        h.remove()
        (x * 2).sum().backward()
        y = x * 3
        y.register_hook(lambda g: g + 1)
        y.sum().backward()
    assert_close(e.grad, t.grad)
    assert_raises_like_torch(lambda: ember.ones(1).register_hook(lambda g: g),
                             lambda: torch.ones(1).register_hook(lambda g: g))


@BOTH
def test_node_hooks_and_prehooks(m):
    x = m.ones(2, requires_grad=True)
    y = x * 3
    seen = []
    y.grad_fn.register_prehook(lambda grad_outputs: seen.append("pre") or
                               (grad_outputs[0] * 2,))
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append("post"))
    y.sum().backward()
    assert seen == ["pre", "post"]
    assert x.grad.tolist() == [6.0, 6.0]


@BOTH
def test_retain_grad_and_post_accumulate_hooks(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    seen = []
    x.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]
    assert seen == [[8.0, 16.0]]
    z = x * 1
    assert z.grad is None


def _custom_functions(m):
    class Cube(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return grad * 3 * x ** 2 * ctx.k, None

    class DoubleInPlace(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x.mul_(2)

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    class WithIndex(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            index = m.tensor([1])
            ctx.mark_non_differentiable(index)
            return x * 2, index

        @staticmethod
        def backward(ctx, grad, grad_index):
            return grad * 2

    def two_outputs(materialize: bool):
        class TwoOutputs(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                TwoOutputs.seen = g2  # the gradient of the unused second output
                return g1 * 2
        return TwoOutputs

    Lazy, Eager = two_outputs(False), two_outputs(True)

    class Once(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        @m.autograd.function.once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x.exp()

    class TooMany(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    return Cube, DoubleInPlace, WithIndex, Lazy, Eager, Once, TooMany


def test_custom_function_matches_torch(rng):
    (e,), (t,) = leaves(rng, (3,))
    outs = []
    for m, x in ((ember, e), (torch, t)):
        Cube, DoubleInPlace, WithIndex, Lazy, Eager, Once, _ = _custom_functions(m)
        y = Cube.apply(x, 2.0)
        assert type(y.grad_fn).__name__ == "CubeBackward"
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True)  # backward written with ops
        (gg,) = m.autograd.grad(g.sum(), x)
        b = x.clone()
        c = DoubleInPlace.apply(b)
        assert c is b and b.grad_fn is c.grad_fn
        o, index = WithIndex.apply(x)
        assert o.requires_grad and not index.requires_grad
        Lazy.apply(x)[0].sum().backward()
        Eager.apply(x)[0].sum().backward()
        assert Lazy.seen is None and Eager.seen.tolist() == [0.0] * 3
        once = Once.apply(x)
        (go,) = m.autograd.grad(once.sum(), x, create_graph=True)
        assert not go.requires_grad
        outs.append((y, g, gg, c, o, go))
    for a, b in zip(*outs):
        assert_close(a, b)


def test_custom_function_errors_match_torch():
    def too_many(m):
        TooMany = _custom_functions(m)[-1]
        TooMany.apply(m.ones(2, requires_grad=True)).sum().backward()
    assert_raises_like_torch(lambda: too_many(ember), lambda: too_many(torch))


def test_custom_function_without_grad_returns_plain_tensors():
    Cube = _custom_functions(ember)[0]
    y = Cube.apply(ember.ones(2), 2.0)
    assert not y.requires_grad and y.grad_fn is None


def test_gradcheck_and_gradgradcheck_pass_and_fail(rng):
    x = ember.tensor(rng.standard_normal(4), requires_grad=True)
    y = ember.tensor(rng.standard_normal(4), requires_grad=True)
    f = lambda a, b: (a * b).exp() * a  # noqa: E731
    for fast in (False, True):
        assert ember.autograd.gradcheck(f, (x, y), fast_mode=fast)
        assert ember.autograd.gradgradcheck(f, (x, y), fast_mode=fast)

    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * a

        @staticmethod
        def backward(ctx, grad):
            return grad  # should be 2 a grad

    for fast in (False, True):
        assert not ember.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False,
                                            fast_mode=fast)
        with pytest.raises(RuntimeError, match="Jacobian mismatch"):
            ember.autograd.gradcheck(Wrong.apply, (x,), fast_mode=fast)


def test_anomaly_detection_names_the_forward_op_and_its_stack():
    def nan_backward(m):
        x = m.zeros(1, requires_grad=True)
        with m.autograd.detect_anomaly():
            y = x.sqrt() * 0  # sqrt'(0) = inf, times 0: nan
            y.sum().backward()
    with pytest.raises(RuntimeError) as info:
        nan_backward(ember)
    message = str(info.value)
    assert "SqrtBackward0" in message and "nan" in message
    assert "nan_backward" in message  # the stack of the forward call
    assert_raises_like_torch(lambda: nan_backward(ember), lambda: nan_backward(torch))
    assert not ember.autograd.is_anomaly_enabled()
    ember.autograd.set_detect_anomaly(True)
    assert ember.autograd.is_anomaly_enabled()
    ember.autograd.set_detect_anomaly(False)
    assert not ember.autograd.is_anomaly_enabled()


F_CASES = {
    "single": (lambda x: x ** 2 * x.sin(), [(3,)]),
    "tuple_in": (lambda x, y: x * y.exp(), [(2,), (2,)]),
    "tuple_out": (lambda x: (x * 2, (x * x).sum()), [(3,)]),
    "matrix": (lambda x: (x * x).exp(), [(2, 2)]),
}


@pytest.mark.parametrize("case", sorted(F_CASES))
def test_jacobian_vjp_jvp_match_torch(case, rng):
    f, shapes = F_CASES[case]
    arrays = [rng.standard_normal(s) for s in shapes]
    e_in = tuple(ember.tensor(a) for a in arrays)
    t_in = tuple(torch.tensor(a) for a in arrays)
    if len(arrays) == 1:
        e_in, t_in = e_in[0], t_in[0]
    E, T = ember.autograd.functional, torch.autograd.functional
    for a, b in zip(_flat(E.jacobian(f, e_in)), _flat(T.jacobian(f, t_in))):
        assert_close(a, b)
    t_out = f(*t_in) if isinstance(t_in, tuple) else f(t_in)
    vs = [rng.standard_normal(tuple(o.shape)) for o in _flat(t_out)]
    e_v = tuple(ember.tensor(v) for v in vs) if isinstance(t_out, tuple) else ember.tensor(vs[0])
    t_v = tuple(torch.tensor(v) for v in vs) if isinstance(t_out, tuple) else torch.tensor(vs[0])
    for a, b in zip(_flat(E.vjp(f, e_in, e_v)), _flat(T.vjp(f, t_in, t_v))):
        assert_close(a, b)
    us = [rng.standard_normal(s) for s in shapes]
    e_u = tuple(ember.tensor(u) for u in us) if len(us) > 1 else ember.tensor(us[0])
    t_u = tuple(torch.tensor(u) for u in us) if len(us) > 1 else torch.tensor(us[0])
    for a, b in zip(_flat(E.jvp(f, e_in, e_u)), _flat(T.jvp(f, t_in, t_u))):
        assert_close(a, b)


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [y for item in x for y in _flat(item)]
    return [x]


@pytest.mark.parametrize("tuple_inputs", [False, True])
def test_hessian_hvp_vhp_match_torch(tuple_inputs, rng):
    E, T = ember.autograd.functional, torch.autograd.functional
    if tuple_inputs:
        f = lambda x, y: (x * x * y.sin()).sum() + (y ** 3).sum()  # noqa: E731
        arrays = [rng.standard_normal(2), rng.standard_normal(2)]
    else:
        f = lambda x: (x ** 3).sum() * x.exp().sum()  # noqa: E731
        arrays = [rng.standard_normal(3)]
    e_in = tuple(ember.tensor(a) for a in arrays)
    t_in = tuple(torch.tensor(a) for a in arrays)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    e_v = tuple(ember.tensor(v) for v in vs)
    t_v = tuple(torch.tensor(v) for v in vs)
    if not tuple_inputs:
        e_in, t_in, e_v, t_v = e_in[0], t_in[0], e_v[0], t_v[0]
    for a, b in zip(_flat(E.hessian(f, e_in)), _flat(T.hessian(f, t_in))):
        assert_close(a, b)
    for fn in ("hvp", "vhp"):
        for a, b in zip(_flat(getattr(E, fn)(f, e_in, e_v)), _flat(getattr(T, fn)(f, t_in, t_v))):
            assert_close(a, b)


def test_functional_edge_cases():
    E = ember.autograd.functional
    jac = E.jacobian(lambda x, y: x * 2, (ember.ones(2), ember.ones(3)))
    assert jac[1].shape == (2, 3) and not jac[1].numpy().any()
    with pytest.raises(RuntimeError, match="independent of input 1"):
        E.jacobian(lambda x, y: x * 2, (ember.ones(2), ember.ones(3)), strict=True)
    with pytest.raises(TypeError):
        E.jacobian(lambda x: x, 3.0)
    with pytest.raises(RuntimeError):
        E.vhp(lambda x: x * 2, ember.ones(2), ember.ones(2))
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ember.autograd.grad(E.vjp(lambda a: a ** 3, x, ember.ones(2), create_graph=True)[1]
                               .sum(), x)
    assert g.tolist() == [6.0, 12.0]


def test_long_chain_backprops_without_recursion():
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = -y  # the cheapest op: the test is about the walk, not the arithmetic
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


def test_saved_tensors_are_released_after_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 2
    out = (hidden * hidden).sum()
    ref = weakref.ref(hidden)
    node = out.grad_fn.next_functions[0][0]
    del hidden
    gc.collect()
    assert ref() is not None  # the graph keeps what backward needs
    out.backward()
    gc.collect()
    assert ref() is None  # ...and lets go of it once used
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        node.saved_tensors


def test_retained_graph_keeps_saved_tensors():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 2
    out = (hidden * hidden).sum()
    ref = weakref.ref(hidden)
    del hidden
    out.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    out.backward()
    assert x.grad.tolist() == [16.0, 32.0]


def test_grad_with_batched_grad_outputs_matches_torch(rng):
    (e,), (t,) = leaves(rng, (3,))
    v = rng.standard_normal((4, 3))
    results = []
    for m, x in ((ember, e), (torch, t)):
        (g,) = m.autograd.grad(x.sin() * x, x, m.tensor(v), is_grads_batched=True)
        results.append(g)
    assert_close(*results)


def test_queue_callback_runs_once_backward_is_done():
    from ember.autograd import engine
    w = ember.ones(3, requires_grad=True)
    seen = []

    def hook(grad):
        engine.queue_callback(lambda: seen.append(("callback", w.grad.tolist())))
        seen.append("hook")
    w.register_post_accumulate_grad_hook(lambda p: hook(p.grad))
    (w * 2).sum().backward()
    assert seen == ["hook", ("callback", [2.0, 2.0, 2.0])]  # after the gradient landed
    with pytest.raises(RuntimeError, match="only be installed during backward"):
        engine.queue_callback(lambda: None)
