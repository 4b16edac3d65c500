"""Each graph pass on small IR snippets: what it removes, merges or rewrites, and that the
rewritten graph computes what the original did."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.jit import fusion, passes, replay
from ember.jit._traced import capture


def _graph(fn, *args):
    graph, _, result = capture(fn, args, {})
    return graph, result


def _run(graph, *args, kernels=None):
    run = replay.build(graph, graph.inputs, graph.outputs, np, kernels)
    return run(*[a._data for a in args])


def _ops(graph):
    return [n.op for n in graph.nodes]


def _check_same(graph, result, *args, kernels=None, rtol=0.0):
    got = _run(graph, *args, kernels=kernels)
    want = result if isinstance(result, tuple) else (result,)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w._data, rtol=rtol, atol=rtol)


def test_dead_code_goes_but_in_place_writes_stay():
    buf = ember.zeros(3)

    def f(x):
        x.exp()           # unused
        buf.add_(1)       # a side effect on state
        return x * 2

    graph, result = _graph(f, ember.randn(3))
    passes.eliminate_dead_code(graph)
    assert _ops(graph) == ["add", "mul"]
    assert graph.nodes[0].kind == "inplace"
    x = ember.randn(3)
    before = buf.numpy().copy()
    np.testing.assert_array_equal(_run(graph, x)[0], (x * 2).numpy())
    np.testing.assert_array_equal(buf.numpy(), before + 1)


def test_common_subexpressions_are_computed_once():
    x = ember.randn(3, 2)
    graph, result = _graph(lambda x: x.exp() + x.exp() * x.sum(0) + x.sum(0), x)
    passes.eliminate_common_subexpressions(graph)
    assert _ops(graph).count("exp") == 1 and _ops(graph).count("sum") == 1
    _check_same(graph, result, x)


def test_cse_keeps_reads_apart_across_an_in_place_write():
    def f(x):
        y = x.clone()
        a = y * 2
        y.add_(1)
        return a, y * 2

    x = ember.randn(3)
    graph, result = _graph(f, x)
    passes.eliminate_common_subexpressions(graph)
    assert _ops(graph).count("mul") == 2
    _check_same(graph, result, x)


def test_constant_folding_runs_what_reads_only_constants():
    table = ember.arange(6.0).reshape(2, 3)

    def f(x):
        return x + (table * 2).t().sum(0)

    x = ember.randn(2)
    graph, result = _graph(f, x)
    passes.fold_constants(graph)
    passes.eliminate_dead_code(graph)
    assert _ops(graph) == ["add"]
    np.testing.assert_array_equal(graph.constants[-1].data, (table * 2).t().sum(0).numpy())
    _check_same(graph, result, x)


def test_dropout_is_never_folded_or_merged():
    def f(x):
        return ember.nn.functional.dropout(x, 0.5) + ember.nn.functional.dropout(x, 0.5)

    graph, _ = _graph(f, ember.ones(100))
    passes.optimize(graph)
    assert _ops(graph).count("_dropout") == 2


@pytest.mark.parametrize("expr, gone", [
    (lambda x: (x * 1 + 0).exp(), ["mul", "add"]),
    (lambda x: (1 * (x - 0) / 1).exp(), ["mul", "sub", "div"]),
    (lambda x: x.transpose(0, 1).transpose(1, 0) + 1, ["transpose"]),
    (lambda x: x.reshape(6).reshape(3, 2) + 1, []),
    (lambda x: x.reshape(2, 3) + 1, ["reshape"]),
])
def test_algebraic_simplification(expr, gone):
    x = ember.randn(2, 3)
    graph, result = _graph(expr, x)
    passes.simplify(graph)
    passes.eliminate_dead_code(graph)
    for op in gone:
        assert op not in _ops(graph), graph.code
    _check_same(graph, result, x)


def test_reshape_of_reshape_reads_the_source_once():
    x = ember.randn(2, 3)
    graph, result = _graph(lambda x: x.reshape(6).reshape(3, 2) * 2, x)
    passes.simplify(graph)
    passes.eliminate_dead_code(graph)
    assert _ops(graph) == ["reshape", "mul"]
    assert graph.nodes[0].inputs[0] is graph.inputs[0]
    _check_same(graph, result, x)


def test_simplification_keeps_broadcasting_and_dtype_changes():
    x = ember.randn(3)
    graph, result = _graph(lambda x: x * ember.ones(2, 3), x)  # a broadcast, not an identity
    passes.simplify(graph)
    assert _ops(graph) == ["mul"]
    i = ember.arange(3)
    graph, result = _graph(lambda i: i * 1.0, i)  # int -> float: the cast stays
    passes.simplify(graph)
    assert _ops(graph) == ["_to_copy"]
    assert _run(graph, i)[0].dtype == np.float32


def test_elementwise_chain_fuses_into_one_loop():
    x, b = ember.randn(64, 128), ember.randn(128)

    def f(x, b):
        y = (x * 2 + b).relu()
        return ember.where(y > 1, y, -y) - 0.5

    graph, result = _graph(f, x, b)
    kernels = fusion.fuse_elementwise(graph, graph.outputs, min_elements=1)
    assert _ops(graph) == ["fused"]
    assert [n.op for n in graph.nodes[0].args[0].nodes] == ["mul", "add", "relu", "gt", "neg",
                                                            "where", "sub"]
    _check_same(graph, result, x, b, kernels=kernels, rtol=1e-6)
    assert "fused[" in graph.code


def test_fusion_stops_at_values_read_elsewhere_and_other_ops():
    x = ember.randn(32, 32)

    def f(x):
        y = x * 2 + 1
        return (y @ y).relu() - 1, y.sum()

    graph, result = _graph(f, x)
    kernels = fusion.fuse_elementwise(graph, graph.outputs, min_elements=1)
    assert _ops(graph) == ["fused", "matmul", "fused", "sum"]
    _check_same(graph, result, x, kernels=kernels, rtol=1e-6)


def test_liveness_frees_temporaries_and_a_fused_loop_keeps_its_inputs():
    x = ember.randn(64, 64)

    def f(x):
        y = x @ x
        return (y * 2 + 1).relu()

    graph, result = _graph(f, x)
    last = passes.last_readers(graph)
    assert [v.producer.op for v in last[graph.nodes[1]]] == ["matmul"]
    kernels = fusion.fuse_elementwise(graph, graph.outputs, min_elements=1)
    run = replay.build(graph, graph.inputs, graph.outputs, np, kernels)
    assert "del " in run.source
    y = x._data @ x._data
    kernel, = kernels.values()
    out = kernel(y)
    assert not np.shares_memory(out, y)  # an aliased loop stays scalar (see fusion.py)
    np.testing.assert_allclose(run(x._data)[0], result._data, rtol=1e-6)


def test_a_bias_joins_the_chain_after_its_product_which_the_loop_writes_over():
    x, w, b = ember.randn(64, 32), ember.randn(80, 32), ember.randn(80)

    def f(x):
        return ember.nn.functional.linear(x, w, b).relu() * 2

    graph, result = _graph(f, x)
    assert "addmm" in _ops(graph)
    kernels = fusion.fuse_elementwise(graph, graph.outputs, min_elements=1)
    assert _ops(graph)[-2:] == ["matmul", "fused"]
    fused, = kernels
    assert [n.op for n in fused.args[0].nodes] == ["add", "relu", "mul"]
    run = replay.build(graph, graph.inputs, graph.outputs, np, kernels)
    loop = next(k for name, k in run.__globals__.items() if name.startswith("fused"))
    assert loop.into == 0  # over the product, passed once
    np.testing.assert_allclose(run(x._data)[0], result._data, rtol=1e-6, atol=1e-6)


def test_a_product_read_elsewhere_keeps_its_bias_and_its_memory():
    x, w, b = ember.randn(64, 32), ember.randn(80, 32), ember.randn(80)

    def f(x):
        y = ember.nn.functional.linear(x, w, b)
        return y.relu() * 2, y

    graph, result = _graph(f, x)
    kernels = fusion.fuse_elementwise(graph, graph.outputs, min_elements=1)
    assert "addmm" in _ops(graph)
    run = replay.build(graph, graph.inputs, graph.outputs, np, kernels)
    out, y = run(x._data)
    assert not np.shares_memory(out, y)
    np.testing.assert_allclose(out, result[0]._data, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y, result[1]._data, rtol=1e-6, atol=1e-6)


def test_a_causal_mask_of_minus_infinity_fuses_with_the_scaling():
    causal = ember.ones(8, 8, dtype=ember.bool).triu(1)

    def f(q, k):
        scores = (q @ k.transpose(-2, -1)) * 0.25
        return ember.softmax(scores.masked_fill(causal, float("-inf")), -1)

    q, k = ember.randn(2, 3, 8, 4), ember.randn(2, 3, 8, 4)
    graph, result = _graph(f, q, k)
    kernels = fusion.fuse_elementwise(graph, graph.outputs, min_elements=1)
    fused, = kernels
    assert [n.op for n in fused.args[0].nodes] == ["mul", "masked_fill"]
    _check_same(graph, result, q, k, kernels=kernels, rtol=1e-6)


def test_no_reuse_of_a_buffer_a_view_still_reads():
    x = ember.randn(64, 64)

    def f(x):
        y = x @ x
        z = y.t()
        return (y * 2 + 1).relu(), z

    graph, result = _graph(f, x)
    kernels = fusion.fuse_elementwise(graph, graph.outputs, min_elements=1)
    out, view = replay.build(graph, graph.inputs, graph.outputs, np, kernels)(x._data)
    np.testing.assert_array_equal(view, (x @ x).t().numpy())
    np.testing.assert_allclose(out, result[0]._data, rtol=1e-6)


def test_mutated_values_follow_views():
    def f(x):
        y = x.clone()
        v = y.view(-1)
        v.mul_(2)
        return y + 1

    graph, _ = _graph(f, ember.randn(2, 2))
    mutated = passes.mutated_values(graph)
    clone_out = graph.nodes[0].outputs[0]
    assert clone_out in mutated and graph.inputs[0] not in mutated


def test_graph_check_finds_reads_before_definitions():
    from ember.jit.ir import check
    graph, _ = _graph(lambda x: (x + 1) * 2, ember.randn(2))
    graph.nodes.reverse()
    with pytest.raises(ValueError, match="before it is defined"):
        check(graph)


FUSIBLE = sorted(name for name, op in ember.ops.TABLE.items() if op.scalar_form is not None)


def test_scalar_forms_are_declared_in_the_op_table():
    assert {"add", "mul", "relu", "where", "masked_fill", "gt"} <= set(FUSIBLE)
    assert all(ember.ops.TABLE[n].elementwise for n in FUSIBLE)


@pytest.mark.parametrize("name", FUSIBLE)
def test_each_scalar_form_fused_equals_the_eager_op(name):
    op = ember.ops.TABLE[name]
    x, y = ember.randn(16, 32), ember.randn(32)  # y broadcasts along the rows
    mask = ember.randn(16, 32) > 0
    tensors, plain = {1: ([x], []), 2: ([x, y], []), 3: ([x, mask], [0.5])}[op.nin]
    if name == "where":
        tensors, plain = [mask, x, y], []

    def f(*tensors):  # x * 1 first: a chain of two nodes
        return op(*[t * 1 if t is x else t for t in tensors], *plain)

    graph, result = _graph(f, *tensors)
    kernels = fusion.fuse_elementwise(graph, graph.outputs, min_elements=1)
    assert _ops(graph) == ["fused"], name
    assert [n.op for n in graph.nodes[0].args[0].nodes] == ["mul", name]
    got, = _run(graph, *tensors, kernels=kernels)
    np.testing.assert_allclose(got, result._data, rtol=1e-6, atol=1e-6)


def test_relu_writes_over_a_product_only_it_reads():
    x, w, b = ember.randn(8, 5), ember.randn(5, 6), ember.randn(6)
    graph, result = _graph(lambda x, w, b: (ember.addmm(b, x, w).relu(), (x @ w).relu() * 2),
                           x, w, b)
    run = replay.build(graph, graph.inputs, graph.outputs)
    assert run.source.count(", out=") == 3  # both relus and the mul: the products are theirs
    for got, want in zip(run(x._data, w._data, b._data), result):
        np.testing.assert_array_equal(got, want._data)
    graph, result = _graph(lambda x, w: ((x @ w).relu(), (x @ w).t()), x, w)
    passes.eliminate_common_subexpressions(graph)  # one product, read twice: no overwrite
    run = replay.build(graph, graph.inputs, graph.outputs)
    assert ", out=" not in run.source
    for got, want in zip(run(x._data, w._data), result):
        np.testing.assert_array_equal(got, want._data)
