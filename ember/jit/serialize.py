"""``ember.jit.save`` / ``ember.jit.load``: a traced program in Ember's safe file format.

The file is an ordinary `ember.save` archive holding plain data only: op-table names, plain
arguments, tensors (parameters, buffers, constants) and the references between values. No
Python code or class is stored, so loading runs nothing from the file; a graph naming an op
the table doesn't have, or reading a value before it is defined, is refused.
"""
from __future__ import annotations

import pickle

from .. import serialization
from .._tensor import Tensor, wrap
from ..ops._op import TABLE
from .ir import AsArray, Graph, Node, Value, check
from .tracer import Generator
from ._traced import TracedFunction, TracedModule

FORMAT = "ember.jit.graph"
VERSION = 1
_KINDS = ("op", "inplace")


def save(m, f, _extra_files=None) -> None:
    """Write the traced module or function ``m`` to the path or binary file ``f``.

    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU()); x = ember.randn(2, 4)
    >>> ember.jit.save(ember.jit.trace(model, x), "model.pt")
    """
    if not isinstance(m, (TracedModule, TracedFunction)):
        raise TypeError(f"ember.jit.save: expected a traced module or function "
                        f"(ember.jit.trace), got {type(m).__name__}")
    is_module = isinstance(m, TracedModule)
    state = {}
    params = []
    if is_module:
        for name, p in m.named_parameters():
            state[name] = p.detach()
            params.append(name)
        for name, b in m.named_buffers():
            state.setdefault(name, b.detach())
    else:
        state = {k: t.detach() for k, t in m._state.items()}
    payload = {
        "format": FORMAT, "version": VERSION,
        "kind": "module" if is_module else "function",
        "name": m._name if is_module else m.__name__,
        "training": bool(m.training) if is_module else False,
        "state": state, "parameters": params,
        "graph": encode_graph(m.graph),
    }
    serialization.save(payload, f)


def load(f, map_location=None, _extra_files=None):
    """Read a program written by `save`; it runs without the Python source it came from.

    >>> ember.jit.save(ember.jit.trace(nn.Linear(4, 3), ember.randn(2, 4)), "model.pt")
    >>> ember.jit.load("model.pt")(ember.randn(5, 4)).shape
    ember.Size([5, 3])
    """
    name = f if isinstance(f, str) else getattr(f, "name", "the file")
    try:
        payload = serialization.load(f, map_location=map_location)
    except pickle.UnpicklingError as e:
        raise RuntimeError(f"ember.jit.load: refusing {name}: {e}") from None
    if not (isinstance(payload, dict) and payload.get("format") == FORMAT):
        raise RuntimeError(f"ember.jit.load: {name} is not an Ember graph file "
                           "(written by ember.jit.save)")
    if payload.get("version") != VERSION:
        raise RuntimeError(f"ember.jit.load: {name} has graph format version "
                           f"{payload.get('version')!r}; this Ember reads version {VERSION}")
    try:
        state = dict(payload["state"])
        if not all(isinstance(k, str) and isinstance(t, Tensor) for k, t in state.items()):
            raise ValueError("its state holds something other than named tensors")
        graph = decode_graph(payload["graph"])
        for p in graph.params:
            if p.name not in state:
                raise ValueError(f"the graph reads {p.name!r}, which the file doesn't hold")
        if payload["kind"] == "module":
            return TracedModule(graph, state, set(payload["parameters"]),
                                bool(payload["training"]), str(payload["name"]))
        return TracedFunction(graph, str(payload["name"]), state)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
        raise RuntimeError(f"ember.jit.load: {name} holds a damaged or tampered graph: "
                           f"{e}") from None


# ----------------------------------------------------------------------------- encoding


