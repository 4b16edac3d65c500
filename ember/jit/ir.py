"""Graph mode's IR: one run of a program as a list of op-table calls in SSA form.

A `Graph` holds `Value`s and `Node`s. Every value is defined once: as a graph input, a
parameter or buffer (named by its ``state_dict`` key), a constant tensor, or an output of a
node. A node names an entry of the op table (``ember.ops.TABLE``) by its key and lists the
values it reads; its plain arguments (ints, tuples, dtypes, slices) are kept as they were
passed. Printing ``graph.code`` shows the run as a small Python function::

    def forward(x):
        v0 = linear(x, fc_weight, fc_bias)
        v1 = relu(v0)
        return v1

Everything downstream reads this one structure: the passes rewrite it, the replayer and
the fused-kernel backend run it, ``ember.jit.save`` stores it, the ONNX exporter lowers it.
"""
from __future__ import annotations

import re
from typing import Iterator


class Value:
    """One SSA value: a tensor defined exactly once in the graph.

    ``kind`` says where it comes from:

    * ``"input"``: the ``index``-th flattened tensor argument of the traced call;
    * ``"param"``: a parameter or buffer, ``name`` its ``state_dict`` key;
    * ``"constant"``: a tensor captured by value, its array in ``data``;
    * ``"node"``: output ``index`` of the node ``producer``;
    * ``"stash"``: what a stashing op (``TABLE[op].stash``) keeps for its derivative;
      read only by derivative nodes of a captured backward.

    ``shape`` (a tuple of ints) and ``dtype`` (an ``ember.dtype``) are those seen when
    tracing; ``device`` likewise.
    """

    __slots__ = ("id", "kind", "name", "shape", "dtype", "device", "producer", "index",
                 "data")

    def __init__(self, id: int, kind: str, name: str, shape=None, dtype=None, device=None,
                 producer: "Node | None" = None, index: int = 0, data=None):
        self.id = id
        self.kind = kind
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.device = device
        self.producer = producer
        self.index = index
        self.data = data

    def __repr__(self) -> str:
        return f"%{self.name}"


class Node:
    """One op-table call. ``op`` is the ``TABLE`` key.

    * ``inputs``: the op's tensor operands in order (``TABLE[op].nin`` of them; for a
      sequence op such as ``cat`` (``nin == -1``) all the sequence's elements). An entry is
      a `Value`, or a Python number where the call passed one (``x * 2``).
    * ``args``: the plain positional arguments after the operands, as passed (they may
      hold `Value`s nested inside, e.g. index tensors in a key tuple; see `values_in`).
    * ``kwargs``: the keyword arguments, likewise.
    * ``outputs``: the values it defines, one per output of the op.
    * ``kind``: ``"op"`` (a pure call), ``"inplace"`` (writes its result into
      ``inputs[0]``'s memory, as ``Tensor.<op>_`` does: ``outputs[0]`` names that memory
      afterwards), ``"derivative"`` (runs the derivative of ``op``: captured backward
      graphs only) or ``"fused"`` (a fused elementwise chain: ``op`` is ``"fused"`` and
      ``args[0]`` the `Graph` it computes).
    * ``stash``: for ops that stash data for their derivative, the `Value` holding it.
    * ``source``: ``"file.py:LINE"`` of the user's code that made the call, if known.
    """

    __slots__ = ("op", "inputs", "args", "kwargs", "outputs", "kind", "stash", "source")

    def __init__(self, op: str, inputs: list, args: tuple = (), kwargs: dict | None = None,
                 kind: str = "op", source: str | None = None):
        self.op = op
        self.inputs = list(inputs)
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.outputs: list[Value] = []
        self.kind = kind
        self.stash: Value | None = None
        self.source = source

    def reads(self) -> list[Value]:
        """Every value this node reads: its operands and those nested in its arguments."""
        found = [x for x in self.inputs if isinstance(x, Value)]
        found += values_in(self.args)
        found += values_in(tuple(self.kwargs.values()))
        return found

    def replace_reads(self, mapping: dict) -> None:
        """Read ``mapping[v]`` wherever this node read ``v`` (values keyed by identity)."""
        self.inputs = [mapping.get(x, x) if isinstance(x, Value) else x for x in self.inputs]
        self.args = substitute(self.args, mapping)
        self.kwargs = {k: substitute(v, mapping) for k, v in self.kwargs.items()}

    def __repr__(self) -> str:
        return f"<Node {format_node(self)}>"


class AsArray:
    """In a node's plain arguments: the backend array of ``value`` (the call passed an array
    there, as index keys do), where a bare `Value` stands for the tensor itself."""

    __slots__ = ("value",)

    def __init__(self, value: Value):
        self.value = value

    def __repr__(self) -> str:
        return f"array({self.value!r})"


