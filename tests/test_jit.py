"""ember.jit: tracing into the graph IR, replay, TracerWarnings, save/load, script, freeze."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest
import torch

import ember
from ember import jit
from tests._graph_models import assert_same, scalar_loss, twins, zoo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = zoo()


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name", list(MODELS))
def test_traced_outputs_and_gradients_equal_eager(name, train):
    make, inputs = MODELS[name]
    eager, graph = twins(make, train)
    first = inputs()
    traced = jit.trace(graph, first, check_trace=False)
    eager(*first)  # the trace ran the model once: so does the eager twin (running stats)
    for _ in range(2):  # fresh inputs each time: the trace generalizes over values
        x = inputs()
        out_e, out_t = eager(*x), traced(*x)
        assert_same(out_e, out_t, f"{name} forward")
        scalar_loss(out_e).backward()
        scalar_loss(out_t).backward()
        for (n, p), q in zip(eager.named_parameters(), graph.parameters()):
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=n)
        for (n, b), c in zip(eager.named_buffers(), graph.buffers()):
            np.testing.assert_array_equal(b.numpy(), c.numpy(), err_msg=n)
    with ember.no_grad():  # the generated-code replayer (no autograd)
        x = inputs()
        assert_same(eager(*x), traced(*x), f"{name} replay")


def test_trace_of_mlp_matches_pytorch(rng):
    w1, b1 = rng.standard_normal((8, 5), np.float32), rng.standard_normal(8, np.float32)
    w2, b2 = rng.standard_normal((3, 8), np.float32), rng.standard_normal(3, np.float32)
    x = rng.standard_normal((4, 5), np.float32)

    def net(T, x, w1, b1, w2, b2):
        return T.nn.functional.linear(T.relu(T.nn.functional.linear(x, w1, b1)), w2, b2)

    params_e = [ember.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    params_t = [torch.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    traced = jit.trace(lambda x, *p: net(ember, x, *p), (ember.tensor(x), *params_e))
    out_e = traced(ember.tensor(x), *params_e)
    out_t = net(torch, torch.tensor(x), *params_t)
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    out_e.sum().backward()
    out_t.sum().backward()
    for p, q in zip(params_e, params_t):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_graph_names_op_table_entries_params_by_state_dict_key():
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU())
    traced = jit.trace(model, ember.randn(2, 3))
    g = traced.graph
    assert {n.op for n in g.nodes} <= set(ember.ops.TABLE)
    assert [p.name for p in g.params] == ["0.weight", "0.bias"]
    assert [v.kind for v in g.inputs] == ["input"]
    assert g.output_values()[0].producer.op == "relu"
    code = traced.code
    assert code.startswith("def forward(input):") and "relu(" in code
    assert "self['0.weight']" in code
    assert f"{os.path.basename(__file__)}:" in code  # each node names the user's line


def test_scalars_and_casts_become_inputs_and_nodes():
    traced = jit.trace(lambda x, i: x * 2 + i, (ember.randn(3), ember.arange(3)))
    ops = [n.op for n in traced.graph.nodes]
    assert ops == ["mul", "_to_copy", "add"]  # the int operand is cast as eager promotes it
    assert traced.graph.nodes[0].inputs[1] == 2
    x, i = ember.randn(3), ember.arange(3)
    np.testing.assert_array_equal(traced(x, i).numpy(), (x * 2 + i).numpy())


def test_tensor_arguments_outside_the_operands_replay_as_tensors():
    model = ember.nn.Linear(4, 3)
    loss = jit.trace(lambda x, y: ember.nn.functional.cross_entropy(model(x), y),
                     (ember.randn(5, 4), ember.randint(0, 3, (5,))))
    x, y = ember.randn(5, 4), ember.randint(0, 3, (5,))
    with ember.no_grad():
        np.testing.assert_array_equal(loss(x, y).numpy(),
                                      ember.nn.functional.cross_entropy(model(x), y).numpy())


def _warned_at(record, line):
    hits = [w for w in record if issubclass(w.category, jit.TracerWarning)]
    assert hits, "no TracerWarning"
    assert any(w.filename == __file__ and w.lineno == line for w in hits), \
        [(w.filename, w.lineno) for w in hits]
    return hits


@pytest.mark.parametrize("kind", ["item", "tolist", "bool", "nonzero"])
def test_tracer_warns_at_the_users_line_on_data_dependence(kind):
    def f(x):
        if kind == "item":
            return x * x.sum().item()  # line A
        if kind == "tolist":
            return x * len([v for v in x.tolist() if v > 0])  # line A + 2
        if kind == "bool":
            return x * 2 if x.sum() > 0 else x  # line A + 4
        return x[x.nonzero()[:, 0]]  # line A + 5
    line = f.__code__.co_firstlineno + {"item": 2, "tolist": 4, "bool": 6, "nonzero": 7}[kind]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        jit.trace(f, ember.randn(5), check_trace=False)
    hits = _warned_at(record, line)
    assert "depend on tensor data" in str(hits[0].message)


def test_check_trace_catches_data_dependent_control_flow():
    def f(x):
        return x * 2 if x.sum() > 0 else x - 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jit.TracerWarning)
        with pytest.raises(jit.TracingCheckError):
            jit.trace(f, ember.ones(3), check_inputs=[(-ember.ones(3),)])


def test_strict_refuses_list_outputs():
    with pytest.raises(RuntimeError, match="strict=False"):
        jit.trace(lambda x: [x, x * 2], ember.randn(2))
    traced = jit.trace(lambda x: [x + 1, {"y": x * 2}], ember.randn(2), strict=False)
    x = ember.randn(2)
    out = traced(x)
    assert isinstance(out, list) and isinstance(out[1], dict)
    np.testing.assert_array_equal(out[1]["y"].numpy(), (x * 2).numpy())


def test_trace_module_traces_other_methods():
    class M(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = ember.nn.Linear(3, 3)

        def forward(self, x):
            return self.lin(x)

        def double(self, x):
            return self.lin(x) * 2

    m = M()
    x = ember.randn(2, 3)
    traced = jit.trace_module(m, {"forward": x, "double": x})
    with ember.no_grad():
        np.testing.assert_array_equal(traced.double(x).numpy(), m.double(x).numpy())
        np.testing.assert_array_equal(traced(x).numpy(), m(x).numpy())


def test_dropout_draws_fresh_numbers_each_replay():
    model = ember.nn.Sequential(ember.nn.Linear(50, 50), ember.nn.Dropout(0.5))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        traced = jit.trace(model, ember.randn(4, 50))
    assert any("nondeterministic" in str(w.message) for w in record)
    x = ember.randn(4, 50)
    with ember.no_grad():
        a, b = traced(x), traced(x)
    assert not np.array_equal(a.numpy(), b.numpy())
    assert set(np.unique(((a == 0) | (b == 0)).numpy())) == {False, True}


def test_batchnorm_running_stats_update_in_replay():
    eager, graph = twins(lambda: ember.nn.Sequential(ember.nn.Conv2d(2, 3, 3),
                                                     ember.nn.BatchNorm2d(3)))
    x = ember.randn(2, 2, 5, 5)
    traced = jit.trace(graph, x, check_trace=False)
    with ember.no_grad():
        eager(x)
        eager(x)
        traced(x)  # the trace's own call already updated them once
    for (n, b), c in zip(eager.named_buffers(), graph.buffers()):
        np.testing.assert_allclose(b.numpy(), c.numpy(), rtol=1e-6, err_msg=n)


# ----------------------------------------------------------------------------- save / load

_FRESH = """
import sys, ember
model = ember.jit.load(sys.argv[1])
x = ember.load(sys.argv[2])
with ember.no_grad():
    out = model(x)
