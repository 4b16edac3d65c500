"""Fusion of elementwise chains into one compiled loop (`ember.kernels.compile_source`).

A chain is a run of elementwise nodes each feeding only the next: ``relu(x * s + b)`` is
three NumPy passes over memory (and two temporaries) but one loop here. `fuse_elementwise`
rewrites the graph, replacing each chain by one ``fused`` node whose ``args[0]`` is the
sub-graph it computes, and returns the compiled callable of each fused node. The loop body
is generated from each op's scalar form, declared beside its forward in the op table
(``mul.fuses(...)``, see `ember.ops._op.Op.fuses`). exp, log, tanh declare none: NumPy's
vectorized versions beat a scalar call per element in the loop.

A bias added to a matrix product (``addmm``) joins the chain that reads the product
(`unfold_bias`), so ``relu(x @ w.T + b)`` is the product and one pass over it.

The fused kernel writes into a buffer of its own, or over an input the replayer finds dead
there (a product nothing else reads): that input is then passed once. Passed twice, as
the output and as an input, Numba cannot prove the two apart and the loop stays scalar: a
branchy one (ReLU's backward on a random sign pattern) measured 10-15x slower (300 us
against 20 us on 128 x 512).
"""
from __future__ import annotations

import math

import numpy as np

from ..ops._op import TABLE
from .ir import Graph, Node, Value, values_in
from .passes import mutated_values
from .symbolic import has_dims

MIN_ELEMENTS = 4096  # smaller chains gain less than a kernel call costs


def fusible(n: Node, mutated: set) -> bool:
    """Whether ``n`` can be part of a fused loop."""
    if (n.kind != "op" or TABLE[n.op].scalar_form is None or n.stash is not None
            or len(n.outputs) != 1):
        return False
    out = n.outputs[0]
    if out.dtype is None or out.dtype.name not in _TYPES or out in mutated:
        return False
    if values_in((n.args, n.kwargs)) or has_dims((n.args, n.kwargs)):
        return False
    for x in n.inputs:
        if isinstance(x, Value):
            if x in mutated or x.dtype is None or x.dtype.name not in _TYPES:
                return False
            if _pattern(x.shape, out.shape) is None:
                return False
        elif type(x) not in (int, float, bool) or (
                type(x) is float and not math.isfinite(x) and out.dtype.name not in _FLOATS):
            return False
    return _scalar(n, ["a"] * len(n.inputs)) is not None


_FLOATS = ("float32", "float64")
_TYPES = {"float32": "float32", "float64": "float64", "bool": "bool_", "int64": "int64",
          "int32": "int32"}


def _scalar(n: Node, operands: list) -> str | None:
    try:
        return TABLE[n.op].scalar_form(*operands, *n.args, **n.kwargs)
    except TypeError:
        return None


def _pattern(shape, out_shape):
    """How an input of ``shape`` is read with the output seen as rows of ``n`` elements:
    "full" (x[i, j]), "scalar" (x[0]) or ("suffix", n) (x[j]: the same row for every row);
    None when it broadcasts otherwise."""
    shape, out_shape = tuple(shape), tuple(out_shape)
    size = math.prod(shape)
    if shape == out_shape:
        return "full"
    if size == 1:
        return "scalar"
    trimmed = shape
    while trimmed and trimmed[0] == 1:
        trimmed = trimmed[1:]
    if trimmed and out_shape[len(out_shape) - len(trimmed):] == trimmed:
        return ("suffix", size)
    return None


