"""Recording one run of a program into a `Graph`.

While a `Tracer` is installed in `ember._trace_hook.ACTIVE`, every op-table call goes through
it: the call runs eagerly as usual, and a node naming the op, the values it read and the
values it made is appended to the graph. Tensors are known by identity (and by their
array, so that aliases made outside the table, such as a saved tensor's alias, resolve to
the value they alias). A tensor the tracer has not seen is a parameter or buffer (by its
``state_dict`` name) or else a constant captured by value.

Composite ops (``ember.ops.COMPOSITES``) decompose into the table ops they call. Where
Python reads tensor data (``.item()``, ``bool(t)``, ``.tolist()``) or an op's output shape
depends on the data (``nonzero``), the trace can only hold the value seen this time: the
tracer notes a data dependence, naming the user's line.
"""
from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from .. import _trace_hook
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ..ops._op import TABLE, OpNode, _promote, _tensor_kwargs_to_args, apply
from ..ops._inplace import apply_inplace
from .ir import AsArray, Graph, Node, Value

_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

# Ops whose output shape depends on the input's values, not only on its shape.
DATA_DEPENDENT_SHAPE = frozenset({"nonzero", "masked_select", "unique", "unique_consecutive",
                                  "argwhere", "bincount", "repeat_interleave"})


class TracerWarning(Warning):
    """The trace holds a value that depended on tensor data: it may not generalize."""


class GraphBreak(RuntimeError):
    """Capture could not follow the program here (``reason``, at the user's ``source``)."""

    def __init__(self, reason: str, source: str | None):
        super().__init__(f"{reason} (at {source})" if source else reason)
        self.reason = reason
        self.source = source


class Generator:
    """A random-number generator argument: the default generator of ``device``, looked up
    when the graph runs (so each run draws fresh numbers, as the program would)."""

    __slots__ = ("device",)

    def __init__(self, device: str):
        self.device = device

    def resolve(self):
        from .. import random as _random
        return _random.generator_for(self.device).rng

    def __repr__(self) -> str:
        return f"Generator({self.device!r})"

    def __eq__(self, other) -> bool:
        return type(other) is Generator and other.device == self.device

    def __hash__(self) -> int:
        return hash(("Generator", self.device))


class DerivativeContext:
    """What a derivative node needs besides tensors: the forward's input shapes and dtypes,
    which inputs need a gradient, and where the saved tensors and gradients sit among the
    node's inputs."""

    __slots__ = ("shapes", "np_dtypes", "needs", "n_saved", "saved_outputs", "n_outputs")

    def __init__(self, shapes, np_dtypes, needs, n_saved, saved_outputs, n_outputs):
        self.shapes = shapes
        self.np_dtypes = np_dtypes
        self.needs = needs
        self.n_saved = n_saved
        self.saved_outputs = saved_outputs  # per saved entry: its output_nr, or None
        self.n_outputs = n_outputs

    def __repr__(self) -> str:
        return f"ctx(needs={self.needs})"


def user_frame():
    """(filename, lineno) of the innermost frame outside Ember's own package, or None."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_EMBER_DIR):
        f = f.f_back
    return None if f is None else (f.f_code.co_filename, f.f_lineno)


def user_source() -> str | None:
    """``"file.py:LINE"`` of the user's code running now."""
    frame = user_frame()
    return None if frame is None else f"{os.path.basename(frame[0])}:{frame[1]}"


