"""A model's graph for the Graphs tab, drawn from graph mode's IR of one forward run.

The model runs once under `ember.jit`'s tracer (the IR that ``ember.jit.trace``,
``ember.compile`` and ``ember.onnx.export`` share); every op node becomes a GraphDef node named
after the module that ran it (``Net/Sequential[body]/Linear[0]/addmm``): forward hooks note,
for each module call, which IR nodes it recorded. Parameters appear under their module,
constants the program made under the scope that made them.
"""
from __future__ import annotations

import inspect
from collections import Counter

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

from ... import _trace_hook
from ...autograd.grad_mode import no_grad

IO_OP = "IO Node"


def _scopes(model) -> dict:
    """Module -> its scope, ``Type[attribute]`` per level below the model's own type."""
    by_path, scopes = {}, {}
    for path, module in model.named_modules():
        parent, _, attribute = path.rpartition(".")
        kind = type(module).__name__
        by_path[path] = f"{by_path[parent]}/{kind}[{attribute}]" if path else kind
        scopes[module] = by_path[path]
    return scopes


def _trace_with_scopes(model, scopes: dict, inputs: tuple):
    """Trace ``model(*inputs)``: its IR graph, and the scope of each IR node."""
    from ...jit._traced import capture, named_state
    owner, starts = {}, []

    def before(module, args):
        starts.append(len(_trace_hook.ACTIVE[0].graph.nodes))

    def after(module, args, output):
        scope = scopes[module]
        for node in _trace_hook.ACTIVE[0].graph.nodes[starts.pop():]:
            owner.setdefault(node, scope)  # inner modules finish first and keep their nodes

    handles = [h for m in scopes for h in (m.register_forward_pre_hook(before),
                                           m.register_forward_hook(after))]
    try:
        with no_grad():
            graph, _, _ = capture(model, inputs, named_state(model), warn=False, strict=False)
    finally:
        for h in handles:
            h.remove()
    return graph, owner


def _shape_attr(shapes: list) -> AttrValue:
    protos = [TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in s]) for s in shapes]
    return AttrValue(list=AttrValue.ListValue(shape=protos))


def _input_names(model, count: int) -> list[str]:
    params = [p.name for p in inspect.signature(model.forward).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [f"input/{params[i] if i < len(params) else f'input_{i}'}" for i in range(count)]


def graph_def(model, input_to_model) -> GraphDef:
    """The GraphDef of ``model(*input_to_model)``: op nodes with their inputs and output
    shapes, parameters, constants, and ``input/`` and ``output/`` nodes."""
    if not hasattr(model, "named_modules"):
        raise TypeError(f"add_graph: model must be an ember.nn.Module, got "
                        f"{type(model).__name__}")
    inputs = () if input_to_model is None else (
        tuple(input_to_model) if isinstance(input_to_model, (tuple, list))
        else (input_to_model,))
    scopes = _scopes(model)
    was_training = model.training
    model.eval()
    try:
        graph, owner = _trace_with_scopes(model, scopes, inputs)
    finally:
        model.train(was_training)

    root = scopes[model]
    by_path = {path: scopes[m] for path, m in model.named_modules()}
    names = {}
    nodes = []
    for v, name in zip(graph.inputs, _input_names(model, len(graph.inputs))):
        names[v] = name
        nodes.append(NodeDef(name=name, op=IO_OP,
                             attr={"_output_shapes": _shape_attr([v.shape])}))
    for v in graph.params:
        path, _, attribute = v.name.rpartition(".")
        names[v] = f"{by_path.get(path, root)}/{attribute}"
        nodes.append(NodeDef(name=names[v], op="Parameter",
                             attr={"_output_shapes": _shape_attr([v.shape])}))
    used = Counter()

    def unique(base: str) -> str:
        used[base] += 1
        return base if used[base] == 1 else f"{base}_{used[base] - 1}"

    for v in graph.constants:
        names[v] = unique(f"{root}/constant")
        nodes.append(NodeDef(name=names[v], op="Constant",
                             attr={"_output_shapes": _shape_attr([v.shape])}))
    for node in graph.nodes:
        name = unique(f"{owner.get(node, root)}/{node.op}")
        for i, v in enumerate(node.outputs):
            names[v] = name + (f":{i}" if i else "")
        nodes.append(NodeDef(name=name, op=node.op, input=[names[v] for v in node.reads()],
                             attr={"_output_shapes": _shape_attr([v.shape
                                                                  for v in node.outputs])}))
    for i, v in enumerate(graph.outputs):
        nodes.append(NodeDef(name=f"output/output.{i + 1}", op=IO_OP,
                             input=[names[v]] if v in names else [],
                             attr={"_output_shapes": _shape_attr(
                                 [getattr(v, "shape", ())])}))
    result = GraphDef(versions=VersionDef(producer=22))
    result.node.extend(nodes)
    return result
