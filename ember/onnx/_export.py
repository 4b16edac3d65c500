"""`ember.onnx.export`: trace the model into graph mode's IR, lower each node to ONNX.

The IR is the one `ember.jit` captures (inputs, parameters by their state_dict names,
constants, SSA nodes naming op-table entries); each op declares its lowering beside its
forward (``Op.onnx``), so this module only walks the graph, folds what depends on constants
alone, and assembles and checks the ONNX model.
"""
from __future__ import annotations

import io
import os
import tempfile

import numpy as np

from ..autograd.grad_mode import no_grad
from ..jit import ir
from ..jit._traced import capture, named_state
from ..nn.modules.module import Module
from ..ops import TABLE
from ._builder import GraphBuilder, UnsupportedOperatorError

DEFAULT_OPSET = 17
_STATE = {"exporting": False}


def _onnx():
    try:
        import onnx
    except ImportError as e:
        raise ImportError("ember.onnx needs the `onnx` package: pip install 'ember[onnx]'") \
            from e
    return onnx


def is_in_onnx_export() -> bool:
    """Whether an `export` is tracing the model right now."""
    return _STATE["exporting"]


def export(model, args, f=None, *, kwargs=None, export_params: bool = True,
           verbose: bool = False, input_names=None, output_names=None,
           opset_version: int | None = None, dynamic_axes=None,
           do_constant_folding: bool = True, training=None, keep_initializers_as_inputs=None,
           **_ignored):
    """Export ``model`` (a Module or function) called on ``args`` as an ONNX file ``f`` (a
    path or a binary file object); returns the `onnx.ModelProto`.

    The model runs once in eval mode without gradients (PyTorch's default ``training``) and
    is written as the ops that run recorded: Python control flow is unrolled for these inputs.
    ``dynamic_axes`` names axes whose size may change, ``{"input": {0: "batch"}}``.

    >>> proto = ember.onnx.export(nn.Linear(4, 2), (ember.randn(3, 4),), "linear.onnx",
    ...                           input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    >>> [node.op_type for node in proto.graph.node]
    ['Gemm', 'Identity']
    """
    onnx = _onnx()
    opset = opset_version or DEFAULT_OPSET
    args = args if isinstance(args, tuple) else (args,)
    if kwargs:
        raise NotImplementedError("ember.onnx.export: keyword inputs (kwargs=) are not "
                                  "supported; pass every input positionally in args")
    graph = _trace(model, args)
    if do_constant_folding:
        _fold_constants(graph, named_state(model) if isinstance(model, Module) else {})
    proto = _to_onnx(onnx, graph, model, opset, export_params, input_names, output_names,
                     dynamic_axes or {})
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if f is not None:
        _write(proto.SerializeToString(), f)
    return proto


def _trace(model, args: tuple) -> ir.Graph:
    is_module = isinstance(model, Module)
    was_training = is_module and model.training
    if is_module:
        model.eval()
    _STATE["exporting"] = True
    try:
        with no_grad():
            graph, _, _ = capture(model, args, named_state(model) if is_module else {},
                                  warn=True, strict=False)
    finally:
        _STATE["exporting"] = False
        if was_training:
            model.train()
    return graph


def _fold_constants(graph: ir.Graph, state: dict) -> None:
    """Compute once, at export, every node that reads only parameters and constants (the
    transposed weight of a linear layer): ONNX then holds the result as an initializer."""
    known = {v: v.data for v in graph.constants}
    known.update({v: state[v.name]._data for v in graph.params if v.name in state})
    kept = []
    for node in graph.nodes:
        op = TABLE[node.op]
        reads = node.reads()
        if (node.kind != "op" or not reads or op.name in _NEVER_FOLD
                or any(v not in known for v in reads) or node.stash is not None):
            kept.append(node)
            continue
        operands = [known[x] if isinstance(x, ir.Value) else x for x in node.inputs]
        args = ir.substitute(node.args, known)
        kwargs = ir.substitute(node.kwargs, known)
        result = (op.forward(np, operands, *args, **kwargs) if op.nin == -1
                  else op.forward(np, *operands, *args, **kwargs))
        results = (result,) if op.n_outputs == 1 else tuple(result)
        for value, array in zip(node.outputs, results):
            value.kind, value.data, value.producer = "constant", np.asarray(array), None
            graph.constants.append(value)
            known[value] = value.data
    graph.nodes = kept


_NEVER_FOLD = {"_dropout", "_to_copy"}  # random; a cast of a weight keeps its source name