def chains(graph: Graph, keep: set, min_elements: int = MIN_ELEMENTS) -> list[list[Node]]:
    """Groups of fusible nodes of one output shape, in graph order, whose only output is
    the last node's: grown from each sink towards its producers, a producer joining once
    every reader of its result is in the group. ``keep``: values read outside the graph's
    nodes (outputs, saved for backward), which must stay materialized."""
    mutated = mutated_values(graph)
    users = graph.users()
    order = {n: i for i, n in enumerate(graph.nodes)}
    taken: set = set()
    groups = []
    for sink in reversed(graph.nodes):
        if sink in taken or not fusible(sink, mutated):
            continue
        shape = sink.outputs[0].shape
        if math.prod(shape) < min_elements:
            continue
        group = {sink}
        grew = True
        while grew:
            grew = False
            for m in list(group):
                for x in m.inputs:
                    p = x.producer if isinstance(x, Value) else None
                    if (p not in order or p in group or p in taken or x in keep
                            or x.shape != shape or not fusible(p, mutated)
                            or not all(u in group for u in users.get(x, ()))):
                        continue
                    group.add(p)
                    grew = True
        if len(group) > 1:
            taken |= group
            groups.append(sorted(group, key=order.get))
    return groups[::-1]


def unfold_bias(graph: Graph, keep: set, min_elements: int = MIN_ELEMENTS) -> None:
    """Make each ``addmm(c, x, y)`` whose only reader is a fusible node ``matmul(x, y)`` then
    ``add(product, c)``, so that the bias joins the chain after it."""
    mutated = mutated_values(graph)
    users = graph.users()
    next_id = max((v.id for v in graph.values()), default=-1) + 1
    nodes = []
    for n in graph.nodes:
        out = n.outputs[0] if n.op == "addmm" and n.kind == "op" else None
        readers = users.get(out, ())
        if (out is None or n.args or n.kwargs or len(readers) != 1 or out in keep
                or out in mutated or math.prod(out.shape) < min_elements
                or not all(isinstance(x, Value) for x in n.inputs)
                or not fusible(readers[0], mutated)):
            nodes.append(n)
            continue
        bias, x, y = n.inputs
        product_of = Node("matmul", [x, y], (), {}, "op", n.source)
        product = Value(next_id, "node", f"v{next_id}", out.shape, out.dtype, out.device,
                        product_of)
        next_id += 1
        product_of.outputs = [product]
        add = Node("add", [product, bias], (), {}, "op", n.source)
        add.outputs = [out]
        out.producer = add
        nodes += [product_of, add]
    graph.nodes = nodes


def fuse_elementwise(graph: Graph, outputs=(), min_elements: int = MIN_ELEMENTS) -> dict:
    """Replace each elementwise chain of ``graph`` by a fused node; returns
    {fused node: compiled callable}. ``outputs``: values the caller reads."""
    keep = {v for v in outputs if isinstance(v, Value)}
    unfold_bias(graph, keep, min_elements)
    kernels = {}
    for group in chains(graph, keep, min_elements):
        node = _fused_node(group)
        try:
            kernels[node] = FusedKernel(node)
        except ValueError:  # inputs broadcast in ways one loop nest doesn't cover
            continue
        at = graph.nodes.index(group[-1])
        graph.nodes[at] = node
        members = set(group[:-1])
        graph.nodes = [n for n in graph.nodes if n not in members]
    return kernels


def _fused_node(group: list[Node]) -> Node:
    sub = Graph()
    internal = {o for n in group for o in n.outputs}
    inputs: list = []
    for n in group:
        for x in n.inputs:
            if isinstance(x, Value) and x not in internal and x not in inputs:
                inputs.append(x)
    sub.nodes = list(group)
    sub.inputs = inputs
    sub.outputs = [group[-1].outputs[0]]
    node = Node("fused", inputs, (sub,), {}, "fused", group[-1].source)
    node.outputs = [group[-1].outputs[0]]
    return node


_COMPARE = frozenset({"gt", "lt", "ge", "le", "eq", "ne"})


def _literal(x, dtype_name: str) -> str:
    """A Python number in the loop's arithmetic type (a bare ``2`` would make float32 math
    float64 in Numba's typing)."""
    if type(x) is bool or dtype_name not in _FLOATS:
        return repr(x)
    x = float(x)
    if not math.isfinite(x):  # (repr gives inf and nan, names the loop doesn't have)
        return f"np.{dtype_name}({'np.nan' if x != x else ('-' if x < 0 else '') + 'np.inf'})"
    return f"np.{dtype_name}({x!r})"


