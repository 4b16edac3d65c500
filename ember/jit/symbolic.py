"""Shape-polymorphic graphs: one captured graph serving every size of a dynamic dimension.

A trace records the sizes it saw as plain ints (``reshape(v, (128, 10))``, a derivative's
input shapes). Two captures of the same program at two sizes of one dimension tell which of
those ints follow it: `generalize` walks both graphs in step, and where an int differs it
becomes a `Dim`, ``scale * size + offset`` of the dynamic size, fitted from the two samples.
Anything else that differs (another op, a constant's data, a float) means the program
depends on the size in a way one graph can't serve: the caller keeps specializing.

The replayer writes a `Dim` as an expression of ``dims``, the tuple of the dynamic sizes it
receives with each call (`ember.jit.replay.build` with ``dims=True``).

    sig = signature(first.graph)          # at batch 64
    if generalize(sig, second.graph, 64, 32):  # at batch 32: ints now follow the batch
        ...
"""
from __future__ import annotations

import numpy as np

from .ir import AsArray, Graph, Value
from .tracer import DerivativeContext, Generator


class Dim:
    """An int that follows dynamic size ``symbol``: ``scale * dims[symbol] + offset``."""

    __slots__ = ("symbol", "scale", "offset")

    def __init__(self, symbol: int, scale: int, offset: int):
        self.symbol = symbol
        self.scale = scale
        self.offset = offset

    def source(self, dims: str = "dims") -> str:
        """Python for its value, given the name of the sizes tuple."""
        term = f"{dims}[{self.symbol}]"
        if self.scale != 1:
            term = f"{self.scale} * {term}"
        if self.offset:
            term = f"{term} + {self.offset}"
        return f"({term})"

    def __eq__(self, other) -> bool:
        return type(other) is Dim and (other.symbol, other.scale, other.offset) == (
            self.symbol, self.scale, self.offset)

    def __hash__(self) -> int:
        return hash(("Dim", self.symbol, self.scale, self.offset))

    def __repr__(self) -> str:
        return self.source("s")


class Mismatch(Exception):
    """The two captures differ beyond sizes."""


def _tokens(graph: Graph) -> dict:
    """value -> a token naming its place in the graph, the same across two captures."""
    found = {}
    for i, v in enumerate(graph.inputs):
        found[v] = ("input", i)
    for v in graph.params:
        found[v] = ("param", v.name)
    for i, v in enumerate(graph.constants):
        found[v] = ("constant", i)
    for i, n in enumerate(graph.nodes):
        for k, v in enumerate(n.outputs):
            found[v] = ("node", i, k)
        if n.stash is not None:
            found[n.stash] = ("stash", i)
    return found


def signature(graph: Graph) -> tuple:
    """What `generalize` compares a later capture with: the graph's nodes with each value
    replaced by its token (the graph itself may be rewritten after this)."""
    tokens = _tokens(graph)

    def tok(obj):
        if isinstance(obj, Value):
            return tokens[obj]
        if isinstance(obj, AsArray):
            return AsArray(tokens[obj.value])
        if type(obj) in (tuple, list):
            return type(obj)(tok(x) for x in obj)
        if type(obj) is dict:
            return {k: tok(x) for k, x in obj.items()}
        if type(obj) is slice:
            return slice(tok(obj.start), tok(obj.stop), tok(obj.step))
        return obj
    nodes = tuple((n.op, n.kind, len(n.outputs), n.stash is not None, tok(n.inputs),
                   tok(n.args), tok(n.kwargs)) for n in graph.nodes)
    constants = tuple((c.dtype, c.data) for c in graph.constants)
    return (len(graph.inputs), tuple(p.name for p in graph.params), constants, nodes,
            tok(list(graph.outputs)))


def generalize(first: tuple, graph: Graph, size_first: int, size: int) -> bool:
    """Compare ``graph`` (captured at ``size`` of the dynamic dimension) with the
    `signature` of a capture at ``size_first``; where only ints that follow the size differ,
    rewrite ``graph``'s arguments to `Dim`s and return True. False (``graph`` untouched):
    the program depends on the size otherwise."""
    if size == size_first:
        return False
    try:
        merged = _merge_graph(first, graph, size_first, size)
    except Mismatch:
        return False
    for n, (inputs, args, kwargs) in zip(graph.nodes, merged):
        n.inputs, n.args, n.kwargs = inputs, args, kwargs
    return True