def values_in(obj) -> list[Value]:
    """The `Value`s nested in a plain argument (tuples, lists, dicts, slices)."""
    if isinstance(obj, Value):
        return [obj]
    if isinstance(obj, AsArray):
        return [obj.value]
    if isinstance(obj, (tuple, list)):
        return [v for x in obj for v in values_in(x)]
    if isinstance(obj, dict):
        return [v for x in obj.values() for v in values_in(x)]
    if isinstance(obj, slice):
        return values_in((obj.start, obj.stop, obj.step))
    return []


def substitute(obj, mapping: dict):
    """``obj`` with each nested `Value` ``v`` replaced by ``mapping.get(v, v)``."""
    if isinstance(obj, Value):
        return mapping.get(obj, obj)
    if isinstance(obj, AsArray):
        return AsArray(mapping.get(obj.value, obj.value))
    if type(obj) in (tuple, list):
        return type(obj)(substitute(x, mapping) for x in obj)
    if isinstance(obj, dict):
        return {k: substitute(x, mapping) for k, x in obj.items()}
    if isinstance(obj, slice) and values_in(obj):
        return slice(*substitute((obj.start, obj.stop, obj.step), mapping))
    return obj


class Graph:
    """A traced program: inputs, parameters, constants, nodes in execution order, outputs.

    * ``inputs``: `Value`s of kind ``"input"``, in the order of the call's flattened
      tensor arguments.
    * ``params``: `Value`s of kind ``"param"``, each named by its ``state_dict`` key.
    * ``constants``: `Value`s of kind ``"constant"`` (array in ``.data``).
    * ``nodes``: `Node`s in the order they ran (a valid topological order).
    * ``outputs``: what the program returns, flattened: `Value`s, or plain Python values
      the program returned as they were; ``output_tree`` says how to rebuild the result
      and ``input_tree`` how the call's arguments nest (see `ember.jit._tree`).

    >>> traced = ember.jit.trace(lambda x: (x * 2).relu(), ember.randn(3))
    >>> [n.op for n in traced.graph.nodes]
    ['mul', 'relu']
    """

    def __init__(self):
        self.inputs: list[Value] = []
        self.params: list[Value] = []
        self.constants: list[Value] = []
        self.nodes: list[Node] = []
        self.outputs: list = []
        self.output_tree = None
        self.input_tree = None  # how the call's arguments nest around ``inputs``
        self._next_id = 0

    # -- building ------------------------------------------------------------------------
    def _value(self, kind: str, name: str, **fields) -> Value:
        v = Value(self._next_id, kind, name, **fields)
        self._next_id += 1
        return v

    def add_input(self, name: str, shape=None, dtype=None, device=None) -> Value:
        """Add and return a graph input named ``name`` (shape, dtype and device as traced)."""
        v = self._value("input", name, shape=shape, dtype=dtype, device=device,
                        index=len(self.inputs))
        self.inputs.append(v)
        return v

    def add_param(self, name: str, shape=None, dtype=None, device=None) -> Value:
        """Add and return a parameter or buffer value named ``name`` (its dotted state-dict key)."""
        v = self._value("param", name, shape=shape, dtype=dtype, device=device)
        self.params.append(v)
        return v

    def add_constant(self, data, dtype=None, device=None) -> Value:
        """Add and return a constant holding the array ``data``."""
        v = self._value("constant", f"c{len(self.constants)}", shape=tuple(data.shape),
                        dtype=dtype, device=device, data=data)
        self.constants.append(v)
        return v

    def add_node(self, node: Node, outputs: list[tuple], stash: bool = False) -> Node:
        """Append ``node`` with outputs described by ``(shape, dtype, device)`` triples."""
        for i, (shape, dtype, device) in enumerate(outputs):
            node.outputs.append(self._value("node", f"v{self._next_id}", shape=shape,
                                            dtype=dtype, device=device, producer=node,
                                            index=i))
        if stash:
            node.stash = self._value("stash", f"s{self._next_id}", producer=node)
        self.nodes.append(node)
        return node

    # -- reading -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def values(self) -> Iterator[Value]:
        """Every value: inputs, params, constants, then node outputs in order."""
        yield from self.inputs
        yield from self.params
        yield from self.constants
        for n in self.nodes:
            yield from n.outputs
            if n.stash is not None:
                yield n.stash

    def output_values(self) -> list[Value]:
        """The graph's outputs that are values (not Python constants), in order."""
        return [v for v in self.outputs if isinstance(v, Value)]

    def users(self) -> dict:
        """value -> the nodes that read it, in order."""
        found: dict = {}
        for n in self.nodes:
            for v in n.reads():
                found.setdefault(v, []).append(n)
        return found

    @property
    def code(self) -> str:
        """The graph as a readable Python function."""
        return format_graph(self)

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return (f"<Graph: {len(self.inputs)} inputs, {len(self.params)} params, "
                f"{len(self.constants)} constants, {len(self.nodes)} nodes>")