def encode_graph(g: Graph) -> dict:
    index = {v: i for i, v in enumerate(g.values())}
    nodes = []
    for n in g.nodes:
        if n.kind not in _KINDS:
            raise ValueError(f"ember.jit.save: a {n.kind} node ({n.op}) can't be saved")
        nodes.append([n.op, n.kind, _encode(n.inputs, index, n), _encode(n.args, index, n),
                      _encode(n.kwargs, index, n),
                      [[list(v.shape), v.dtype, v.device] for v in n.outputs],
                      n.stash is not None, n.source])
    return {
        "inputs": [[v.name, list(v.shape), v.dtype, v.device] for v in g.inputs],
        "params": [[v.name, list(v.shape), v.dtype, v.device] for v in g.params],
        "constants": [wrap(v.data) for v in g.constants],
        "nodes": nodes,
        "outputs": _encode(list(g.outputs), index, None),
        "output_tree": _encode(g.output_tree, index, None),
        "input_tree": _encode(g.input_tree, index, None),
    }


def _encode(obj, index: dict, node):
    if isinstance(obj, Value):
        return {"$v": index[obj]}
    if isinstance(obj, AsArray):
        return {"$a": index[obj.value]}
    t = type(obj)
    if t in (type(None), bool, int, float, complex, str):
        return obj
    if t is tuple:
        return tuple(_encode(x, index, node) for x in obj)
    if t is list:
        return [_encode(x, index, node) for x in obj]
    if t is dict:
        return {"$d": [[k, _encode(x, index, node)] for k, x in obj.items()]}
    if t is slice:
        return {"$s": [_encode(x, index, node) for x in (obj.start, obj.stop, obj.step)]}
    if obj is Ellipsis:
        return {"$e": 0}
    if t is Generator:
        return {"$g": obj.device}
    from .. import _dtype as dt
    from .._device import device
    if isinstance(obj, (dt.dtype, device)):
        return obj
    where = f" in an argument of {node.op}" if node is not None else ""
    raise ValueError(f"ember.jit.save: can't store a {t.__name__}{where} (graphs hold only "
                     "plain values)")


def decode_graph(data: dict) -> Graph:
    g = Graph()
    values: list[Value] = []
    for name, shape, dtype, device in data["inputs"]:
        values.append(g.add_input(str(name), tuple(shape), dtype, device))
    for name, shape, dtype, device in data["params"]:
        values.append(g.add_param(str(name), tuple(shape), dtype, device))
    for t in data["constants"]:
        if not isinstance(t, Tensor):
            raise ValueError("a constant is not a tensor")
        values.append(g.add_constant(t._data, t.dtype, str(t.device)))
    for op, kind, inputs, args, kwargs, outputs, has_stash, source in data["nodes"]:
        entry = TABLE.get(op) if isinstance(op, str) else None
        if entry is None:
            raise ValueError(f"it names {op!r}, which is not an op of Ember's op table")
        if kind not in _KINDS:
            raise ValueError(f"node {op} has an unknown kind {kind!r}")
        node = Node(op, _decode(inputs, values), _decode(args, values),
                    _decode(kwargs, values), kind, source if isinstance(source, str) else None)
        if not (isinstance(node.inputs, list) and isinstance(node.args, tuple)
                and isinstance(node.kwargs, dict)):
            raise ValueError(f"node {op} has malformed arguments")
        g.add_node(node, [(tuple(s), d, dev) for s, d, dev in outputs], stash=bool(has_stash))
        values.extend(node.outputs)
        if node.stash is not None:
            values.append(node.stash)
    g.outputs = _decode(data["outputs"], values)
    g.output_tree = _decode(data["output_tree"], values)
    g.input_tree = _decode(data["input_tree"], values)
    check(g)
    return g


def _decode(obj, values: list):
    t = type(obj)
    if t is dict:
        if len(obj) != 1:
            raise ValueError(f"malformed entry {obj!r}")
        (tag, body), = obj.items()
        if tag == "$v":
            if not isinstance(body, int) or not 0 <= body < len(values):
                raise ValueError(f"a reference to value {body!r}, which is not defined yet")
            return values[body]
        if tag == "$a":
            return AsArray(_decode({"$v": body}, values))
        if tag == "$d":
            return {str(k): _decode(x, values) for k, x in body}
        if tag == "$s":
            return slice(*[_decode(x, values) for x in body])
        if tag == "$e":
            return Ellipsis
        if tag == "$g":
            return Generator(str(body))
        raise ValueError(f"unknown entry {tag!r}")
    if t is tuple:
        return tuple(_decode(x, values) for x in obj)
    if t is list:
        return [_decode(x, values) for x in obj]
    return obj
