"""``ember.jit.script`` and friends, served by tracing.

Ember has no compiler for Python source: ``script`` traces the module or function at its
first call with each input signature (shapes and dtypes), so control flow that depends
only on shapes and Python values is served, one trace per signature. Control flow that
depends on tensor *data* cannot be captured by a trace: ``script`` then raises an error
naming the line, instead of silently freezing one branch.

``freeze`` turns a traced module's parameters into constants and folds what only depends
on them; ``optimize_for_inference`` freezes and runs the graph passes. ``ignore``,
``unused`` and ``export`` mark functions as PyTorch's decorators do.
"""
from __future__ import annotations

import functools
import warnings

from .. import _trace_hook
from ..nn.modules.module import Module
from . import passes
from ._traced import TracedFunction, TracedModule, capture, named_state
from ._tree import flatten
from .ir import Graph
from .tracer import TracerWarning


def _signature(args) -> tuple:
    tensors, tree = flatten(tuple(args))
    return tree, tuple((tuple(t._data.shape), t._data.dtype) for t in tensors)


class _Scripted:
    """Traces ``fn`` per input signature, refusing data-dependent control flow."""

    def __init__(self, fn, module: Module | None, name: str):
        self._fn = fn
        self._module = module
        self._name = name
        self._traces: dict = {}

    def _traced(self, args):
        key = _signature(args)
        traced = self._traces.get(key)
        if traced is None:
            named = named_state(self._module)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TracerWarning)
                graph, tracer, _ = capture(self._fn, tuple(args), named, warn=False)
            if tracer.breaks:
                reason, source = tracer.breaks[0]
                raise RuntimeError(
                    f"ember.jit.script: can't script {self._name}: {reason} (at {source}). "
                    "Ember scripts by tracing, which follows shape-dependent control flow "
                    "but not data-dependent control flow; compute the branch with tensor ops "
                    "(ember.where) or use ember.compile, which runs such code eagerly.")
            if self._module is not None:
                params = {n for n, _ in self._module.named_parameters()}
                traced = TracedModule(graph, named, params, self._module.training, self._name)
            else:
                traced = TracedFunction(graph, self._name)
            self._traces[key] = traced
        return traced

    def latest(self):
        """The trace of the most recent input signature; RuntimeError before the first call."""
        if not self._traces:
            raise RuntimeError(f"ember.jit: {self._name} has not run yet; call it once (or "
                               "pass example_inputs to ember.jit.script) so it can be traced")
        return next(reversed(self._traces.values()))


class ScriptFunction(_Scripted):
    """A scripted function: traced per input signature at call time."""

    def __call__(self, *args):
        return self._traced(args)(*args)

    @property
    def graph(self) -> Graph:
        """The graph traced for the latest input signature (see `latest`)."""
        return self.latest().graph

    @property
    def code(self) -> str:
        """Python source equivalent to the latest traced graph."""
        return self.latest().code

    def save(self, f) -> None:
        """Save the latest trace with `ember.jit.save` to ``f`` (a path or binary file)."""
        from .serialize import save
        save(self.latest(), f)


class ScriptModule(Module):
    """A scripted module: the original module, its ``forward`` traced per input signature."""

    def __init__(self, module: Module):
        super().__init__()
        self.add_module("_original", module)
        object.__setattr__(self, "_script", _Scripted(module, module, type(module).__name__))
        for name in dir(type(module)):
            fn = getattr(type(module), name, None)
            if getattr(fn, "_ember_jit_export", False):
                bound = getattr(module, name)
                object.__setattr__(self, name, ScriptFunction(bound, None, name))

    def forward(self, *args):
        traced = self._script._traced(args)
        return traced(*args)

    def state_dict(self, *args, **kwargs):
        return self._original.state_dict(*args, **kwargs)

    def load_state_dict(self, *args, **kwargs):
        return self._original.load_state_dict(*args, **kwargs)

    @property
    def graph(self) -> Graph:
        """The graph traced for the latest input signature of ``forward``."""
        return self._script.latest().graph

    @property
    def code(self) -> str:
        """Python source equivalent to the latest traced graph of ``forward``."""
        return self._script.latest().code

    def save(self, f) -> None:
        """Save the latest trace of ``forward`` with `ember.jit.save` to ``f``."""
        from .serialize import save
        save(self._script.latest(), f)


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """Script a module or function. Ember serves this by tracing at each new input
    signature (see the module docstring); ``example_inputs`` (a list of argument tuples)
    traces right away.

    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU()); x = ember.randn(2, 4)
    >>> scripted = ember.jit.script(model); scripted(x).shape
    ember.Size([2, 3])
    """
    if isinstance(obj, (TracedModule, TracedFunction, ScriptModule, ScriptFunction)):
        return obj
    if isinstance(obj, Module):
        scripted = ScriptModule(obj)
        call = scripted._script._traced
    elif callable(obj):
        if isinstance(obj, type):
            raise RuntimeError(f"ember.jit.script: can't script the class {obj.__name__}; "
                               "script an instance of an nn.Module or a function")
        scripted = ScriptFunction(obj, None, getattr(obj, "__name__", "function"))
        call = scripted._traced
    else:
        raise RuntimeError(f"ember.jit.script: can't script a {type(obj).__name__}; expected "
                           "an nn.Module or a function")
    for args in example_inputs or ():
        call(args if isinstance(args, tuple) else (args,))
    return scripted