class FusedKernel:
    """The compiled loop of one fused node, called with its inputs' arrays. ``into``: the
    position of an input the loop writes its result over (one the replayer found dead
    there, see `ember.jit.replay`), passed once so that Numba sees one array, which it
    vectorizes, rather than two it cannot prove apart."""

    def __init__(self, node: Node, into: int | None = None):
        self.node = node
        self.into = into
        sub: Graph = node.args[0]
        out = node.outputs[0]
        self.shape = tuple(out.shape)
        self.dtype = np.dtype(out.dtype.name)
        self.patterns = [_pattern(v.shape, self.shape) for v in node.inputs]
        rows = {p[1] for p in self.patterns if isinstance(p, tuple)}
        if len(rows) > 1:
            raise ValueError("fused inputs broadcast along different suffixes")
        self.row = rows.pop() if rows else (self.shape[-1] if self.shape else 1)
        # The call's sizes come from its operands, so that a graph over a dynamic dimension
        # (`ember.jit.symbolic`) runs at any size: the output is shaped as its first full
        # operand, its rows as long as a suffix operand.
        self.full = next((i for i, p in enumerate(self.patterns) if p == "full"), None)
        self.suffix = next((i for i, p in enumerate(self.patterns) if isinstance(p, tuple)),
                           None)
        # Each input is read once per element, before any store: a select of two loaded
        # values compiles to a blend, where a load inside a branch stays a branch.
        body = [f"            x{i} = a{i}[{self._index(p)}]" for i, p in enumerate(self.patterns)]
        names = {v: f"x{i}" for i, v in enumerate(node.inputs)}
        for k, n in enumerate(sub.nodes):
            typed = next((x.dtype.name for x in n.inputs if isinstance(x, Value)),
                         out.dtype.name) if n.op in _COMPARE else n.outputs[0].dtype.name
            operands = [names[x] if isinstance(x, Value) else _literal(x, typed)
                        for x in n.inputs]
            args = tuple(_literal(a, typed) if type(a) in (int, float) else a for a in n.args)
            expr = TABLE[n.op].scalar_form(*operands, *args, **n.kwargs)
            body.append(f"            u{k} = {expr}")
            names[n.outputs[0]] = f"u{k}"
        target = "out" if into is None else f"a{into}"
        body.append(f"            {target}[i, j] = {names[out]}")
        params = ", ".join(["out"] * (into is None) + [f"a{i}" for i in range(len(node.inputs))])
        self.source = ("import numpy as np\n\n\n"
                       f"def fused({params}):\n"
                       f"    for i in range({target}.shape[0]):\n"
                       f"        for j in range({target}.shape[1]):\n" + "\n".join(body) + "\n")
        self._kernel = None

    def writing_over(self, into: int) -> "FusedKernel":
        """The same loop, writing its result over input ``into``."""
        return FusedKernel(self.node, into)

    @staticmethod
    def _index(p) -> str:
        return {"full": "i, j", "scalar": "0"}.get(p, "j") if isinstance(p, str) else "j"

    def kernel(self):
        if self._kernel is None:
            from .. import kernels
            # One core: the parallel pool costs more than it saves at these sizes.
            self._kernel = kernels.compile_source(self.source, "fused")
        return self._kernel

    def __call__(self, *arrays):
        kernel = self._kernel or self.kernel()
        shape = self.shape if self.full is None else arrays[self.full].shape
        row = (arrays[self.suffix].size if self.suffix is not None
               else shape[-1] if shape else 1)
        operands = [np.ascontiguousarray(a).reshape(-1, row) if p == "full"
                    else np.ascontiguousarray(a).reshape(-1)
                    for a, p in zip(arrays, self.patterns)]
        if self.into is not None:
            kernel(*operands)
            return arrays[self.into]
        out = np.empty(shape, self.dtype)
        kernel(out.reshape(-1, row), *operands)
        return out