# ----------------------------------------------------------------------------- printing


def value_name(v: Value) -> str:
    """A Python identifier for ``v`` (a parameter's dots become underscores)."""
    name = re.sub(r"\W", "_", v.name)
    return name if name.isidentifier() else f"_{name}"


def _format_arg(x) -> str:
    if isinstance(x, Value):
        return value_name(x)
    if isinstance(x, AsArray):
        return f"array({value_name(x.value)})"
    if isinstance(x, tuple):
        inner = ", ".join(_format_arg(a) for a in x)
        return f"({inner},)" if len(x) == 1 else f"({inner})"
    if isinstance(x, list):
        return "[" + ", ".join(_format_arg(a) for a in x) + "]"
    if isinstance(x, slice):
        return "slice(" + ", ".join(_format_arg(a) for a in (x.start, x.stop, x.step)) + ")"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_format_arg(a)}" for k, a in x.items()) + "}"
    if x is Ellipsis:
        return "..."
    if hasattr(x, "shape") and hasattr(x, "dtype"):  # an array argument
        return f"<array {tuple(x.shape)} {x.dtype}>"
    return repr(x)


def format_node(n: Node) -> str:
    """One line of ``graph.code`` for node ``n``."""
    from ..ops._op import TABLE
    operands = [_format_arg(x) for x in n.inputs]
    entry = TABLE.get(n.op)
    if entry is not None and entry.nin == -1:
        operands = ["[" + ", ".join(operands) + "]"]
    parts = operands + [_format_arg(a) for a in n.args]
    parts += [f"{k}={_format_arg(a)}" for k, a in n.kwargs.items()]
    if n.kind == "fused":
        parts = operands
    outs = ", ".join(value_name(v) for v in n.outputs) or "_"
    if n.stash is not None:
        outs += f" (+{value_name(n.stash)})"
    call = {"inplace": f"{n.op}_", "derivative": f"{n.op}.derivative"}.get(n.kind, n.op)
    if n.kind == "fused":
        call = f"fused[{', '.join(m.op for m in n.args[0].nodes)}]"
    line = f"{outs} = {call}({', '.join(parts)})"
    return line + (f"  # {n.source}" if n.source else "")


def format_graph(g: Graph, name: str = "forward") -> str:
    lines = [f"def {name}({', '.join(value_name(v) for v in g.inputs)}):"]
    for p in g.params:
        lines.append(f"    {value_name(p)} = self[{p.name!r}]  # {_describe(p)}")
    for c in g.constants:
        lines.append(f"    {value_name(c)} = constant  # {_describe(c)}")
    for n in g.nodes:
        lines.append("    " + format_node(n))
    lines.append("    return " + ", ".join(_format_arg(v) for v in g.outputs))
    return "\n".join(lines) + "\n"


def _describe(v: Value) -> str:
    dtype = getattr(v.dtype, "name", v.dtype)
    return f"{dtype}{list(v.shape) if v.shape is not None else ''}"


def resolve(obj, tensor_of, generators: bool = True):
    """A plain argument ready for the op's forward: each `Value` as ``tensor_of(v)`` (a
    tensor), each `AsArray` as that tensor's array, generators looked up."""
    if isinstance(obj, Value):
        return tensor_of(obj)
    if isinstance(obj, AsArray):
        return tensor_of(obj.value)._data
    t = type(obj)
    if t is tuple or t is list:
        return t(resolve(x, tensor_of, generators) for x in obj)
    if t is dict:
        return {k: resolve(x, tensor_of, generators) for k, x in obj.items()}
    if t is slice and values_in(obj):
        return slice(*resolve((obj.start, obj.stop, obj.step), tensor_of, generators))
    if generators and hasattr(obj, "resolve"):
        return obj.resolve()
    return obj


def find(graph: Graph, op: str) -> list[Node]:
    """The nodes of ``graph`` calling ``op``."""
    return [n for n in graph.nodes if n.op == op]


def check(graph: Graph) -> None:
    """Raise ValueError unless every value is defined before it is read (SSA order)."""
    defined = set(graph.inputs) | set(graph.params) | set(graph.constants)
    for n in graph.nodes:
        for v in n.reads():
            if v not in defined:
                raise ValueError(f"graph: {format_node(n)} reads {v!r} before it is defined")
        defined.update(n.outputs)
        if n.stash is not None:
            defined.add(n.stash)
    for v in graph.output_values():
        if v not in defined:
            raise ValueError(f"graph: output {v!r} is never defined")