def _to_onnx(onnx, graph, model, opset, export_params, input_names, output_names,
             dynamic_axes):
    helper = onnx.helper
    input_names = list(input_names or [])
    input_names += [f"input_{i}" if len(graph.inputs) > 1 else "input"
                    for i in range(len(input_names), len(graph.inputs))]
    output_names = list(output_names or [])
    output_names += [f"output_{i}" if len(graph.outputs) > 1 else "output"
                     for i in range(len(output_names), len(graph.outputs))]
    dynamic = {name: _axes(axes, name) for name, axes in dynamic_axes.items()}
    sizes = frozenset(v.shape[a] for v, name in zip(graph.inputs, input_names)
                      for a in dynamic.get(name, {}))
    g = GraphBuilder(onnx, opset, sizes)
    names: dict = {}
    graph_inputs = []
    for v, name in zip(graph.inputs, input_names):
        names[v] = name
        g.note(name, v.shape, v.dtype.np)
        graph_inputs.append(_value_info(helper, name, v, dynamic.get(name, {})))
    state = named_state(model) if isinstance(model, Module) else {}
    read = {v for n in graph.nodes for v in n.reads()} | set(graph.outputs)
    used_params = [v for v in graph.params if v in read]
    for v in used_params:
        names[v] = v.name
        g.note(v.name, v.shape, v.dtype.np)
        if export_params:
            g.initializers.append(onnx.numpy_helper.from_array(
                np.ascontiguousarray(state[v.name]._data), v.name))
        else:
            graph_inputs.append(_value_info(helper, v.name, v, {}))
    axes_of = {v.shape[a]: (name, a) for v, name in zip(graph.inputs, input_names)
               for a in dynamic.get(name, {})}
    for v in graph.constants:
        if v in read:  # constants folded into others are left unread
            names[v] = _constant(g, v.data, axes_of)
    for node in graph.nodes:
        _lower(g, node, names)
    graph_outputs = []
    for v, name in zip(graph.outputs, output_names):
        if not isinstance(v, ir.Value):
            raise UnsupportedOperatorError(
                f"ember.onnx.export: the model returns a Python {type(v).__name__}, not a "
                "tensor; ONNX graphs return tensors only")
        if v not in names:
            raise UnsupportedOperatorError(
                f"ember.onnx.export: the model returns output {v.index} of "
                f"'{v.producer.op}', which has no ONNX counterpart")
        g.nodes.append(helper.make_node("Identity", [names[v]], [name]))
        # With dynamic inputs, an output's shape is left to ONNX's shape inference (below)
        # unless the caller named its axes: the traced sizes would pin the batch.
        graph_outputs.append(_value_info(helper, name, v, dynamic.get(name, {}))
                             if name in dynamic or not sizes else
                             helper.make_tensor_value_info(
                                 name, helper.np_dtype_to_tensor_dtype(np.dtype(v.dtype.np)),
                                 [None] * len(v.shape)))
    onnx_graph = helper.make_graph(g.nodes, type(model).__name__ if isinstance(model, Module)
                                   else getattr(model, "__name__", "graph"),
                                   graph_inputs, graph_outputs, g.initializers)
    proto = helper.make_model(onnx_graph, producer_name="ember",
                              opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(proto)
    if sizes:
        proto = onnx.shape_inference.infer_shapes(proto)
    return proto


def _constant(g: GraphBuilder, data: np.ndarray, axes_of: dict) -> str:
    """A constant of the trace; a filled one (the zero initial state an LSTM makes for its
    batch) whose shape holds a dynamic axis's size takes that size from the input at run
    time, so that it follows the batch."""
    if (not axes_of or data.size < 2 or not any(s in axes_of for s in data.shape)
            or not (data == data.flat[0]).all()):
        return g.const(data)
    dims = [g.op("Gather", g.op("Shape", axes_of[s][0]), g.ints([axes_of[s][1]]), axis=0)
            if s in axes_of else g.ints([s]) for s in data.shape]
    filled = g.op("Expand", g.const(data.flat[0], dtype=data.dtype),
                  g.op("Concat", *dims, axis=0))
    g.note(filled, data.shape, data.dtype)
    return filled


def _lower(g: GraphBuilder, node, names: dict) -> None:
    op = TABLE[node.op]
    lowering = op.onnx_lowering
    where = f" (called at {node.source})" if node.source else ""
    if lowering is None:
        raise UnsupportedOperatorError(
            f"ember.onnx.export: the op '{node.op}'{where} has no ONNX lowering yet")
    for v in node.reads():
        if v not in names:  # a lowering returned None for an output ONNX has no form of
            producer = v.producer.op if v.producer is not None else v.kind
            raise UnsupportedOperatorError(
                f"ember.onnx.export: '{node.op}'{where} reads output {v.index} of "
                f"'{producer}', which has no ONNX counterpart")
    # A Python number beside tensors takes the result's dtype, or, for a comparison, that of
    # the tensor it is compared with.
    out = np.dtype(node.outputs[0].dtype.np)
    like = out if out != np.bool_ else next(
        (np.dtype(x.dtype.np) for x in node.inputs if isinstance(x, ir.Value)), out)
    operands = []
    for x in node.inputs:
        if isinstance(x, ir.Value):
            operands.append(names[x])
        elif x is None:  # an optional operand left out (clamp's min or max)
            operands.append(None)
        else:
            operands.append(g.scalar(x, like))
    args = ir.substitute(node.args, names)
    kwargs = ir.substitute(node.kwargs, names)
    g.node = node
    try:
        if isinstance(lowering, str):
            result = g.op(lowering, *operands)
        elif op.nin == -1:
            result = lowering(g, operands, *args, **kwargs)
        else:
            result = lowering(g, *operands, *args, **kwargs)
    except NotImplementedError as e:  # a lowering refusing these arguments
        raise UnsupportedOperatorError(f"ember.onnx.export: {e}{where}") from None
    results = result if isinstance(result, tuple) else (result,)
    for value, name in zip(node.outputs, results):
        if name is None:  # an output ONNX has no counterpart for: fine while nothing reads it
            continue
        names[value] = name
        g.note(name, value.shape, value.dtype.np)


def _axes(axes, name: str) -> dict:
    if isinstance(axes, dict):
        return {int(k): str(v) for k, v in axes.items()}
    return {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}


def _value_info(helper, name: str, v, dynamic: dict):
    dims = [dynamic.get(i, size) for i, size in enumerate(v.shape)]
    return helper.make_tensor_value_info(
        name, helper.np_dtype_to_tensor_dtype(np.dtype(v.dtype.np)), dims)


def _write(data: bytes, f) -> None:
    """Write the model to a path atomically (or to a binary file object as is)."""
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                   prefix=".onnx-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    elif isinstance(f, io.IOBase) or hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"ember.onnx.export: f must be a path or a binary file object, not "
                        f"{type(f).__name__}")
