"""Running a `Graph`: straight-line Python generated from the IR, on backend arrays.

`build` turns a graph into one Python function whose body is the nodes in order, each a
direct call of the op's forward (pre-bound as a global) on arrays: no dispatch, no dtype
promotion (the tracer made every cast a node of its own), no autograd bookkeeping. In-place
nodes write into their target's array, so views and buffers alias exactly as in eager mode.

`interpret` runs the same graph through the op table on tensors instead: slower, but it
records autograd history, so a traced module trains like the eager one.

This is the CPU backend; `ember.jit.backends` chooses it (and is where a CUDA backend will
bind CuPy kernels for the same nodes).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from .._tensor import _new, wrap
from ..autograd.grad_mode import STATE
from ..ops._op import TABLE, apply
from ..ops._inplace import apply_inplace
from .ir import AsArray, Graph, Node, Value, resolve, values_in
from .lowering import lower
from .passes import last_readers
from .symbolic import Dim, has_dims, with_shapes
from .tracer import Generator

_LITERALS = (type(None), bool, int, str)


class _Source:
    """Accumulates generated lines and the globals they refer to."""

    def __init__(self):
        self.lines: list[str] = []
        self.globals: dict = {"asarray": np.asarray, "STATE": STATE}
        self._names: dict[int, str] = {}

    def bind(self, obj, prefix: str) -> str:
        """A global name for ``obj`` (the same name for the same object)."""
        name = self._names.get(id(obj))
        if name is None:
            name = f"{prefix}{len(self.globals)}"
            self.globals[name] = obj
            self._names[id(obj)] = name
        return name

    def expr(self, obj, names: dict) -> str:
        """Python source for a plain argument; values by their variable names (arrays)."""
        if isinstance(obj, Value):
            return names[obj]
        t = type(obj)
        if t is Dim:
            return obj.source()
        if t in _LITERALS or t is float and math.isfinite(obj):
            return repr(obj)
        if t is tuple:
            inner = ", ".join(self.expr(x, names) for x in obj)
            return f"({inner},)" if len(obj) == 1 else f"({inner})"
        if t is list:
            return "[" + ", ".join(self.expr(x, names) for x in obj) + "]"
        if t is slice:
            return "slice(" + ", ".join(self.expr(x, names)
                                        for x in (obj.start, obj.stop, obj.step)) + ")"
        if obj is Ellipsis:
            return "..."
        if t is dict and all(type(k) is str for k in obj):
            return "{" + ", ".join(f"{k!r}: {self.expr(x, names)}" for k, x in obj.items()) + "}"
        if t is Generator:
            return f"{self.bind(obj, 'g')}.resolve()"
        return self.bind(obj, "k")

    def arg(self, obj, names: dict) -> str:
        """Python source for an op's plain argument: a nested `Value` is passed as a tensor,
        an `AsArray` as the array."""
        if isinstance(obj, Value):
            self.globals["wrap"] = wrap
            return f"wrap({names[obj]})"
        if isinstance(obj, AsArray):
            return names[obj.value]
        t = type(obj)
        if t is tuple and values_in(obj):
            inner = ", ".join(self.arg(x, names) for x in obj)
            return f"({inner},)" if len(obj) == 1 else f"({inner})"
        if t is list and values_in(obj):
            return "[" + ", ".join(self.arg(x, names) for x in obj) + "]"
        if t is dict and values_in(obj) and all(type(k) is str for k in obj):
            return "{" + ", ".join(f"{k!r}: {self.arg(x, names)}" for k, x in obj.items()) + "}"
        if t is slice and values_in(obj):
            return "slice(" + ", ".join(self.arg(x, names)
                                        for x in (obj.start, obj.stop, obj.step)) + ")"
        if values_in(obj):
            raise ValueError(f"ember.jit: can't pass {obj!r} to generated code")
        return self.expr(obj, names)


def build(graph: Graph, inputs: Sequence[Value], outputs: Sequence, xp=np,
          kernels: dict | None = None, dims: bool = False) -> Callable:
    """A function ``run(*arrays) -> tuple`` computing ``outputs`` from the arrays of
    ``inputs`` (values of ``graph``; constants are bound in). ``kernels`` maps fused nodes
    to their compiled callables. ``dims``: the graph holds `Dim`s (`ember.jit.symbolic`),
    and ``run(dims, *arrays)`` takes the dynamic sizes first."""
    src = _Source()
    src.globals["xp"] = xp
    names: dict[Value, str] = {}
    for i, v in enumerate(inputs):
        names[v] = f"a{i}"  # never a name from the graph: a loaded file chose those
    for c in graph.constants:
        if c not in names:
            names[c] = src.bind(c.data, "c")
    body = src.lines
    kernels = kernels or {}
    dead_after = last_readers(graph, outputs)
    scratch = _scratch(graph, dead_after)
    for node in graph.nodes:
        dead = dead_after.get(node, ())
        _emit(src, node, names, kernels, scratch.get(node))
        if dead:  # free each temporary after its last reader
            body.append("del " + ", ".join(names[v] for v in dead))
    result = ", ".join(src.expr(v, names) if isinstance(v, Value) else src.bind(v, "k")
                       for v in outputs)
    body.append(f"return ({result}{',' if len(outputs) == 1 else ''})")
    params = ", ".join(["dims"] * dims + [names[v] for v in inputs])
    code = f"def run({params}):\n" + "".join(f"    {line}\n" for line in body)
    namespace = dict(src.globals)
    exec(compile(code, f"<ember graph {id(graph):#x}>", "exec"), namespace)
    run = namespace["run"]
    run.source = code
    return run


# Ops whose result is a new array of their own (never an operand's memory or a view of it).
_FRESH = frozenset({"addmm", "matmul", "mm", "bmm", "fused", "relu", "add", "mul"})


def _scratch(graph: Graph, dead_after: dict) -> dict:
    """node -> the position of an operand it may write its result over: a fresh array
    (`_FRESH`) of the result's shape and dtype that only this node reads, and that dies
    here. A fused loop may take any of its operands, other nodes their first."""
    users = graph.users()
    found = {}
    for node, dead in dead_after.items():
        out = node.outputs[0] if node.outputs else None
        candidates = node.inputs if node.kind == "fused" else node.inputs[:1]
        for k, x in enumerate(candidates):
            if (x in dead and isinstance(x, Value) and users.get(x) == [node]
                    and x.producer is not None and x.producer.op in _FRESH
                    and x.dtype == out.dtype and x.shape == out.shape):
                found[node] = k
                break
    return found


def _emit(src: _Source, node: Node, names: dict, kernels: dict, scratch=None) -> None:
    for v in node.outputs:
        names[v] = f"v{v.id}"
    if node.stash is not None:
        names[node.stash] = f"s{node.stash.id}"
    outs = [names[v] for v in node.outputs]
    operands = [src.expr(x, names) for x in node.inputs]
    kind = node.kind
    if kind == "fused":
        kernel = kernels[node] if scratch is None else kernels[node].writing_over(scratch)
        call = f"{src.bind(kernel, 'fused')}({', '.join(operands)})"
        src.lines.append(f"{outs[0]} = {call}")
        return
    lowered = lower(node) if node.stash is None else None
    if lowered is not None:
        fn, extra = lowered
        call = ", ".join(operands + [src.expr(x, names) for x in extra])
        src.lines.append(f"{_targets(outs)} = {src.bind(fn, 'low')}({call})")
        return
    if kind == "derivative":
        ctx, stash = node.args[0], node.args[1]
        ctx_source = src.bind(ctx, "ctx")
        if has_dims(ctx):  # its input shapes follow the dynamic sizes
            src.globals["with_shapes"] = with_shapes
            ctx_source = f"with_shapes({ctx_source}, {src.expr(ctx.shapes, names)})"
        call = (f"run_derivative({node.op!r}, {ctx_source}, [{', '.join(operands)}],"
                f" {src.expr(stash, names)}, {src.arg(node.args[2:], names)}, "
                f"{src.arg(node.kwargs, names)})")
        src.globals["run_derivative"] = run_derivative
        src.lines.append(f"{_targets(outs)} = {call}")
        return
    op = TABLE[node.op]
    if op.nin == -1:
        operands = ["[" + ", ".join(operands) + "]"]
    rest = [src.arg(a, names) for a in node.args]
    rest += [f"{k}={src.arg(a, names)}" for k, a in node.kwargs.items()]
    if kind == "inplace":
        target = operands[0]
        if op.inplace_forward is not None:
            fn = src.bind(op.inplace_forward, "w")
            src.lines.append(f"{fn}(xp, {', '.join(operands + rest)})")
        else:
            fn = src.bind(op.forward, "f")
            result = f"{fn}(xp, {', '.join(operands + rest)})"
            if op.stash:
                result += "[0]"
            src.lines.append(f"{target}[...] = {result}")
        src.lines.append(f"{outs[0]} = {target}")
        return
    inline = _inline(node, operands, scratch is not None)
    if inline is not None:
        src.lines += [line.format(out=outs[0]) for line in inline]
        return
    fn = src.bind(op.forward, "f")
    call = f"{fn}(xp, {', '.join(operands + rest)})"
    lhs = _targets(outs) if op.n_outputs != 1 else outs[0]
    if op.stash:
        lhs = f"({lhs}), {names[node.stash]}"
    src.lines.append(f"{lhs} = {call}")
    for v, name in zip(node.outputs, outs):
        if v.shape == ():  # a reduction may hand back a NumPy scalar; eager wraps it as 0-d
            src.lines.append(f"{name} = asarray({name})")


def _inline(node: Node, operands: list, over_first: bool) -> list | None:
    """The NumPy statements a hot op's forward comes down to once the trace has seen the call
    succeed with these shapes and dtypes (its checks done): the same arithmetic, minus the
    re-validation that dominates small calls. None: call the forward. ``over_first``: the
    result may be written over the first operand (see `_scratch`)."""
    out = node.outputs[0]
    values = [x for x in node.inputs if isinstance(x, Value)]
    if node.kwargs or out.dtype is None or any(v.dtype != out.dtype for v in values):
        return None
    floating = out.dtype.name in ("float32", "float64")
    if node.op == "transpose" and len(values[0].shape) >= 1:
        return [f"{{out}} = {operands[0]}.swapaxes({node.args[0]!r}, {node.args[1]!r})"]
    if node.op == "addmm" and len(values) == 3 and not node.args:
        c, x, y = operands
        return [f"{{out}} = xp.matmul({x}, {y})", f"{{out}} += {c}"]
    if node.op == "matmul" and len(values) == 2 and floating:
        return [f"{{out}} = xp.matmul({operands[0]}, {operands[1]})"]
    if node.op == "relu" and floating:
        into = f", out={operands[0]}" if over_first else ""
        return [f"{{out}} = xp.maximum({operands[0]}, 0{into})"]
    if (node.op in ("add", "mul") and floating and not node.args and values
            and all(isinstance(x, Value) or type(x) in (int, float) for x in node.inputs)):
        ufunc = "add" if node.op == "add" else "multiply"
        into = f", out={operands[0]}" if over_first else ""
        return [f"{{out}} = xp.{ufunc}({operands[0]}, {operands[1]}{into})"]
    return None


def _targets(outs: list[str]) -> str:
    return "(" + ", ".join(outs) + ("," if len(outs) == 1 else "") + ")"


# ----------------------------------------------------------------------------- derivatives

_NEEDED = (object(), 0)  # an edge that says "this input needs a gradient"
_NOT_NEEDED = (None, 0)


def run_derivative(name: str, ctx, arrays: list, stash, args: tuple, kwargs: dict) -> tuple:
    """Run the derivative of op ``name`` as the engine would, on arrays: the saved tensors
    and output gradients are ``arrays`` (see `tracer.DerivativeContext`)."""
    op = TABLE[name]
    node = _new(op.node_type)
    node.next_functions = tuple(_NEEDED if need else _NOT_NEEDED for need in ctx.needs)
    node.shapes = ctx.shapes
    node.np_dtypes = ctx.np_dtypes
    node.args = args
    node.kwargs = kwargs
    node.stash = stash
    if op.n_outputs is None:
        node.n_outputs = ctx.n_outputs
    node._pre_hooks = node._hooks = node._tensor_hooks = node.metadata = None
    saved = arrays[:ctx.n_saved]
    node._saved = tuple((wrap(a) if hasattr(a, "dtype") and hasattr(a, "shape") else a,
                         None, None) for a in saved)
    grads = [None if g is None else wrap(g) for g in arrays[ctx.n_saved:]]
    prev = STATE.grad_enabled
    STATE.grad_enabled = False
    try:
        grads_in = node.apply(grads)
    finally:
        STATE.grad_enabled = prev
    return tuple(None if g is None else g._data for g in grads_in)


# ----------------------------------------------------------------------------- interpreter


def interpret(graph: Graph, env: dict, outputs: Sequence) -> list:
    """Run ``graph`` through the op table on tensors (recording autograd as eager mode
    does). ``env`` maps the input and parameter values to tensors."""
    env = dict(env)
    for c in graph.constants:
        env.setdefault(c, wrap(c.data))
    for node in graph.nodes:
        if node.kind not in ("op", "inplace"):
            raise RuntimeError(f"ember.jit: a {node.kind} node runs only in a compiled graph")
        op = TABLE[node.op]
        operands = [env[x] if isinstance(x, Value) else x for x in node.inputs]
        args = resolve(node.args, env.__getitem__)
        kwargs = resolve(node.kwargs, env.__getitem__)
        if node.kind == "inplace":
            apply_inplace(op, operands[0], tuple(operands[1:]) + args, kwargs)
            env[node.outputs[0]] = operands[0]
            continue
        call = (operands,) + args if op.nin == -1 else tuple(operands) + args
        result = apply(op, call, kwargs)
        for v, t in zip(node.outputs, result if isinstance(result, tuple) else (result,)):
            env[v] = t
    return [env[v] if isinstance(v, Value) else v for v in outputs]
