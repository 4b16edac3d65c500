"""`ember.jit.trace`: record one run of a function or module; the traced object replays it.

A traced object holds a `Graph` (``.graph``, printable as ``.code``). Called without
gradients to track, it runs the graph's generated code on arrays (`replay.build`); when a
parameter or input requires grad, it runs the graph through the op table so autograd
records it as in eager mode.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from .._tensor import Tensor, wrap
from ..autograd.grad_mode import STATE, no_grad
from ..nn.modules.module import Module
from ..nn.parameter import Parameter
from . import replay
from ._tree import flatten, unflatten
from .ir import Graph
from .tracer import Generator, Tracer, TracerWarning


class TracingCheckError(RuntimeError):
    """``check_trace`` found that the trace does not reproduce the program."""


def named_state(module: Module | None) -> dict:
    """``state_dict`` name -> tensor for every parameter and buffer of ``module``."""
    if module is None:
        return {}
    found = dict(module.named_parameters())
    for name, b in module.named_buffers():
        if b is not None:
            found.setdefault(name, b)
    return found


def capture(fn: Callable, args: tuple, named: dict, warn: bool = True,
            strict: bool = True) -> tuple[Graph, Tracer, Any]:
    """Run ``fn(*args)`` once under a tracer: (graph, tracer, the eager result)."""
    tracer = Tracer(named, warn=warn)
    tensors, in_tree = flatten(tuple(args))
    with tracer:
        for i, t in enumerate(tensors):
            tracer.add_input(t, f"input_{i}" if len(tensors) > 1 else "input")
        result = fn(*args)
        out_tensors, out_tree = flatten(result)
        if strict:
            _check_strict(out_tree)
        outputs = [tracer.value_of(t) for t in out_tensors]
    graph = tracer.graph
    graph.outputs = outputs
    graph.output_tree = out_tree
    graph.input_tree = in_tree
    return graph, tracer, result


def _check_strict(tree) -> None:
    kind, body = tree
    if kind in ("list", "dict"):
        raise RuntimeError(
            f"ember.jit.trace: the traced function returns a {kind}; its contents are "
            "mutable and might not be traced correctly. Return a tuple, or pass strict=False "
            "to trace it anyway.")
    if kind == "tuple":
        for x in body:
            _check_strict(x)


class _Traced:
    """What a traced function and a traced module share: the graph and how to run it."""

    graph: Graph

    def _setup(self, graph: Graph, state: dict) -> None:
        self.graph = graph
        self._state = state  # state_dict name -> tensor, read at every call
        self._param_tensors = [state[p.name] for p in graph.params]
        self._runner = None

    @property
    def code(self) -> str:
        """The traced program as readable Python."""
        return self.graph.code

    def _run(self, args: tuple):
        tensors, _ = flatten(tuple(args))
        graph = self.graph
        if len(tensors) != len(graph.inputs):
            raise RuntimeError(f"ember.jit: the traced program takes {len(graph.inputs)} "
                               f"tensors, got {len(tensors)}")
        params = self._param_tensors
        if STATE.grad_enabled and (any(t._requires_grad for t in tensors) or
                                   any(p._requires_grad for p in params)):
            env = dict(zip(graph.inputs, tensors))
            env.update(zip(graph.params, params))
            outs = replay.interpret(graph, env, graph.outputs)
        else:
            if self._runner is None:
                self._runner = replay.build(graph, graph.inputs + graph.params, graph.outputs)
            arrays = self._runner(*[t._data for t in tensors], *[p._data for p in params])
            outs = [wrap(a) if isinstance(a, np.ndarray) or np.isscalar(a) and
                    isinstance(a, np.generic) else a for a in arrays]
        return unflatten(graph.output_tree, outs)


class TracedFunction(_Traced):
    """A traced function: call it like the original (``traced(x)``)."""

    def __init__(self, graph: Graph, name: str = "forward", state: dict | None = None):
        self._setup(graph, state or {})
        self.__name__ = name

    def __call__(self, *args):
        return self._run(args)

    def save(self, f) -> None:
        """Save the traced function to ``f`` (a path or binary file); `ember.jit.load` reads
        it back."""
        from .serialize import save
        save(self, f)


class TracedModule(_Traced, Module):
    """A traced module: the original's parameters and buffers (same ``state_dict`` keys,
    shared with it when traced from a live module) and the graph of its ``forward``."""

    def __init__(self, graph: Graph, state: dict, params: set, training: bool = True,
                 name: str = "TracedModule"):
        Module.__init__(self)
        for key, t in state.items():
            _attach(self, key, t, key in params)
        self.training = training
        self._name = name
        self._setup(graph, named_state(self))

    def forward(self, *args):
        return self._run(args)

    def _apply(self, fn, recurse: bool = True):
        out = Module._apply(self, fn, recurse)
        state = named_state(self)
        self._param_tensors = [state[p.name] for p in self.graph.params]
        self._runner = None
        return out

    def extra_repr(self) -> str:
        return f"original_name={self._name}"

    def save(self, f) -> None:
        """Save the traced module to ``f`` (a path or binary file); `ember.jit.load` reads it back.
        """
        from .serialize import save
        save(self, f)


def _attach(root: Module, key: str, t: Tensor, is_param: bool) -> None:
    """Register ``t`` under the dotted ``key``, making plain child modules on the way."""
    *path, leaf = key.split(".")
    m = root
    for part in path:
        child = m._modules.get(part)
        if child is None:
            child = Module()
            m.add_module(part, child)
        m = child
    if is_param:
        if not isinstance(t, Parameter):  # loaded from a file: trainable, as it was
            t = Parameter(t)
        m.register_parameter(leaf, t)
    else:
        m.register_buffer(leaf, t)


def _as_args(example_inputs) -> tuple:
    if isinstance(example_inputs, tuple):
        return example_inputs
    return (example_inputs,)


def trace(func, example_inputs=None, optimize=None, check_trace: bool = True,
          check_inputs=None, check_tolerance: float = 1e-5, strict: bool = True,
          example_kwarg_inputs=None, **_):
    """Run ``func`` once on ``example_inputs`` and return an object that replays the ops it
    recorded: a `TracedModule` for a module, else a `TracedFunction`.

    Python control flow is fixed by the example run; where Python read tensor data the
    trace warns (`TracerWarning`). With ``check_trace`` the program is traced again (on
    ``check_inputs`` if given) and the two traces and their outputs are compared.

    >>> traced = ember.jit.trace(nn.Linear(3, 2), ember.randn(4, 3))
    >>> print(traced.code)  # doctest: +SKIP
    """
    if example_kwarg_inputs is not None:
        raise NotImplementedError("ember.jit.trace: example_kwarg_inputs is not supported; "
                                  "pass the inputs positionally")
    if isinstance(func, Module):
        return trace_module(func, {"forward": example_inputs}, check_trace, check_inputs,
                            check_tolerance, strict)
    args = _as_args(example_inputs)
    graph, _, _ = capture(func, args, {}, strict=strict)
    traced = TracedFunction(graph, getattr(func, "__name__", "forward"))
    if check_trace:
        _check(func, traced, [args] + [_as_args(c) for c in check_inputs or []],
               check_tolerance, {}, strict)
    return traced


def trace_module(mod: Module, inputs: dict, check_trace: bool = True, check_inputs=None,
                 check_tolerance: float = 1e-5, strict: bool = True, **_):
    """Trace the methods of ``mod`` named in ``inputs`` (``{"forward": example_inputs}``);
    the result is a `TracedModule` sharing ``mod``'s parameters and buffers, with each
    further traced method as an attribute.

    >>> class Net(nn.Linear):
    ...     def encode(self, x):
    ...         return self(x).relu()
    >>> x = ember.randn(2, 4)
    >>> traced = ember.jit.trace_module(Net(4, 3), {"forward": x, "encode": x})
    >>> traced.encode(x).shape
    ember.Size([2, 3])
    """
    if not isinstance(inputs, dict) or not inputs:
        raise AttributeError("ember.jit.trace_module: inputs must be a dict of method name -> "
                             "example inputs")
    named = named_state(mod)
    params = {name for name, _ in mod.named_parameters()}
    traced = None
    for method_name, example in inputs.items():
        method = mod if method_name == "forward" else getattr(mod, method_name)
        args = _as_args(example)
        graph, _, _ = capture(method, args, named, strict=strict)
        if check_trace:
            _check(method, TracedFunction(graph, method_name, named),
                   [args] + [_as_args(c) for c in check_inputs or []], check_tolerance,
                   named, strict)
        if method_name == "forward" or traced is None:
            if traced is None:
                traced = TracedModule(graph, named, params, mod.training, type(mod).__name__)
        if method_name != "forward":
            sub = TracedFunction(graph, method_name, named)
            object.__setattr__(traced, method_name, sub)
    return traced


def _check(func, traced, all_inputs, tolerance, named, strict) -> None:
    """check_trace: trace again on each input set; the ops and the outputs must agree."""
    random = any(isinstance(a, Generator) for n in traced.graph.nodes for a in n.args)
    for args in all_inputs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TracerWarning)
            graph, _, expected = capture(func, args, named, warn=False, strict=strict)
        ops, again = [n.op for n in traced.graph.nodes], [n.op for n in graph.nodes]
        if ops != again:
            raise TracingCheckError(
                "ember.jit.trace: the graphs differ across invocations (Python control flow "
                "depends on the inputs?):\n" + _diff(traced.graph, graph))
        if random:
            warnings.warn("ember.jit.trace: the trace has nondeterministic nodes (random "
                          "draws); its outputs were not compared", TracerWarning)
            continue
        with no_grad():
            got = traced(*args)
        got_t, _ = flatten(got)
        want_t, _ = flatten(expected)
        for i, (g, w) in enumerate(zip(got_t, want_t)):
            if g.shape != w.shape or not np.allclose(g._data, w._data, rtol=tolerance,
                                                     atol=tolerance, equal_nan=True):
                raise TracingCheckError(
                    f"ember.jit.trace: output {i} of the traced function does not match the "
                    "Python function's (the trace may hold a value that depends on data)")


def _diff(a: Graph, b: Graph) -> str:
    lines = []
    for i, (x, y) in enumerate(zip(a.nodes, b.nodes)):
        if x.op != y.op:
            lines.append(f"  node {i}: {x.op} (first trace) vs {y.op} (second trace)")
            break
    if len(a.nodes) != len(b.nodes):
        lines.append(f"  {len(a.nodes)} nodes vs {len(b.nodes)} nodes")
    return "\n".join(lines)

