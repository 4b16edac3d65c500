"""A model's graph for the Graphs tab, read off the autograd graph of one forward run.

Every op that records a graph node becomes a GraphDef node named after the module that ran
it (``Net/Sequential[body]/Linear[0]/addmm``): forward hooks note, for each module call,
which new nodes lie between its inputs and its outputs. Ops that record no node (integer
results, code under ``no_grad``) do not appear.
"""
from __future__ import annotations

import inspect
from collections import Counter

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

from ..._tensor import Tensor
from ...autograd.grad_mode import enable_grad
from ...autograd.graph import AccumulateGrad

IO_OP = "IO Node"


def _tensors(value) -> list:
    """The tensors in a (nested) tuple, list or dict of values."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def _op_name(node) -> str:
    op = getattr(node, "op", None)
    if op is not None:
        return op.name
    cls = getattr(node, "fn_cls", None)
    return cls.__name__ if cls is not None else node.name()


def _scopes(model) -> dict:
    """Module -> its scope, ``Type[attribute]`` per level below the model's own type."""
    by_path, scopes = {}, {}
    for path, module in model.named_modules():
        parent, _, attribute = path.rpartition(".")
        kind = type(module).__name__
        by_path[path] = f"{by_path[parent]}/{kind}[{attribute}]" if path else kind
        scopes[module] = by_path[path]
    return scopes


def _record_scopes(model, scopes: dict, inputs: tuple):
    """Run ``model(*inputs)``, returning its output and each graph node's scope."""
    owner, boundaries = {}, []

    def before(module, args):
        boundaries.append({t.grad_fn for t in _tensors(args) if t.grad_fn is not None})

    def after(module, args, output):
        stop, scope = boundaries.pop(), scopes[module]
        pending = [t.grad_fn for t in _tensors(output) if t.grad_fn is not None]
        seen = set()
        while pending:
            node = pending.pop()
            if node in seen or node in stop or isinstance(node, AccumulateGrad):
                continue
            seen.add(node)
            owner.setdefault(node, scope)  # inner modules finish first and keep their nodes
            pending.extend(fn for fn, _ in node.next_functions if fn is not None)

    handles = [h for m in scopes for h in (m.register_forward_pre_hook(before),
                                           m.register_forward_hook(after))]
    try:
        with enable_grad():
            output = model(*inputs)
    finally:
        for h in handles:
            h.remove()
    return output, owner


def _shape_attr(shapes: list) -> AttrValue:
    protos = [TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in s]) for s in shapes]
    return AttrValue(list=AttrValue.ListValue(shape=protos))


def _input_names(model, count: int) -> list[str]:
    params = [p.name for p in inspect.signature(model.forward).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [f"input/{params[i] if i < len(params) else f'input_{i}'}" for i in range(count)]


def _post_order(roots: list) -> list:
    """The graph nodes reachable from ``roots``, each after the nodes it consumes."""
    order, seen = [], set()
    stack = [(node, False) for node in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((fn, False) for fn, _ in reversed(node.next_functions)
                     if fn is not None and fn not in seen)
    return order


def _output_shapes(order: list, outputs: list) -> dict:
    """``(node, output_nr) -> shape``, read off the input shapes of each node's consumers
    (a node records only its inputs' shapes) and off the model's outputs."""
    shapes = {}
    for node in order:
        for (fn, nr), shape in zip(node.next_functions, getattr(node, "shapes", ()) or ()):
            if fn is not None and shape is not None:
                shapes[(fn, nr)] = tuple(shape)
    for t in outputs:
        if t.grad_fn is not None:
            shapes[(t.grad_fn, t._output_nr)] = tuple(t.shape)
    return shapes


def _leaf_nodes(order: list, inputs: tuple, leaf_names: dict) -> list:
    """Nodes of the inputs and parameters, and of any other leaf the ops read (named
    ``input/captured_<k>`` in ``leaf_names``)."""
    leaves = [x for x in inputs if isinstance(x, Tensor)]
    leaves += [fn.variable for node in order for fn, _ in node.next_functions
               if isinstance(fn, AccumulateGrad)]
    nodes, seen = [], set()
    for leaf in leaves:
        if id(leaf) in seen:
            continue
        seen.add(id(leaf))
        name = leaf_names.setdefault(id(leaf), f"input/captured_{len(seen)}")
        nodes.append(NodeDef(name=name, op=IO_OP if name.startswith("input/") else "Parameter",
                             attr={"_output_shapes": _shape_attr([tuple(leaf.shape)])}))
    return nodes


def graph_def(model, input_to_model) -> GraphDef:
    """The GraphDef of ``model(*input_to_model)``: op nodes with their inputs and output
    shapes, parameters, and ``input/`` and ``output/`` nodes."""
    if not hasattr(model, "named_modules"):
        raise TypeError(f"add_graph: model must be an ember.nn.Module, got "
                        f"{type(model).__name__}")
    given = () if input_to_model is None else (
        tuple(input_to_model) if isinstance(input_to_model, (tuple, list))
        else (input_to_model,))
    inputs = tuple(x.detach().requires_grad_() if isinstance(x, Tensor)
                   and x.is_floating_point() else x for x in given)
    scopes = _scopes(model)
    was_training = model.training
    model.eval()
    try:
        output, owner = _record_scopes(model, scopes, inputs)
    finally:
        model.train(was_training)

    leaf_names = {id(x): name for x, name in zip(inputs, _input_names(model, len(inputs)))
                  if isinstance(x, Tensor)}
    for module, scope in scopes.items():
        for name, p in module.named_parameters(recurse=False):
            leaf_names[id(p)] = f"{scope}/{name}"

    outputs = _tensors(output)
    order = _post_order([t.grad_fn for t in outputs if t.grad_fn is not None])
    shapes = _output_shapes(order, outputs)
    graph = GraphDef(versions=VersionDef(producer=22))
    graph.node.extend(_leaf_nodes(order, inputs, leaf_names))
    names, used = {}, Counter()

    def name_of(fn, nr: int) -> str:
        if isinstance(fn, AccumulateGrad):
            return leaf_names[id(fn.variable)]
        return names[fn] + (f":{nr}" if nr else "")

    for node in order:
        if isinstance(node, AccumulateGrad):
            continue
        op = _op_name(node)
        base = f"{owner.get(node, scopes[model])}/{op}"
        names[node] = base if not used[base] else f"{base}_{used[base]}"
        used[base] += 1
        out_shapes = [shapes.get((node, i), ()) for i in range(getattr(node, "n_outputs", 1))]
        graph.node.append(NodeDef(
            name=names[node], op=op,
            input=[name_of(fn, nr) for fn, nr in node.next_functions if fn is not None],
            attr={"_output_shapes": _shape_attr(out_shapes)}))
    for i, t in enumerate(outputs):
        source = (name_of(t.grad_fn, t._output_nr) if t.grad_fn is not None
                  else leaf_names.get(id(t)))
        graph.node.append(NodeDef(name=f"output/output.{i + 1}", op=IO_OP,
                                  input=[source] if source else [],
                                  attr={"_output_shapes": _shape_attr([tuple(t.shape)])}))
    return graph
