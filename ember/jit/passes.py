"""Rewrites of a `Graph`, each a small function that edits the graph in place.

Every pass keeps the program's meaning, including memory that is written in place: a node
that reads or makes a value sharing memory with an in-place write (`mutated_values`) is
left alone by the passes that would merge, fold or bypass it.

    g = traced.graph
    eliminate_dead_code(g); eliminate_common_subexpressions(g); fold_constants(g)
    simplify(g)
"""
from __future__ import annotations

import math

import numpy as np

from ..ops._op import TABLE
from .ir import AsArray, Graph, Node, Value
from .symbolic import has_dims
from .tracer import Generator


def optimize(graph: Graph, outputs=None) -> Graph:
    """The standard pipeline: simplify, merge, fold, then drop what is dead."""
    simplify(graph)
    eliminate_common_subexpressions(graph)
    fold_constants(graph)
    eliminate_dead_code(graph, outputs)
    return graph


# ----------------------------------------------------------------------------- helpers


def mutated_values(graph: Graph) -> set:
    """Values that may share memory with a tensor written in place: the targets of in-place
    nodes and everything connected to them through view ops."""
    parent: dict = {}

    def find(v):
        while parent.get(v, v) is not v:
            v = parent[v]
        return v

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra is not rb:
            parent[ra] = rb

    targets = []
    for n in graph.nodes:
        if n.kind == "inplace":
            union(n.inputs[0], n.outputs[0])
            targets.append(n.outputs[0])
        elif n.kind == "op" and TABLE[n.op].view is not None and isinstance(n.inputs[0], Value):
            for o in n.outputs:
                union(n.inputs[0], o)
    if not targets:
        return set()
    roots = {find(t) for t in targets}
    return {v for v in graph.values() if find(v) in roots}


def _pure(n: Node, mutated: set) -> bool:
    """Whether ``n`` can be merged, folded or bypassed: a plain, deterministic op touching
    no memory that is written in place."""
    if n.kind != "op" or any(isinstance(a, (Generator, np.random.Generator))
                             for a in _flat(n.args)):
        return False  # a random draw: two calls differ
    if not mutated:
        return True
    return not any(v in mutated for v in n.reads()) and not any(o in mutated for o in n.outputs)


def _flat(obj):
    if isinstance(obj, (tuple, list)):
        for x in obj:
            yield from _flat(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _flat(x)
    else:
        yield obj


def replace_uses(graph: Graph, mapping: dict) -> None:
    """Make every reader of ``v`` (nodes and graph outputs) read ``mapping[v]`` instead."""
    if not mapping:
        return
    for n in graph.nodes:
        n.replace_reads(mapping)
    graph.outputs = [mapping.get(v, v) if isinstance(v, Value) else v for v in graph.outputs]


def drop_detach(graph: Graph) -> Graph:
    """Bypass ``detach`` nodes: for graphs that run without autograd (compiled regions),
    where they only mark where gradients stop."""
    mapping = {}
    kept = []
    for n in graph.nodes:
        n.replace_reads(mapping)
        if n.op == "detach" and n.kind == "op":
            mapping[n.outputs[0]] = n.inputs[0]
            continue
        kept.append(n)
    graph.nodes = kept
    replace_uses(graph, mapping)
    return graph


# ----------------------------------------------------------------------------- dead code


def eliminate_dead_code(graph: Graph, outputs=None) -> Graph:
    """Drop nodes whose results nothing reads (in-place writes always stay), and constants
    nothing reads. ``outputs``: the values to keep (default: the graph's outputs)."""
    live = set(graph.output_values() if outputs is None else
               [v for v in outputs if isinstance(v, Value)])
    kept = []
    for n in reversed(graph.nodes):
        if n.kind == "inplace" or any(o in live for o in n.outputs) or (
                n.stash is not None and n.stash in live):
            kept.append(n)
            live.update(n.reads())
    graph.nodes = kept[::-1]
    graph.constants = [c for c in graph.constants if c in live]
    return graph


# ----------------------------------------------------------------------------- liveness


def last_readers(graph: Graph, outputs=()) -> dict:
    """node -> the values computed in the graph whose last reader it is (so they may be
    freed, or their memory reused, once it has run). Values in ``outputs`` live on."""
    keep = {v for v in outputs if isinstance(v, Value)} | set(graph.output_values())
    last: dict = {}
    for n in graph.nodes:
        for v in n.reads():
            if v.kind in ("node", "stash") and v not in keep:
                last[v] = n
    found: dict = {}
    for v, n in last.items():
        found.setdefault(n, []).append(v)
    return found


# ----------------------------------------------------------------------------- CSE


def _key(obj):
    """A hashable stand-in for an argument (values by identity)."""
    if isinstance(obj, Value):
        return ("value", obj.id)
    if isinstance(obj, AsArray):
        return ("array", obj.value.id)
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__,) + tuple(_key(x) for x in obj)
    if isinstance(obj, dict):
        return ("dict",) + tuple(sorted((k, _key(x)) for k, x in obj.items()))
    if isinstance(obj, slice):
        return ("slice", _key(obj.start), _key(obj.stop), _key(obj.step))
    if isinstance(obj, float) and math.isnan(obj):
        return ("nan", id(obj))
    try:
        hash(obj)
    except TypeError:
        return ("object", id(obj))
    return (type(obj).__name__, obj)