def _as_traced(mod) -> TracedModule:
    if isinstance(mod, ScriptModule):
        return mod._script.latest()
    if not isinstance(mod, TracedModule):
        raise RuntimeError(f"ember.jit.freeze expects a traced or scripted module, got "
                           f"{type(mod).__name__}")
    return mod


def freeze(mod, preserved_attrs=None, optimize_numerics: bool = True) -> TracedModule:
    """A copy of a traced (or scripted) module in eval mode whose parameters and buffers are
    constants of its graph, with everything computed from them alone folded.

    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU()); x = ember.randn(2, 4)
    >>> frozen = ember.jit.freeze(ember.jit.trace(model.eval(), x))
    >>> bool(ember.allclose(frozen(x), model(x)))
    True
    """
    traced = _as_traced(mod)
    if traced.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    graph = _copy(traced.graph)
    mapping = {}
    for p in graph.params:
        t = traced._state[p.name]
        mapping[p] = graph.add_constant(t._data.copy(), p.dtype, p.device)
    graph.params = []
    passes.replace_uses(graph, mapping)
    if optimize_numerics:
        passes.optimize(graph)
    frozen = TracedModule(graph, {}, set(), False, traced._name)
    return frozen


def optimize_for_inference(mod, other_methods=None) -> TracedModule:
    """Freeze (if needed) and optimize a traced module's graph for inference.

    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU()); x = ember.randn(2, 4)
    >>> fast = ember.jit.optimize_for_inference(ember.jit.trace(model.eval(), x))
    >>> bool(ember.allclose(fast(x), model(x)))
    True
    """
    traced = _as_traced(mod)
    if traced.graph.params:
        if traced.training:
            traced.eval()
        traced = freeze(traced)
    passes.optimize(traced.graph)
    traced._runner = None
    return traced


def _copy(graph: Graph) -> Graph:
    """A graph sharing values with ``graph`` but with its own node list and node objects."""
    import copy
    g = copy.copy(graph)
    g.nodes = [copy.copy(n) for n in graph.nodes]
    g.params = list(graph.params)
    g.constants = list(graph.constants)
    g.outputs = list(graph.outputs)
    return g


def ignore(drop=False, **kwargs):
    """Mark a function to leave to Python (``@ember.jit.ignore``). Ember's graphs come from
    tracing, which records the ops such a function runs, as PyTorch's tracer does."""
    if callable(drop):
        drop._ember_jit_ignore = True
        return drop

    def mark(fn):
        fn._ember_jit_ignore = True
        return fn
    return mark


def unused(fn):
    """Mark a function that graph code must not call (``@ember.jit.unused``): called while
    tracing, it raises; called eagerly, it runs.

    >>> @ember.jit.unused
    ... def debug_only(self, x): ...
    """
    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        if _trace_hook.ACTIVE:
            raise RuntimeError(f"ember.jit: {fn.__qualname__} is marked @ember.jit.unused and "
                               "was called while tracing")
        return fn(*args, **kwargs)
    guarded._ember_jit_unused = True
    return guarded


def export(fn):
    """Mark a method to be scripted besides ``forward`` (``@ember.jit.export``).

    >>> @ember.jit.export
    ... def encode(self, x): ...
    """
    fn._ember_jit_export = True
    return fn