ember.save(out, sys.argv[3])
print(type(model).__name__, sorted(model.state_dict())[:2])
"""


@pytest.mark.parametrize("name", ["mlp", "lenet", "resnet", "gpt", "lstm"])
def test_saved_graph_runs_in_a_fresh_process_without_the_source(tmp_path, name):
    make, inputs = MODELS[name]
    model = make().eval()
    x = inputs()
    traced = jit.trace(model, x)
    jit.save(traced, tmp_path / "model.pt")
    ember.save(x[0], tmp_path / "x.pt")
    out = subprocess.run([sys.executable, "-c", _FRESH, str(tmp_path / "model.pt"),
                          str(tmp_path / "x.pt"), str(tmp_path / "out.pt")],
                         capture_output=True, text=True, cwd=tmp_path,
                         env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("TracedModule")
    with ember.no_grad():
        assert_same(model(*x), ember.load(tmp_path / "out.pt"), name)


def test_loaded_module_keeps_state_dict_and_trains(tmp_path):
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Tanh(), ember.nn.Linear(4, 1))
    traced = jit.trace(model, ember.randn(5, 3))
    jit.save(traced, tmp_path / "m.pt")
    loaded = jit.load(tmp_path / "m.pt")
    assert list(loaded.state_dict()) == list(model.state_dict())
    x = ember.randn(5, 3)
    loaded(x).sum().backward()
    model(x).sum().backward()
    for p, q in zip(model.parameters(), loaded.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def _saved(tmp_path):
    traced = jit.trace(ember.nn.Linear(3, 2), ember.randn(1, 3))
    path = tmp_path / "m.pt"
    jit.save(traced, path)
    return path


def _rewrite_pickle(path, transform):
    with zipfile.ZipFile(path) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    name = next(n for n in entries if n.endswith("/data.pkl"))
    entries[name] = transform(entries[name])
    with zipfile.ZipFile(path, "w") as z:
        for n, data in entries.items():
            z.writestr(n, data)


def test_tampered_file_with_code_is_refused_and_runs_nothing(tmp_path):
    path = _saved(tmp_path)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    _rewrite_pickle(path, lambda _: pickle.dumps({"format": Evil()}, protocol=2))
    with pytest.raises(RuntimeError, match="refus"):
        jit.load(path)
    assert not marker.exists()


def test_tampered_graph_naming_a_foreign_op_is_refused(tmp_path):
    path = _saved(tmp_path)
    payload = ember.load(path)
    payload["graph"]["nodes"][0][0] = "system"
    ember.save(payload, path)
    with pytest.raises(RuntimeError, match="not an op of Ember's op table"):
        jit.load(path)
    payload["graph"]["nodes"][0][0] = "transpose"
    payload["graph"]["nodes"][0][2] = [{"$v": 99}]
    ember.save(payload, path)
    with pytest.raises(RuntimeError, match="tampered"):
        jit.load(path)


def test_names_from_a_file_never_reach_generated_code(tmp_path):
    path = _saved(tmp_path)
    payload = ember.load(path)
    payload["graph"]["inputs"][0][0] = "x):\n    import os; os.system('false')\n#"
    ember.save(payload, path)
    loaded = jit.load(path)
    with ember.no_grad():
        assert loaded(ember.randn(1, 3)).shape == (1, 2)


def test_save_refuses_what_is_not_traced(tmp_path):
    with pytest.raises(TypeError, match="traced"):
        jit.save(ember.nn.Linear(2, 2), tmp_path / "m.pt")


# ----------------------------------------------------------------------------- script, freeze


def test_script_serves_shape_dependent_control_flow():
    class M(ember.nn.Module):
        def forward(self, x):
            if x.shape[0] > 2:
                return x.relu()
            return x * 3

    scripted = jit.script(M())
    for n in (1, 4):
        x = ember.randn(n, 2)
        np.testing.assert_array_equal(scripted(x).numpy(), M()(x).numpy())
    assert "relu" in scripted.code  # the latest trace


def test_script_refuses_data_dependent_control_flow_clearly():
    def f(x):
        if x.sum() > 0:
            return x
        return -x
    scripted = jit.script(f)
    with pytest.raises(RuntimeError, match=r"can't script f: .*test_jit.py:\d+"):
        scripted(ember.randn(3))


def test_freeze_folds_parameters_into_constants():
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU()).eval()
    x = ember.randn(2, 3)
    with pytest.raises(RuntimeError, match="eval mode"):
        jit.freeze(jit.trace(ember.nn.Linear(3, 4), x))
    frozen = jit.freeze(jit.trace(model, x))
    assert frozen.graph.params == []
    assert "transpose" not in [n.op for n in frozen.graph.nodes]  # folded at freeze time
    with ember.no_grad():
        np.testing.assert_array_equal(frozen(x).numpy(), model(x).numpy())
        optimized = jit.optimize_for_inference(jit.trace(model, x))
        np.testing.assert_array_equal(optimized(x).numpy(), model(x).numpy())


def test_unused_raises_while_tracing_and_markers():
    @jit.unused
    def helper(x):
        return x + 1

    assert helper(ember.ones(1)).item() == 2
    with pytest.raises(RuntimeError, match="unused"):
        jit.trace(lambda x: helper(x), ember.ones(1))

    @jit.ignore
    def ignored(x):
        return x * 2

    @jit.export
    def exported(self, x):
        return x

    assert ignored._ember_jit_ignore and exported._ember_jit_export


def test_idle_tracer_costs_nothing_and_nested_trace_is_refused():
    from ember import _trace_hook
    assert _trace_hook.ACTIVE == []

    def inner(x):
        return jit.trace(lambda y: y + 1, x)

    with pytest.raises(RuntimeError, match="already recording"):
        jit.trace(inner, ember.ones(2))
    assert _trace_hook.ACTIVE == []