def _merge_graph(first: tuple, graph: Graph, s0: int, s1: int) -> list:
    n_inputs, params, constants, nodes, outputs = first
    if (n_inputs != len(graph.inputs) or params != tuple(p.name for p in graph.params)
            or len(constants) != len(graph.constants) or len(nodes) != len(graph.nodes)):
        raise Mismatch
    for (dtype, data), c in zip(constants, graph.constants):
        if dtype != c.dtype or data.shape != c.data.shape or not np.array_equal(
                data, c.data, equal_nan=data.dtype.kind in "fc"):
            raise Mismatch
    tokens = _tokens(graph)
    merge = _Merger(tokens, s0, s1)
    merged = []
    for (op, kind, n_out, stash, inputs, args, kwargs), n in zip(nodes, graph.nodes):
        if (op, kind, n_out, stash) != (n.op, n.kind, len(n.outputs), n.stash is not None):
            raise Mismatch
        merged.append((list(merge(inputs, n.inputs)), merge(args, n.args),
                       merge(kwargs, n.kwargs)))
    merge(outputs, list(graph.outputs))
    return merged


class _Merger:
    """``merge(first, now)``: ``now`` with its size-following ints made `Dim`s; raises
    `Mismatch` where the two differ otherwise."""

    def __init__(self, tokens: dict, s0: int, s1: int):
        self.tokens = tokens
        self.s0, self.s1 = s0, s1

    def __call__(self, a, b):
        if isinstance(b, Value):
            if a != self.tokens.get(b):
                raise Mismatch
            return b
        ta, tb = type(a), type(b)
        if tb is AsArray:
            if ta is not AsArray or a.value != self.tokens.get(b.value):
                raise Mismatch
            return b
        if ta is not tb and not (isinstance(a, tuple) and isinstance(b, tuple)):
            raise Mismatch
        if tb is int:
            return b if a == b else self._fit(a, b)
        if tb is float:
            if a == b or (a != a and b != b):
                return b
            raise Mismatch
        if isinstance(b, (tuple, list)):
            if len(a) != len(b):
                raise Mismatch
            items = [self(x, y) for x, y in zip(a, b)]
            return b if all(x is y for x, y in zip(items, b)) else (
                list(items) if tb is list else tuple(items))
        if tb is dict:
            if a.keys() != b.keys():
                raise Mismatch
            return {k: self(a[k], b[k]) for k in b}
        if tb is slice:
            return slice(*self((a.start, a.stop, a.step), (b.start, b.stop, b.step)))
        if tb is DerivativeContext:
            if (a.np_dtypes, a.needs, a.n_saved, a.saved_outputs, a.n_outputs) != (
                    b.np_dtypes, b.needs, b.n_saved, b.saved_outputs, b.n_outputs):
                raise Mismatch
            shapes = self(a.shapes, b.shapes)
            if shapes is b.shapes:
                return b
            return DerivativeContext(shapes, b.np_dtypes, b.needs, b.n_saved,
                                     b.saved_outputs, b.n_outputs)
        if tb is Generator or b is None or tb in (bool, str, complex) or b is Ellipsis:
            if a != b:
                raise Mismatch
            return b
        if a is b:
            return b
        try:
            if a == b:
                return b
        except Exception:  # an object without a plain equality (an array)
            pass
        raise Mismatch

    def _fit(self, a: int, b: int) -> Dim:
        scale, rest = divmod(b - a, self.s1 - self.s0)
        if rest:
            raise Mismatch
        return Dim(0, scale, a - scale * self.s0)


def has_dims(obj) -> bool:
    """Whether a plain argument holds a `Dim`."""
    if type(obj) is Dim:
        return True
    if isinstance(obj, (tuple, list)):
        return any(has_dims(x) for x in obj)
    if type(obj) is dict:
        return any(has_dims(x) for x in obj.values())
    if type(obj) is slice:
        return has_dims((obj.start, obj.stop, obj.step))
    if type(obj) is DerivativeContext:
        return has_dims(obj.shapes)
    return False


def with_shapes(ctx: DerivativeContext, shapes: tuple) -> DerivativeContext:
    """``ctx`` at this call's input shapes (a generalized derivative's)."""
    return DerivativeContext(shapes, ctx.np_dtypes, ctx.needs, ctx.n_saved,
                             ctx.saved_outputs, ctx.n_outputs)