def eliminate_common_subexpressions(graph: Graph) -> Graph:
    """Compute each (op, operands, arguments) once: later copies read the first's outputs."""
    mutated = mutated_values(graph)
    seen: dict = {}
    mapping: dict = {}
    kept = []
    for n in graph.nodes:
        n.replace_reads(mapping)
        if _pure(n, mutated) and n.stash is None:
            key = (n.op, _key(n.inputs), _key(n.args), _key(n.kwargs))
            first = seen.get(key)
            if first is not None:
                mapping.update(zip(n.outputs, first.outputs))
                continue
            seen[key] = n
        kept.append(n)
    graph.nodes = kept
    replace_uses(graph, mapping)
    return graph


# ----------------------------------------------------------------------------- folding


def fold_constants(graph: Graph) -> Graph:
    """Run at compile time every node that reads only constants; its outputs become
    constants."""
    mutated = mutated_values(graph)
    mapping: dict = {}
    kept = []
    for n in graph.nodes:
        n.replace_reads(mapping)
        reads = n.reads()
        if (_pure(n, mutated) and reads and all(v.kind == "constant" for v in reads)
                and not any(o in mutated for o in n.outputs)
                and not has_dims((n.args, n.kwargs))):  # sizes known only when it runs
            results = _run_node(n)
            for v, a in zip(n.outputs, results):
                c = graph.add_constant(np.asarray(a), v.dtype, v.device)
                mapping[v] = c
            continue
        kept.append(n)
    graph.nodes = kept
    replace_uses(graph, mapping)
    return graph


def _run_node(n: Node) -> tuple:
    from .._tensor import wrap
    from .ir import resolve
    op = TABLE[n.op]
    operands = [x.data if isinstance(x, Value) else x for x in n.inputs]
    if op.nin == -1:
        operands = [operands]

    def tensor_of(v):
        return wrap(v.data)
    out = op.forward(np, *operands, *resolve(n.args, tensor_of), **resolve(n.kwargs, tensor_of))
    if op.stash:
        out = out[0]
    return (out,) if op.n_outputs == 1 else tuple(out)


# ----------------------------------------------------------------------------- algebra


def _is_number(x, value) -> bool:
    return type(x) in (int, float) and x == value


def simplify(graph: Graph) -> Graph:
    """Algebraic identities: ``x * 1``, ``x + 0``, ``x - 0``, ``x / 1`` are ``x``; a
    transpose of a transpose of the same dims is the original; a reshape of a reshape is one
    reshape; a reshape to the same shape is the tensor itself."""
    mutated = mutated_values(graph)
    outputs = set(graph.output_values())
    mapping: dict = {}
    kept = []
    for n in graph.nodes:
        n.replace_reads(mapping)
        if _pure(n, mutated):
            same = _identity_of(n)
            # An output must not become the caller's own input, parameter or constant: the
            # caller could then write into those through it.
            if same is not None and not (n.outputs[0] in outputs and same.kind != "node"):
                mapping[n.outputs[0]] = same
                continue
            _merge_reshapes(n)
        kept.append(n)
    graph.nodes = kept
    replace_uses(graph, mapping)
    return graph


def _identity_of(n: Node) -> Value | None:
    """The value ``n``'s output equals, when ``n`` is an identity."""
    out = n.outputs[0]
    if n.op in ("mul", "add", "sub", "div") and len(n.inputs) == 2:
        a, b = n.inputs
        unit = 1 if n.op in ("mul", "div") else 0
        alpha_ok = n.op not in ("add", "sub") or not n.args or n.args[0] == 1
        if n.op == "div" and n.args and n.args[0] is not None:
            return None  # a rounding mode changes x / 1 too
        candidates = [(a, b)] + ([(b, a)] if n.op in ("mul", "add") else [])
        for x, c in candidates:
            if (alpha_ok and isinstance(x, Value) and _is_number(c, unit)
                    and x.shape == out.shape and x.dtype == out.dtype):
                return x
        return None
    if n.op == "transpose" and isinstance(n.inputs[0], Value):
        inner = n.inputs[0].producer
        if (inner is not None and inner.op == "transpose" and inner.kind == "op"
                and _dims(inner.args, len(out.shape)) == _dims(n.args, len(out.shape))):
            return inner.inputs[0]
    if n.op in ("reshape", "view") and isinstance(n.inputs[0], Value):
        x = n.inputs[0]
        if x.shape == out.shape:
            return x
    return None


def _dims(args, ndim) -> frozenset:
    return frozenset(d % ndim for d in args[:2])


def _merge_reshapes(n: Node) -> None:
    # reshape(reshape(x, s1), s2) reads x directly; the inner reshape may then be dead.
    if n.op != "reshape" or not isinstance(n.inputs[0], Value):
        return
    inner = n.inputs[0].producer
    if inner is not None and inner.op in ("reshape", "view") and inner.kind == "op":
        n.inputs = [inner.inputs[0]]