class Tracer:
    """Records op calls into ``self.graph`` while installed (``with tracer:``).

    ``named_tensors`` maps ``state_dict`` names to the parameters and buffers the program
    may read; ``warn``: issue a `TracerWarning` at each data dependence (jit.trace); the
    dependences are kept in ``breaks`` either way (ember.compile reads them).
    """

    def __init__(self, named_tensors: dict | None = None, warn: bool = True):
        self.graph = Graph()
        self.warn = warn
        self.breaks: list[tuple[str, str | None]] = []
        self._by_tensor: dict[int, Value] = {}
        self._by_array: dict[int, Value] = {}
        self._alive: list = []  # keeps ids stable: nothing recorded is freed while tracing
        self._named: dict[int, tuple[str, Tensor]] = {}
        self._tensors = dict(named_tensors or {})  # name -> tensor, for the params read
        # Leaf tensors that require grad and that the program reaches without a name (a
        # closure's weights): parameters too when set (ember.compile), else constants.
        self.live_leaves = False
        for name, t in (named_tensors or {}).items():
            self._named.setdefault(id(t), (name, t))
            self._named.setdefault(id(t._data), (name, t))
        self._param_values: dict[str, Value] = {}
        self._recorded: dict[int, Node] = {}  # id of an autograd node -> the IR node
        self._inside = False
        self.backward_start = None     # index of the first node of the captured backward
        # For compiling the part of a program before its first graph break: the op calls as
        # the dispatcher made them (the nodes they recorded), and where the break came.
        self.calls: list[Node] = []
        # Each call as Python made it: (op, its arguments with tensors as their values), for
        # checking a replay against the capture (`ember.compiler`).
        self.signatures: list[tuple] = []
        self.cuts: list[tuple[int, int]] = []  # (calls, nodes) before each break
        self.read: list = []  # the values Python read the data of (None: unknown ones)

    # -- installing ----------------------------------------------------------------------
    def __enter__(self) -> "Tracer":
        if _trace_hook.ACTIVE:
            raise RuntimeError("ember.jit: a trace is already recording; tracing inside a "
                               "traced function is not supported")
        _trace_hook.ACTIVE.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _trace_hook.ACTIVE.clear()

    # -- values --------------------------------------------------------------------------
    def add_input(self, t: Tensor, name: str) -> Value:
        v = self.graph.add_input(name, tuple(t._data.shape), t.dtype, str(t.device))
        self.bind(t, v)
        return v

    def bind(self, t: Tensor, v: Value) -> None:
        self._by_tensor[id(t)] = v
        self._by_array[id(t._data)] = v
        self._alive.append(t)

    def known(self, t: Tensor) -> Value | None:
        """The value ``t`` holds, if the trace has seen it or its array."""
        return self._by_tensor.get(id(t)) or self._by_array.get(id(t._data))

    def value_of(self, t: Tensor) -> Value:
        v = self.known(t)
        if v is not None:
            return v
        named = self._named.get(id(t)) or self._named.get(id(t._data))
        if named is None and self.live_leaves and t._requires_grad and t._grad_fn is None:
            named = (f"free_{len(self._tensors)}", t)
            self._tensors[named[0]] = t
            self._named[id(t)] = named
        if named is not None and named[1]._data is t._data:
            name = named[0]
            v = self._param_values.get(name)
            if v is None:
                v = self._param_values[name] = self.graph.add_param(
                    name, tuple(t._data.shape), t.dtype, str(t.device))
        else:
            v = self.graph.add_constant(t._data, t.dtype, str(t.device))
        self.bind(t, v)
        return v

    def param_tensor(self, name: str) -> Tensor:
        """The live tensor of the parameter value named ``name``."""
        return self._tensors[name]

    def _array_value(self, a) -> Value:
        v = self._by_array.get(id(a))
        if v is None:
            from .. import _dtype as dt
            v = self.graph.add_constant(a, dt.from_numpy_dtype(a.dtype), "cpu")
            self._by_array[id(a)] = v
            self._alive.append(a)
        return v

    def _convert(self, obj):
        """A plain argument with its tensors (and arrays, generators) made graph values."""
        if isinstance(obj, Tensor):
            return self.value_of(obj)
        t = type(obj)
        if t is tuple or t is list:
            return t(self._convert(x) for x in obj)
        if t is dict:
            return {k: self._convert(x) for k, x in obj.items()}
        if t is slice:
            return slice(self._convert(obj.start), self._convert(obj.stop),
                         self._convert(obj.step))
        if t is np.ndarray:
            return AsArray(self._array_value(obj))
        if isinstance(obj, np.random.Generator):
            return self._generator(obj)
        return obj

    def _generator(self, rng):
        from .. import random as _random
        if _random.generator_for("cpu").rng is rng:
            return Generator("cpu")
        return rng  # a generator of the caller's own: kept as is (cannot be saved)

    # -- the op hooks --------------------------------------------------------------------
    def __call__(self, op, args: tuple, kwargs: dict):
        """An op call from the dispatcher: run it and record it."""
        if self._inside:
            return apply(op, args, kwargs, traced=True)
        signature = (op.name, self._convert(args), self._convert(kwargs))
        from ..amp._hook import ACTIVE as autocast
        if autocast:
            args = autocast[0](op.name, args)  # the casts are recorded as ops of their own
        if kwargs:
            kwargs = dict(kwargs)
            if "out" in kwargs:
                self._break(f"{op.name}(out=...) writes into a tensor the graph can't follow")
                return apply(op, args, kwargs, traced=True)
            args = _tensor_kwargs_to_args(op, args, kwargs)
        self._inside = True
        try:
            result = apply(op, args, dict(kwargs), traced=True)
        finally:
            self._inside = False
        outs = result if isinstance(result, tuple) else (result,)
        node = self._record(op, args, kwargs, outs, "op")
        self.calls.append(node)
        self.signatures.append(signature)
        if op.name in DATA_DEPENDENT_SHAPE or op.name == "index" and _has_mask(args[1:]):
            self.data_dependent(f"{op.name}() (its output shape depends on the values)")
        grad_fn = outs[0]._grad_fn if outs else None
        if grad_fn is not None:
            self._recorded[id(grad_fn)] = node  # for its derivative, if traced later
            self._alive.append(grad_fn)
            if isinstance(getattr(grad_fn, "stash", None), np.ndarray):
                self._by_array[id(grad_fn.stash)] = node.stash
        return result

    def inplace(self, op, target: Tensor, args: tuple, kwargs: dict) -> Tensor:
        """An in-place op (``x.add_(y)``, ``x[i] = v``): run it and record it."""
        if self._inside:
            return apply_inplace(op, target, args, kwargs, traced=True)
        # the value the target had before the write
        signature = (op.name, self._convert((target,) + tuple(args)), self._convert(kwargs))
        operands = (target,) + tuple(args[:max(op.nin, 1) - 1])
        promote = op.inplace_forward is None  # a direct write takes its operands as they are
        inputs = self._operands(op, operands, promote)
        self._inside = True
        try:
            apply_inplace(op, target, args, kwargs, traced=True)
        finally:
            self._inside = False
        node = Node(op.name, inputs, self._convert(tuple(args[len(operands) - 1:])),
                    self._convert(kwargs), "inplace", user_source())
        self.graph.add_node(node, [_describe(target)])
        self.calls.append(node)
        self.signatures.append(signature)
        self.bind(target, node.outputs[0])
        return target

    def _record(self, op, args, kwargs, outs, kind: str) -> Node:
        if op.nin == -1:
            operands, rest = tuple(args[0]), args[1:]
        else:
            operands, rest = args[:op.nin], args[op.nin:]
        inputs = self._operands(op, operands, True)
        node = Node(op.name, inputs, self._convert(tuple(rest)), self._convert(kwargs), kind,
                    user_source())
        self.graph.add_node(node, [_describe(t) for t in outs], stash=op.stash)
        for t, v in zip(outs, node.outputs):
            self.bind(t, v)
        return node

    def _operands(self, op, operands, promote: bool) -> list:
        """The operand values, with a cast node wherever the op's promotion casts one."""
        arrays = [x._data if isinstance(x, Tensor) else x for x in operands]
        promoted = arrays
        if promote and op.promote is not None and any(isinstance(x, Tensor) for x in operands):
            promoted = _promote(op, operands, list(arrays))
        inputs = []
        # Under no_grad the call's result has no history: the graph says so with a detach,
        # so that a replay that records autograd (a traced module training) agrees.
        cut = not STATE.grad_enabled and self.backward_start is None
        for x, a, p in zip(operands, arrays, promoted):
            if isinstance(x, Tensor):
                v = self.value_of(x)
                if cut and x._requires_grad:
                    v = self._unary("detach", v, x, x.dtype, ())
                if p is not a and p.dtype != a.dtype:
                    v = self._cast(v, x, p.dtype)
                inputs.append(v)
            elif isinstance(p, np.ndarray):  # a number the promotion made an array
                inputs.append(self._array_value(p))
            else:
                inputs.append(self._convert(x))
        return inputs

    def _cast(self, v: Value, t: Tensor, np_dtype) -> Value:
        from .. import _dtype as dt
        dtype = dt.from_numpy_dtype(np_dtype)
        return self._unary("_to_copy", v, t, dtype, (dtype, None))

    def _unary(self, op: str, v: Value, t: Tensor, dtype, args: tuple) -> Value:
        """Record ``op(v, *args)`` that the eager call did implicitly."""
        node = Node(op, [v], args, {}, "op", user_source())
        self.graph.add_node(node, [(tuple(t._data.shape), dtype, str(t.device))],
                            stash=TABLE[op].stash)
        return node.outputs[0]

    # -- data dependence -----------------------------------------------------------------
    def data_dependent(self, what: str, tensor: Tensor | None = None) -> None:
        """Python read tensor data (``what``; of ``tensor`` where known): the trace keeps
        only this run's value."""
        frame = user_frame()
        source = None if frame is None else f"{os.path.basename(frame[0])}:{frame[1]}"
        reason = f"{what} makes Python depend on tensor data"
        self.read.append(None if tensor is None else self.known(tensor))
        if any(seen == source for _, seen in self.breaks):
            return  # one report per line (bool(t) reads the data through item())
        self.graph_break(reason, source)
        if self.warn and frame is not None:
            warnings.warn_explicit(reason + "; the trace treats the value as a constant and "
                                   "may be wrong for other inputs", TracerWarning, frame[0],
                                   frame[1])

    def _break(self, reason: str) -> None:
        self.graph_break(reason, user_source())

    def graph_break(self, reason: str, source: str | None) -> None:
        """Capture can't follow the program from here (``reason``, at ``source``)."""
        cut = (len(self.calls), len(self.graph.nodes))
        if not self.cuts or self.cuts[-1] != cut:
            self.cuts.append(cut)
        self.breaks.append((reason, source))

    # -- backward ------------------------------------------------------------------------
    def backward(self, node, grads):
        """A backward node from the engine: trace its derivative's ops; where the derivative
        computes outside the op table, record one node that runs the derivative whole."""
        if self.backward_start is None:
            self._break("backward() inside the captured region")
            return node.apply(grads)
        graph = self.graph
        n_nodes, n_constants = len(graph.nodes), len(graph.constants)
        grads_in = node.apply(grads)
        traced = len(graph.constants) == n_constants and all(
            g is None or self.known(g) is not None for g in grads_in)
        if traced:
            for g in grads_in:
                if g is not None:
                    self.value_of(g)
            return grads_in
        del graph.nodes[n_nodes:]
        del graph.constants[n_constants:]
        if not isinstance(node, OpNode):
            raise GraphBreak(f"the backward of {node.name()} computes outside the op table",
                             None)
        return self._derivative_node(node, grads, grads_in)

    def _derivative_node(self, node, grads, grads_in):
        op = node.op
        saved = node._saved
        if saved is None:
            raise GraphBreak("a saved tensor was freed before the backward", None)
        inputs = []
        for t, _, _ in saved:
            if isinstance(t, Tensor):
                v = self.known(t)
                if v is None:
                    raise GraphBreak(f"the backward of {op.name} saves a tensor made outside "
                                     "the op table", None)
                inputs.append(v)
            else:
                inputs.append(t)
        for g in grads:
            inputs.append(None if g is None else self.value_of(g))
        stash_value = None
        if op.stash:
            stash_value = self._stash_value(node)
        ctx = DerivativeContext(node.shapes, node.np_dtypes, node.needs_input_grad,
                                len(saved), tuple(nr for _, _, nr in saved), node.n_outputs)
        args = (ctx, stash_value) + self._convert(tuple(node.args))
        n = Node(op.name, inputs, args, self._convert(node.kwargs), "derivative", None)
        self.graph.add_node(n, [(None, None, None) if g is None else _describe(g)
                                for g in grads_in])
        for g, v in zip(grads_in, n.outputs):
            if g is not None:
                self.bind(g, v)
        return grads_in

    def _stash_value(self, node) -> Value:
        recorded = self._recorded.get(id(node))
        if recorded is None or recorded.stash is None:
            raise GraphBreak(f"the backward of {node.op.name} needs data its forward kept "
                             "outside the graph", None)
        return recorded.stash


def _describe(t: Tensor) -> tuple:
    return tuple(t._data.shape), t.dtype, str(t.device)


def _has_mask(key) -> bool:
    """Whether an index key holds a boolean mask (a data-dependent shape)."""
    if isinstance(key, (tuple, list)):
        return any(_has_mask(k) for k in key)
    if isinstance(key, Tensor):
        key = key._data
    return getattr(key, "dtype", None) == np.bool_

