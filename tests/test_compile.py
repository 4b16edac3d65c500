"""ember.compile: guarded capture, captured backward, recapture, eager fallback, explain."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch

import ember
from ember import compiler
from tests._graph_models import assert_same, scalar_loss, twins, zoo

MODELS = zoo()


def _entries(compiled):
    fn = compiled._compiled if isinstance(compiled, compiler.OptimizedModule) else compiled
    return [e for e in fn._cache.values() if isinstance(e, compiler.Entry)]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name", list(MODELS))
def test_compiled_training_equals_eager(name, train):
    make, inputs = MODELS[name]
    eager, twin = twins(make, train)
    compiled = ember.compile(twin)
    opt_e = ember.optim.SGD(eager.parameters(), lr=0.01)
    opt_c = ember.optim.SGD(twin.parameters(), lr=0.01)
    for step in range(3):
        x = inputs()
        out_e, out_c = eager(*x), compiled(*x)
        assert_same(out_e, out_c, f"{name} step {step} forward")
        for opt, out in ((opt_e, out_e), (opt_c, out_c)):
            opt.zero_grad()
            scalar_loss(out).backward()
            opt.step()
        for (n, p), q in zip(eager.named_parameters(), twin.parameters()):
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=n)
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)
        for (n, b), c in zip(eager.named_buffers(), twin.buffers()):
            np.testing.assert_array_equal(b.numpy(), c.numpy(), err_msg=n)
    entry, = _entries(compiled)  # captured once, replayed after
    assert entry.backward is not None
    with ember.no_grad():  # a second variant: inference
        x = inputs()
        assert_same(eager(*x), compiled(*x), f"{name} inference")
    assert len(_entries(compiled)) == 2


def test_compiled_mlp_matches_pytorch(rng):
    x = rng.standard_normal((6, 5), np.float32)
    w = rng.standard_normal((4, 5), np.float32)
    model = ember.nn.Linear(5, 4)
    model.weight.data = ember.tensor(w)
    ref = torch.nn.Linear(5, 4)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
        ref.bias.copy_(torch.tensor(model.bias.detach().numpy()))
    fast = ember.compile(lambda x: model(x).tanh().sum())
    for _ in range(2):
        model.zero_grad()
        ref.zero_grad()
        xe = ember.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        fast(xe).backward()
        ref(xt).tanh().sum().backward()
        for a, b in ((xe.grad, xt.grad), (model.weight.grad, ref.weight.grad),
                     (model.bias.grad, ref.bias.grad)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)


def test_recompiles_on_new_shape_dtype_grad_mode_and_training():
    model = ember.nn.Sequential(ember.nn.Linear(3, 3), ember.nn.Dropout(0.0))
    fast = ember.compile(model, dynamic=False)  # (automatic dynamic sizes: tests below)
    fast(ember.randn(2, 3))
    fast(ember.randn(2, 3))
    assert len(_entries(fast)) == 1
    fast(ember.randn(5, 3))  # new shape
    assert len(_entries(fast)) == 2
    model.double()
    fast(ember.randn(5, 3, dtype=ember.float64))  # new dtype
    assert len(_entries(fast)) == 3
    with ember.no_grad():
        fast(ember.randn(5, 3, dtype=ember.float64))
    model.eval()
    fast(ember.randn(5, 3, dtype=ember.float64))
    assert len(_entries(fast)) == 5


def test_cache_limit_then_eager(monkeypatch):
    monkeypatch.setattr(compiler.config, "cache_size_limit", 2)
    f = ember.compile(lambda x: x * 2, dynamic=False)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for n in range(1, 5):
            x = ember.randn(n)
            np.testing.assert_array_equal(f(x).numpy(), (x * 2).numpy())
    assert len(_entries(f)) == 2
    assert any("cache_size_limit" in str(w.message) for w in record)


def test_graph_break_runs_the_ops_before_it_compiled_and_explain_names_the_line():
    def f(x):
        y = x * 2
        if y.sum() > 0:  # the break
            return y + 1
        return y - 1
    line = f.__code__.co_firstlineno + 2
    fast = ember.compile(f)
    for sign in (1, -1):
        x = ember.ones(3) * sign
        np.testing.assert_array_equal(fast(x).numpy(), f(x).numpy())
    report = compiler.explain(f)(ember.ones(3))
    assert report.graph_break_count == 1 and report.graph_count == 2  # before and after it
    assert report.ops_per_graph == [["mul", "sum", "gt"], ["add"]]
    assert report.break_reasons[0].user_stack == f"{os.path.basename(__file__)}:{line}"
    assert "boolean" in report.break_reasons[0].reason
    assert "Break Reason 1" in str(report)
    ok = compiler.explain(lambda x: x.relu() * 2, ember.randn(3))
    assert (ok.graph_count, ok.graph_break_count, ok.ops_per_graph) == (1, 0, [["relu", "mul"]])


@pytest.mark.parametrize("train", [True, False])
def test_graph_break_prefix_outputs_and_gradients_equal_eager(train):
    eager, twin = twins(lambda: ember.nn.ModuleDict({
        "body": ember.nn.Sequential(ember.nn.Linear(8, 16), ember.nn.ReLU(),
                                    ember.nn.Linear(16, 4), ember.nn.BatchNorm1d(4)),
        "head": ember.nn.Linear(4, 3)}), train)
    kept = []

    def program(model):
        def f(x):
            h = model["body"](x)
            kept.append(h.relu())  # Python keeps a value of the part before the break
            if h[:, 0].sum() > 0:  # the break (either branch: x is random)
                return model["head"](h).relu().sum()
            return (model["head"](h) * 2).sum()
        return f
    fast = ember.compile(program(twin))
    f = program(eager)
    for step in range(6):
        x = ember.randn(5, 8)
        kept.clear()
        out_e, out_c = f(x), fast(x)
        assert_same(out_e, out_c, f"step {step}")
        assert_same(kept[0], kept[1], f"kept, step {step}")
        if train:
            out_e.backward()
            out_c.backward()
            for (n, p), q in zip(eager.named_parameters(), twin.parameters()):
                np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=n)
                p.grad = q.grad = None
        for (n, b), c in zip(eager.named_buffers(), twin.buffers()):
            np.testing.assert_array_equal(b.numpy(), c.numpy(), err_msg=n)
    entry, = fast._cache.values()
    assert isinstance(entry, compiler.PrefixEntry)
    assert [n.op for n in entry.entry.graph.nodes][-2:] == ["sum", "gt"]
    assert kept[1].grad_fn is None  # kept but not read on: as a saved tensor, no gradient


def _segments(fast):
    entry, = fast._cache.values()
    assert isinstance(entry, compiler.PrefixEntry)
    return entry.segments


@pytest.mark.parametrize("train", [True, False])
def test_the_code_after_each_break_is_compiled_with_its_backward(train):
    eager, twin = twins(lambda: ember.nn.ModuleDict({
        "a": ember.nn.Linear(6, 8), "b": ember.nn.Linear(8, 8), "c": ember.nn.Linear(8, 3)}),
        train)
    seen = []

    def program(model):
        def f(x):
            h = model["a"](x).tanh()
            seen.append(h.abs().max().item())  # break 1: Python reads data, goes on the same
            g = model["b"](h).relu() + h
            if g.mean() > -1:  # break 2: always true here
                return model["c"](g * 2).sum(), g
            return model["c"](g).sum(), g
        return f
    first = program.__code__.co_firstlineno
    fast = ember.compile(program(twin))
    f = program(eager)
    for step in range(4):
        x = ember.randn(5, 6, requires_grad=train)
        xc = x.detach().requires_grad_(train)
        out_e, out_c = f(x), fast(xc)
        assert_same(out_e, out_c, f"step {step}")
        if step:  # replays: the last part ran as a compiled graph
            assert out_c[0].grad_fn.name() == "CompiledFunctionBackward"
        if train:
            (out_e[0] + out_e[1].sum()).backward()
            (out_c[0] + out_c[1].sum()).backward()
            np.testing.assert_allclose(xc.grad.numpy(), x.grad.numpy(), rtol=1e-5, atol=1e-6)
            for (n, p), q in zip(eager.named_parameters(), twin.parameters()):
                np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-5,
                                           atol=1e-6, err_msg=n)
                p.grad = q.grad = None
    assert seen[-1] == seen[-2]
    parts = _segments(fast)
    assert [type(e).__name__ for e, _ in parts] == ["Entry", "Entry"]
    assert [n.op for n in parts[1][1].graph.nodes][-1] == "sum"
    report = compiler.explain(program(twin))(ember.randn(5, 6))
    assert report.graph_count == 3 and report.graph_break_count == 2
    assert [b.user_stack for b in report.break_reasons] == [
        f"{os.path.basename(__file__)}:{first + 3}", f"{os.path.basename(__file__)}:{first + 5}"]


def test_each_path_after_a_break_is_compiled_once_the_program_takes_it():
    weight = ember.randn(4, 4, requires_grad=True)

    def f(x):
        y = x @ weight
        scale = y.sum().item()  # a Python number the parts after the break hold
        if scale > 0:
            return (y * scale).relu()
        return (y - scale).exp()

    fast = ember.compile(f)
    xs = [ember.ones(2, 4) * s for s in (1, 1, -1, 1, -1, -1)]  # scale changes sign with x
    for step, x in enumerate(xs):
        x.requires_grad_(True)
        out = fast(x)
        out.sum().backward()
        grads = x.grad.numpy().copy(), weight.grad.numpy().copy()
        x.grad = weight.grad = None
        expected = f(x)
        expected.sum().backward()
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(grads[0], x.grad.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(grads[1], weight.grad.numpy(), rtol=1e-5, atol=1e-6)
        weight.grad = None
        if step >= 3:  # each path ran once eagerly (captured, recorded), then compiled
            assert out.grad_fn.name() == "CompiledFunctionBackward", step
    entry, = fast._cache.values()
    paths = sorted([n.op for n in part.segment.graph.nodes] for part in entry.after)
    assert paths == [["mul", "relu"], ["sub", "exp"]]  # x and -x take both branches


def test_a_part_after_a_break_writing_into_earlier_memory_stays_eager():
    def f(x):
        y = x * 2
        if y.sum() > 0:
            x.add_(1)  # run whole at its first call, the write would come too early
            return y * x
        return y
    fast = ember.compile(f)
    for _ in range(3):
        x = ember.rand(4)
        x_copy = x.clone()
        np.testing.assert_array_equal(fast(x).numpy(), f(x_copy).numpy())
        np.testing.assert_array_equal(x.numpy(), x_copy.numpy())
    assert [e for e, _ in _segments(fast)] == [None]


def test_a_break_reading_an_unknown_tensor_runs_the_whole_call_eagerly():
    def f(x):
        y = x * 2
        return y[y.argmax()] + 1  # indexing with a 0-d tensor: a read capture can't place
    fast = ember.compile(f)
    for _ in range(2):
        x = ember.randn(4)
        np.testing.assert_array_equal(fast(x).numpy(), f(x).numpy())
    assert list(fast._cache.values()) == [compiler._EAGER]


def test_fullgraph_refuses_a_break():
    @ember.compile(fullgraph=True)
    def f(x):
        return x * x.max().item()
    with pytest.raises(compiler.Unsupported, match=r"item\(\).*test_compile.py"):
        f(ember.randn(3))


def test_decorator_module_compile_and_reset():
    @ember.compile
    def f(x):
        return (x + 1).exp()
    x = ember.randn(4)
    np.testing.assert_array_equal(f(x).numpy(), (x + 1).exp().numpy())
    model = ember.nn.Linear(2, 2)
    model.compile()
    x = ember.randn(3, 2)
    model(x)
    out = model(x)
    assert out.grad_fn.name() == "CompiledFunctionBackward"
    assert len(model._compiled_call._cache) == 1
    compiler.reset()
    assert len(model._compiled_call._cache) == 0 and len(f._cache) == 0


def test_closure_weights_are_parameters_of_the_graph():
    w = ember.randn(3, 3, requires_grad=True)
    fast = ember.compile(lambda x: (x @ w).sum())
    for _ in range(2):
        w.grad = None
        fast(ember.ones(2, 3)).backward()
        np.testing.assert_allclose(w.grad.numpy(), np.full((3, 3), 2.0), rtol=0)
    with ember.no_grad():
        w.mul_(2)  # the graph reads the live tensor, not a snapshot
    np.testing.assert_allclose(fast(ember.ones(2, 3)).item(), (ember.ones(2, 3) @ w).sum().item(),
                               rtol=1e-6)


def test_input_gradients_unused_outputs_and_retain_graph():
    fast = ember.compile(lambda x, y: (x * y, x.exp(), (x + y).relu()))
    x = ember.randn(4, requires_grad=True)
    y = ember.randn(4, requires_grad=True)
    for _ in range(2):
        x.grad = y.grad = None
        a, b, _ = fast(x, y)
        (a.sum() + b.sum()).backward(retain_graph=True)  # the third output gets no grad
        np.testing.assert_allclose(x.grad.numpy(), (y + x.exp()).detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(y.grad.numpy(), x.detach().numpy(), rtol=1e-6)
        a.sum().backward()
        with pytest.raises(RuntimeError, match="second time"):
            a.sum().backward()


def test_backends_and_bad_arguments():
    x = ember.randn(3)
    for backend in ("ember", "replay", "aot_eager", "eager"):
        f = ember.compile(lambda x: x.sin() + 1, backend=backend)
        f(x)
        np.testing.assert_array_equal(f(x).numpy(), (x.sin() + 1).numpy())
    with pytest.raises(RuntimeError, match="unknown backend"):
        ember.compile(lambda x: x, backend="tvm")
    with pytest.raises(RuntimeError, match="unknown mode"):
        ember.compile(lambda x: x, mode="fastest")

    @compiler.disable
    def helper(x):
        return x * 2

    report = compiler.explain(lambda x: helper(x) + 1, ember.randn(2))
    assert report.graph_count == 0 and "helper is marked" in report.break_reasons[0].reason
    off = ember.compile(helper)
    off(x)
    assert len(off._cache) == 0  # never captured


def test_compiled_region_inside_a_trace_is_traced_through():
    inner = ember.compile(lambda x: x * 3)
    inner(ember.randn(2))
    traced = ember.jit.trace(lambda x: inner(x) + 1, ember.randn(2))
    assert [n.op for n in traced.graph.nodes] == ["mul", "add"]


def test_fused_kernels_in_the_compiled_resnet():
    make, inputs = MODELS["resnet"]
    model = make()
    fast = ember.compile(model)
    fast(*inputs())
    entry, = _entries(fast)
    assert any(n.kind == "fused" for n in entry.graph.nodes)
    assert any(n.kind == "fused" for n in entry.backward_graph.nodes)


def test_profiler_sees_the_compiled_region():
    fast = ember.compile(lambda x: (x * 2).relu().sum())
    x = ember.randn(4, requires_grad=True)
    fast(x)
    with ember.profiler.profile() as prof:
        fast(x).backward()
    names = {e.key for e in prof.key_averages()}
    assert {"CompiledFunction", "CompiledFunctionBackward"} <= names


LAYERS = {
    "conv_transpose": (lambda: ember.nn.ConvTranspose2d(3, 4, 3, stride=2), [(2, 3, 5, 5)]),
    "group_norm": (lambda: ember.nn.GroupNorm(2, 4), [(2, 4, 3, 3)]),
    "gru": (lambda: ember.nn.GRU(4, 5, batch_first=True), [(2, 3, 4)]),
    "attention": (lambda: ember.nn.MultiheadAttention(8, 2, batch_first=True),
                  [(2, 5, 8)] * 3),
    "decoder": (lambda: ember.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0,
                                                         batch_first=True), [(2, 5, 8)] * 2),
    "bilinear": (lambda: ember.nn.Bilinear(3, 4, 5), [(2, 3), (2, 4)]),
    "pool_upsample": (lambda: ember.nn.Sequential(ember.nn.MaxPool2d(2),
                                                  ember.nn.Upsample(scale_factor=2),
                                                  ember.nn.Mish()), [(1, 2, 4, 4)]),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_compiled_layers_match_eager_with_input_gradients(name):
    make, shapes = LAYERS[name]
    eager, twin = twins(make)
    fast = ember.compile(twin)
    for _ in range(2):
        xs = [ember.randn(*s) for s in shapes]
        xe = [x.clone().requires_grad_() for x in xs]
        xc = [x.clone().requires_grad_() for x in xs]
        out_e, out_c = eager(*xe), fast(*xc)
        assert_same(out_e, out_c, name)
        scalar_loss(out_e).backward()
        scalar_loss(out_c).backward()
        for a, b in zip(xe, xc):
            np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy(), err_msg=name)
        for p, q in zip(eager.parameters(), twin.parameters()):
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=name)
    assert len(_entries(fast)) == 1


def _with_batch(x, batch):
    shape = (batch,) + tuple(x.shape[1:])
    return ember.randint(0, 96, shape) if x.dtype == ember.int64 else ember.randn(*shape)


@pytest.mark.parametrize("dynamic", [True, None, False])
@pytest.mark.parametrize("name", ["mlp", "lenet", "transformer", "gpt", "lstm"])
def test_dynamic_batch_outputs_and_gradients_equal_eager(name, dynamic):
    make, inputs = MODELS[name]
    eager, twin = twins(make)
    fast = ember.compile(twin, dynamic=dynamic)
    batches = (4, 3, 6, 5, 4)
    for batch in batches:
        x = _with_batch(inputs()[0], batch)
        out_e, out_c = eager(x), fast(x)
        assert_same(out_e, out_c, f"{name} batch {batch}")
        eager.zero_grad()
        twin.zero_grad()
        scalar_loss(out_e).backward()
        scalar_loss(out_c).backward()
        for (n, p), q in zip(eager.named_parameters(), twin.parameters()):
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=n)
    captured = len(fast._compiled.graphs)
    if name == "lstm" or dynamic is False:  # its initial state is a constant of the batch's
        assert captured == len(set(batches))
    else:  # dynamic=True: never captured again; None: once more, at the second size
        assert captured == (1 if dynamic else 2)
        assert fast._compiled._dynamic[0] == (0, 0, 1)


def test_dynamic_batch_follows_a_flattened_target_and_specializes_size_one():
    model = ember.nn.Linear(5, 3)
    loss_fn = ember.nn.CrossEntropyLoss()
    fast = ember.compile(lambda x, y: loss_fn(model(x).flatten(0, 1), y))
    for batch in (4, 2, 7, 1, 3):
        x, y = ember.randn(batch, 6, 5), ember.randint(0, 3, (batch * 6,))
        model.zero_grad()
        fast(x, y).backward()
        got = model.weight.grad.clone()
        model.zero_grad()
        want = loss_fn(model(x).flatten(0, 1), y)
        want.backward()
        np.testing.assert_array_equal(got.numpy(), model.weight.grad.numpy())
    assert fast._dynamic == ((0, 0, 1), (1, 0, 6))  # y's batch is 6 per x's
    assert len(fast.graphs) == 3  # 4, then 2 (dynamic from then on), then 1 on its own


def test_generalize_fits_the_ints_that_follow_the_size():
    from ember.jit import replay, symbolic
    from ember.jit._traced import capture

    def f(x):
        return x.reshape(x.shape[0] * 2, 3)[: x.shape[0] + 1] * 2.5

    first, _, _ = capture(f, (ember.randn(4, 6),), {})
    second, _, _ = capture(f, (ember.randn(7, 6),), {})
    assert symbolic.generalize(symbolic.signature(first), second, 4, 7)
    assert repr(second.nodes[0].args) == "((2 * s[0]), 3)"
    run = replay.build(second, second.inputs, second.outputs, dims=True)
    for batch in (2, 5, 9):
        x = ember.randn(batch, 6)
        np.testing.assert_array_equal(run((batch,), x.numpy())[0], f(x).numpy())
    third, _, _ = capture(lambda x: x * float(x.shape[0]), (ember.randn(3, 2),), {})
    fourth, _, _ = capture(lambda x: x * float(x.shape[0]), (ember.randn(5, 2),), {})
    assert not symbolic.generalize(symbolic.signature(third), fourth, 3, 5)


def test_a_graph_that_depends_on_the_size_stays_specialized():
    fast = ember.compile(lambda x: x * float(x.shape[0]))  # a float that follows the size
    for batch in (2, 3, 4):
        x = ember.randn(batch, 2)
        np.testing.assert_array_equal(fast(x).numpy(), (x * float(batch)).numpy())
    assert fast._dynamic == () and len(fast.graphs) == 3


def test_dynamic_true_probe_leaves_buffers_and_random_state_alone():
    eager, twin = twins(lambda: ember.nn.Sequential(ember.nn.Linear(4, 4),
                                                    ember.nn.BatchNorm1d(4),
                                                    ember.nn.Dropout(0.5)))
    fast = ember.compile(twin, dynamic=True)
    x = ember.randn(5, 4)
    ember.manual_seed(3)
    want = eager(x)
    ember.manual_seed(3)
    got = fast(x)
    assert_same(want, got, "first call")
    for a, b in zip(eager.buffers(), twin.buffers()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_threaded_loops_run_on_the_calling_thread_inside_a_compiled_region(monkeypatch):
    from ember.kernels import softmax as kernels
    calls = []
    parallel = kernels.softmax_rows.parallel
    monkeypatch.setattr(kernels.softmax_rows, "parallel",
                        lambda *a: calls.append(1) or parallel(*a))
    threads = ember.get_num_threads()
    ember.set_num_threads(2)
    try:
        x = ember.randn(kernels.softmax_rows.grain // 256, 256)  # threaded when eager
        fast = ember.compile(lambda x: ember.softmax(x * 2, -1))
        fast(x)
        calls.clear()
        np.testing.assert_allclose(fast(x).numpy(), ember.softmax(x * 2, -1).numpy(),
                                   rtol=1e-6)
        assert len(calls) == 1  # the eager call only
        monkeypatch.setattr(compiler.config, "serial_loops", False)
        fast(x)
        assert len(calls) == 2
    finally:
        ember.set_num_threads(threads)


def test_explain_lists_a_break_on_a_path_taken_after_the_capture():
    def f(x):
        y = x * 2
        if y.sum() > 0:
            return y + 1
        z = y.exp()
        if z.max() > 0.5:  # a break on the other path only
            return z
        return z * 2
    first = f.__code__.co_firstlineno
    fast = ember.compile(f)
    for sign in (1, -1, -1):
        x = ember.ones(3) * sign
        np.testing.assert_array_equal(fast(x).numpy(), f(x).numpy())
    name = os.path.basename(__file__)
    assert [source for _, source in fast.breaks] == [f"{name}:{first + 2}", f"{name}:{first + 5}"]
