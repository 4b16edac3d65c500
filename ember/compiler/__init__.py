"""``ember.compile`` and the ``ember.compiler`` helpers (``reset``, ``explain``, ``disable``).

A compiled function captures its program at the first call with given guards (the call's
structure and constants, each tensor's shape, dtype, device and ``requires_grad``, grad
mode and the modules' ``training`` flags), optimizes the graph and runs the generated code
on later calls that pass the same guards. When grad mode is on and something requires
grad, the capture includes the backward (see `ember.jit.autodiff`): the compiled forward
returns tensors whose ``grad_fn`` runs the captured backward. A guard that fails captures
again (up to ``config.cache_size_limit`` variants); what capture cannot follow (Python
reading tensor data, a backward computed outside the op table) runs eagerly and is
listed by `explain`.

A graph break splits the call into parts, each compiled as its own graph with its captured
backward: the ops before the first break, which return every value Python can still see,
and the ops between each later break and the next (or the end). The program then runs from
its start with its op calls answered from the graphs (no arithmetic, one lookup each). After
a break, the call that comes picks the compiled part that starts with it (same op, operands
and arguments: a Python number read from tensor data is such an argument), and each call
after it must be that part's next one; where no part starts with it (another branch), the
rest of the call runs eagerly under a tracer, and the path it took is compiled for the
next time (up to ``config.cache_size_limit`` paths from one point). A call that differs
midway sends the rest down the eager path. A value Python kept from the first part
without reading it on (a list, an attribute) comes back without gradient history, as a
saved tensor would. Parts after a break that write into memory from before them, or draw
random numbers, run eagerly: the whole part runs at its first call, which would move
those effects.

Sizes (``dynamic``): with ``dynamic=False`` every new input shape is captured anew. With
``dynamic=None`` (the default), a call that changes one size of the inputs (a batch) is
captured again, and if the two graphs differ only in ints that follow that size
(`ember.jit.symbolic`) the new graph serves every size of it from then on. With
``dynamic=True`` the first call also captures at a smaller batch (dim 0 of the inputs
sharing the first input's batch size, buffers and random state put back afterwards), so
that a new batch size runs the first graph without capturing. Sizes 0 and 1 are always
specialized; Python branching on a dynamic size is not guarded (as in `ember.jit.trace`).
"""
from __future__ import annotations

import functools
import warnings
import weakref
from typing import Callable

import numpy as np

from .. import backend
from .._tensor import Tensor, wrap
from ..amp._hook import ACTIVE as _AUTOCAST
from .._trace_hook import ACTIVE as _TRACER
from ..profiler._hook import ACTIVE as _PROFILER
from ..autograd.grad_mode import STATE
from ..autograd.graph import Node, edge_of
from ..jit._tree import flatten, unflatten
from ..jit._traced import named_state
from ..jit.autodiff import (capture_joint, capture_segment, replayable, segments_of_rest,
                            split)
from ..jit.ir import AsArray, Value
from ..ops._inplace import apply_inplace
from ..ops._op import apply
from ..jit.symbolic import generalize, signature
from ..nn.modules.module import Module
from ..jit.tracer import Generator, GraphBreak, Tracer, user_source
from ..kernels import _POOL as _LOOPS
from . import backends

__all__ = ["compile", "reset", "explain", "disable", "is_compiling", "config", "Unsupported"]


class config:
    """Settings of `ember.compile`."""
    cache_size_limit = 8  # graphs kept per compiled function before it stays eager
    # Threaded kernels (`ember.kernels`) inside a compiled region run on the calling thread.
    # A region alternates them with BLAS products, whose threads spin on the cores for a
    # while after each one; a loop split over the cores then waits for the thread that
    # shares its core with a spinning one (bench/threads.py measures the collision).
    serial_loops = True


class Unsupported(RuntimeError):
    """``fullgraph=True`` and the program cannot be captured whole."""


_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_COMPILED: "weakref.WeakSet[CompiledFunction]" = weakref.WeakSet()
_EAGER = object()  # a cache entry: this variant runs eagerly
_capturing = [False]


def is_compiling() -> bool:
    """True while `ember.compile` is capturing a program."""
    return _capturing[0]


def disable(fn: Callable | None = None, recursive: bool = True):
    """Mark ``fn`` to always run eagerly: compiled, or called from a compiled function (which
    then runs eagerly too: a graph break).

    >>> @ember.compiler.disable
    ... def log_stats(x): ...
    """
    if fn is None:
        return functools.partial(disable, recursive=recursive)

    @functools.wraps(fn)
    def eager_only(*args, **kwargs):
        if _capturing[0] and _TRACER:
            _TRACER[0].graph_break(f"{getattr(fn, '__qualname__', fn)} is marked "
                                   "@ember.compiler.disable", user_source())
        return fn(*args, **kwargs)
    eager_only._ember_compile_disabled = True
    return eager_only


def reset() -> None:
    """Forget every captured graph: the next call of each compiled function captures
    again.

    >>> ember.compiler.reset()
    """
    for c in list(_COMPILED):
        c._cache.clear()
        c.breaks.clear()


class CompiledBackward(Node):
    """The backward of a compiled region: runs its captured backward graph on arrays."""

    __slots__ = ("run", "templates", "n_outputs")

    def apply(self, grads):
        saved = self._saved
        if saved is None:
            from ..autograd.graph import _FREED
            raise RuntimeError(_FREED)
        arrays = [g._data if g is not None else _zeros(t) for g, t in zip(grads, self.templates)]
        results = _serially(self.run, saved + tuple(arrays))
        return tuple(None if r is None else wrap(r) for r in results)

    def name(self) -> str:
        return "CompiledFunctionBackward"


def _serially(run, arrays):
    """``run(*arrays)``, its threaded loops on this thread where `config` says so. Holding
    the kernels' pool is what makes a loop run serially (`ember.kernels._Threaded`); a pool
    another thread holds already does."""
    if not config.serial_loops or not _LOOPS.acquire(blocking=False):
        return run(*arrays)
    try:
        return run(*arrays)
    finally:
        _LOOPS.release()


def _zeros(template):
    """The gradient of an output that received none."""
    return backend.xp_of(template).zeros(template.shape, template.dtype)


class Entry:
    """One captured variant: its runners and how to wire their results."""

    __slots__ = ("forward", "backward", "n_out", "diff_outputs", "wrt", "params",
                 "out_tree", "graph", "backward_graph", "signature", "shapes", "symbol")

    def __call__(self, tensors: list):
        params = self.params
        arrays = [t._data for t in tensors]
        arrays += [p._data for p in params]
        dims = None
        if self.symbol is not None:  # a shape-polymorphic graph: this call's size first
            i, axis, scale = self.symbol
            dims = (arrays[i].shape[axis] // scale,)
            arrays.insert(0, dims)
        if _PROFILER:  # the replay calls no ops the profiler would see: one range for all
            from ..profiler import record_function
            with record_function("CompiledFunction"):
                results = _serially(self.forward, arrays)
        else:
            results = _serially(self.forward, arrays)
        n_out = self.n_out
        outs = [wrap(a) if hasattr(a, "dtype") else a for a in results[:n_out]]
        if self.backward is not None:
            node = _new_backward(self, results, tensors, dims)
            if node is not None:
                for k, i in enumerate(self.diff_outputs):
                    t = outs[i]
                    t._grad_fn = node
                    t._requires_grad = True
                    if k:
                        t._output_nr = k
        return unflatten(self.out_tree, outs)


class Part:
    """A compiled part of a program after a graph break: its `Entry` (None: it runs
    eagerly), its `ember.jit.autodiff.Segment`, and the parts that may follow it."""

    __slots__ = ("entry", "segment", "after")

    def __init__(self, entry: "Entry | None", segment, after: list):
        self.entry = entry
        self.segment = segment
        self.after = after


def _first_path(parts: list) -> list:
    """The first part of ``parts``, the first of those after it, and so on."""
    found = []
    while parts:
        found.append(parts[0])
        parts = parts[0].after
    return found


class PrefixEntry:
    """A variant with graph breaks: the ops before the first break run as one compiled graph
    (``entry``); then the program runs from its start with each of those op calls answered
    from the graph's results (`_Answers`). The ops between each later break and the next (or
    the end) are compiled too (``after``: the `Part`s that may come next): when the program
    reaches such a part, its first call picks the part whose first call it is (op, operands,
    arguments), and each later call is checked likewise; where none is, the rest of the
    program runs eagerly while a tracer records it, to compile that path too (up to
    ``config.cache_size_limit`` paths after a point); a call that differs midway sends the
    rest down the eager path."""

    __slots__ = ("entry", "calls", "after", "named")

    def __init__(self, entry: Entry, calls: list, after: list, named: dict):
        self.entry = entry
        self.calls = calls
        self.after = after
        self.named = named

    @property
    def segments(self) -> list:
        """(entry, segment) of each part on the first captured path after the break."""
        return [(part.entry, part.segment) for part in _first_path(self.after)]

    def __call__(self, compiled: "CompiledFunction", tensors: list, args, kwargs):
        answers = _Answers(self, tensors, self.entry(tensors))
        _TRACER.append(answers)
        compiled.running = True
        try:
            return compiled.fn(*args, **kwargs)
        finally:
            compiled.running = False
            if answers in _TRACER:  # the program stopped before its last compiled part
                _TRACER.remove(answers)
            if answers.recorder is not None:
                answers.finish_recording(compiled)


class _Answers:
    """Stands where a tracer would (`ember._trace_hook`) while a program runs through the
    compiled parts of a call with graph breaks: each op call gets the compiled graph's
    result for it, in order; the hook removes itself after the last part's last call, or
    where the program leaves the captured paths."""

    def __init__(self, variant: PrefixEntry, tensors: list, seen: tuple):
        self.variant = variant
        self.calls = variant.calls
        self.signatures = None  # the prefix's calls are not checked: the guards cover them
        self.seen = seen
        self.at = 0
        self.options = None  # the parts the next call may start (None: inside a part)
        self.part = None
        self.recorder = None  # a tracer recording a path no part follows
        self.tensor_of: dict = {}  # value -> the tensor Python got for it
        self.value_of: dict = {}  # id(tensor) -> value, for checking calls
        graph = variant.entry.graph
        for v, t in zip(graph.inputs, tensors):
            self._know(v, t)
        for v, t in zip(graph.params, variant.entry.params):
            self._know(v, t)

    def _know(self, v, t) -> None:
        self.tensor_of[v] = t
        self.value_of[id(t)] = v

    def _leave(self) -> None:
        if self in _TRACER:
            _TRACER.remove(self)

    def _next(self, op, call: tuple):
        """The capture's record of this call (its outputs' places and values, and the
        results of its graph), or None where the program left the captured paths."""
        if self.options is not None and not self._enter(call):
            return None
        name, _, outs, values = self.calls[self.at]
        if self.signatures is None:
            if name != op.name:
                self._leave()
                raise RuntimeError(f"ember.compile: the program called {op.name} where its "
                                   f"capture called {name} (it depends on something the guards "
                                   "don't check); ember.compiler.reset() captures it again")
        elif not self._same(self.signatures[self.at], call) or (
                self.seen is None and not self._start()):
            self._leave()
            return None
        seen = self.seen
        self.at += 1
        if self.at == len(self.calls):
            self.options = self.variant.after if self.part is None else self.part.after
            if not self.options:
                self._leave()
        return outs, values, seen

    def _enter(self, call: tuple) -> bool:
        """Start the part whose first call ``call`` is; else record the path from here
        (where there is room for one more) and leave. False: the call runs eagerly."""
        part = next((p for p in self.options if self._same(p.segment.signatures[0], call)),
                    None)
        if part is None:
            if len(self.options) < config.cache_size_limit:
                self._record()
            else:
                self._leave()
            return False
        if part.entry is None:
            self._leave()
            return False
        self.part, self.options = part, None
        self.calls, self.signatures = part.segment.calls, part.segment.signatures
        self.at, self.seen = 0, None
        return True

    def _start(self) -> bool:
        """Run the current part's graph on the tensors it reads; False if one is unknown."""
        tensors = [self.tensor_of.get(v) for v in self.part.segment.graph.inputs]
        if any(t is None for t in tensors):
            return False
        self.seen = tuple(self.part.entry(tensors))
        return True

    def _record(self) -> None:
        """Hand the program to a tracer from here, knowing each tensor Python holds from the
        compiled parts as an input."""
        recorder = Tracer(self.variant.named, warn=False)
        recorder.live_leaves = True
        self.renamed, self.live = {}, []
        for v, t in self.tensor_of.items():
            if v.kind != "param" and isinstance(t, Tensor) and recorder.known(t) is None:
                self.renamed[recorder.add_input(t, f"live_{len(self.live)}")] = v
                self.live.append(t)
        self.recorder, self.record_into = recorder, self.options
        _TRACER.remove(self)
        _TRACER.append(recorder)

    def finish_recording(self, compiled) -> None:
        """Compile the recorded path's parts as a new option where its recording began."""
        recorder = self.recorder
        if recorder in _TRACER:
            _TRACER.remove(recorder)
        compiled.breaks += [b for b in dict.fromkeys(recorder.breaks) if b not in compiled.breaks]
        params = {v.name: v for v in self.variant.entry.graph.params}
        for v in recorder.graph.params:
            if v.name in params:
                self.renamed[v] = params[v.name]
        parts = []
        for segment in segments_of_rest(recorder, self.live, self.renamed)[::-1]:
            parts = [Part(None, segment, parts)]
        for part in _first_path(parts):
            part.entry = compiled._segment(part.segment, recorder._tensors)
        if parts:
            self.record_into.append(parts[0])

    def _same(self, recorded, actual) -> bool:
        """Whether a call's arguments are those the capture recorded (`Tracer.signatures`):
        tensors known by value, constants by content, the rest by equality."""
        t = type(recorded)
        if t is Value:
            if not isinstance(actual, Tensor):
                return False
            known = self.value_of.get(id(actual))
            if known is not None:
                return known is recorded
            return (recorded.kind == "constant" and actual._data.dtype == recorded.data.dtype
                    and np.array_equal(actual._data, recorded.data))
        if t is AsArray:
            data = recorded.value.data
            return (type(actual) is np.ndarray and recorded.value.kind == "constant"
                    and actual.dtype == data.dtype and np.array_equal(actual, data))
        if t is tuple or t is list:
            return (type(actual) is t and len(actual) == len(recorded)
                    and all(self._same(r, a) for r, a in zip(recorded, actual)))
        if t is dict:
            return (type(actual) is dict and actual.keys() == recorded.keys()
                    and all(self._same(r, actual[k]) for k, r in recorded.items()))
        if t is slice:
            return type(actual) is slice and self._same(
                (recorded.start, recorded.stop, recorded.step),
                (actual.start, actual.stop, actual.step))
        if t is Generator:
            return actual is recorded.resolve()
        if t is float and recorded != recorded:
            return type(actual) is float and actual != actual
        return type(actual) is t and (actual is recorded or actual == recorded)

    def __call__(self, op, args, kwargs):
        found = self._next(op, (op.name, args, kwargs))
        if found is None:
            return apply(op, args, kwargs)
        places, values, seen = found
        outs = []
        for (i, shape, dtype), v in zip(places, values):
            t = seen[i] if i is not None else _unseen(shape, dtype)
            self._know(v, t)
            outs.append(t)
        return outs[0] if op.n_outputs == 1 else tuple(outs)

    def inplace(self, op, target, args, kwargs):
        found = self._next(op, (op.name, (target,) + tuple(args), kwargs))
        if found is None:
            return apply_inplace(op, target, args, kwargs)
        ((i, _, _),), (v,), seen = found
        if i is not None:  # the graph wrote the value Python reads on
            target._data = seen[i]._data
        self._know(v, target)
        return target

    def data_dependent(self, what, tensor=None) -> None:
        pass

    def graph_break(self, reason, source) -> None:
        pass

    def backward(self, node, grads):
        return node.apply(grads)


def _unseen(shape, dtype):
    """A value that capture found nothing reads after the break: NaN (or the least integer)
    everywhere, read-only, so that a use capture missed shows."""
    np_dtype = np.dtype(dtype.np) if dtype is not None else np.dtype(np.float32)
    fill = np.nan if np_dtype.kind in "fc" else (
        False if np_dtype.kind == "b" else np.iinfo(np_dtype).min)
    return wrap(np.broadcast_to(np.full((), fill, np_dtype), shape))


def _new_backward(entry: Entry, results, tensors, dims):
    edges = []
    needed = False
    for kind, i in entry.wrt:
        t = tensors[i] if kind == "input" else entry.params[i]
        edge = edge_of(t) if STATE.grad_enabled else None
        needed = needed or edge is not None
        edges.append(edge or (None, 0))
    if not needed:
        return None
    node = CompiledBackward.__new__(CompiledBackward)
    node.next_functions = tuple(edges)
    node._saved = tuple(results[entry.n_out:])
    node._pre_hooks = node._hooks = node._tensor_hooks = node.metadata = None
    node.run = entry.backward if dims is None else functools.partial(entry.backward, dims)
    node.templates = [results[i] for i in entry.diff_outputs]
    node.n_outputs = len(entry.diff_outputs)
    return node


class CompiledFunction:
    """``fn`` compiled: captured per guard set at its first call, then replayed."""

    def __init__(self, fn: Callable, module=None, fullgraph: bool = False, dynamic=None,
                 mode=None, backend="ember", options=None):
        if mode not in _MODES:
            raise RuntimeError(f"ember.compile: unknown mode {mode!r}; expected one of "
                               f"{[m for m in _MODES if m]}")
        self.fn = fn
        self.module = module
        self.fullgraph = fullgraph
        self.dynamic = dynamic
        self.mode = mode
        self.backend = backends.lookup(backend)
        self._cache: dict = {}
        self.breaks: list[tuple[str, str | None]] = []
        self.graphs: list = []
        self.running = False
        self._modules = None
        # Where the inputs hold the one dynamic size s: (tensor index, axis, k) for a size k*s
        self._dynamic: tuple = ()
        self._warned_limit = False
        _COMPILED.add(self)
        functools.update_wrapper(self, fn, updated=())

    def _key(self, tensors, tree):
        module_state = ()
        if self.module is not None:
            if self._modules is None:
                self._modules = list(self.module.modules())
                self._params = list(self.module.parameters())
            module_state = (tuple(m.training for m in self._modules),
                            tuple(p._requires_grad for p in self._params))
        shapes = [t._data.shape for t in tensors]
        if self._dynamic:
            shapes = _wildcard(shapes, self._dynamic)
        return (tree, tuple((s, t._data.dtype, type(t._data), t._requires_grad)
                            for s, t in zip(shapes, tensors)), STATE.grad_enabled, module_state)

    def __call__(self, *args, **kwargs):
        if (self.running or self.backend is None or _AUTOCAST or _TRACER
                or getattr(self.fn, "_ember_compile_disabled", False)):
            # inside another capture, the ops must reach that capture's tracer
            return self._eager(args, kwargs)
        tensors, tree = flatten((args, kwargs))
        try:
            key = self._key(tensors, tree)
            entry = self._cache.get(key)
        except TypeError:  # an unhashable constant argument: nothing to guard on
            return self._eager(args, kwargs)
        if entry is None:
            if len(self._cache) >= config.cache_size_limit:
                if not self._warned_limit:
                    self._warned_limit = True
                    warnings.warn(f"ember.compile: {getattr(self.fn, '__name__', 'function')} "
                                  f"was captured {len(self._cache)} times "
                                  "(config.cache_size_limit); new variants run eagerly")
                return self._eager(args, kwargs)
            return self._capture(key, args, kwargs)
        if entry is _EAGER:
            return self._eager(args, kwargs)
        if type(entry) is PrefixEntry:
            return entry(self, tensors, args, kwargs)
        return entry(tensors)

    def _eager(self, args, kwargs):
        self.running = True
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.running = False

    def _capture(self, key, args, kwargs):
        named = named_state(self.module)
        tensors = flatten((args, kwargs))[0]
        shapes = [t._data.shape for t in tensors]
        earlier = self._sibling(key, shapes) if self.dynamic is None else None
        self.running = True
        _capturing[0] = True
        try:
            cap = capture_joint(lambda a, k: self.fn(*a, **k), (args, kwargs), named,
                                with_backward=True)
            probe = None
            if self.dynamic and not cap.breaks:
                probe = self._probe(args, kwargs, tensors, named)
        finally:
            self.running = False
            _capturing[0] = False
        if cap.breaks:
            self._break(key, cap.breaks)
            if cap.prefix is not None:
                try:
                    prefix, parts = self._build(cap), []  # (explain lists graphs in order)
                    for segment in cap.segments[::-1]:
                        parts = [Part(None, segment, parts)]
                    for part in _first_path(parts):
                        part.entry = self._segment(part.segment, cap.named)
                    self._cache[key] = PrefixEntry(prefix, cap.prefix, parts, cap.named)
                except GraphBreak:
                    pass
            return cap.result
        sig = signature(cap.graph) if self.dynamic is not False else None
        dynamic = None
        if earlier is not None:
            other_key, entry, positions, size_before = earlier
            i, axis, scale = positions[0]
            if generalize(entry.signature, cap.graph, size_before, shapes[i][axis] // scale):
                dynamic = positions
                del self._cache[other_key]  # the new graph serves that size too
        elif probe is not None:
            positions, probe_sig, size = probe
            if generalize(probe_sig, cap.graph, size - 1, size):
                dynamic = positions
        if dynamic:
            self._dynamic = dynamic
            key = self._key(tensors, key[0])
        try:
            entry = self._build(cap, dynamic[0] if dynamic else None)
        except GraphBreak as e:
            self._break(key, [(e.reason, e.source)])
            return cap.result
        entry.signature, entry.shapes = sig, shapes
        self._cache[key] = entry
        return cap.result

    def _segment(self, segment, named) -> "Entry | None":
        """The compiled form of a part of the program after a graph break, or None where it
        runs eagerly: it writes into memory from before it (run whole at its first call,
        the write would come early if the program left the capture's path), draws random
        numbers, or can't be captured with its backward."""
        if not replayable(segment):
            return None
        self.running = True
        try:
            cap = capture_segment(segment, named)
        except Exception:  # (GraphBreak, or an op the re-run refuses): this part stays eager,
            return None    # the program itself ran fine
        finally:
            self.running = False
        if cap.breaks:
            return None
        try:
            return self._build(cap)
        except GraphBreak:
            return None

    def _sibling(self, key, shapes):
        """An entry captured for the same call at another batch size: (its key, the entry,
        the positions of the batch (see ``_dynamic``), its batch size), or None."""
        if self._dynamic:
            return None  # one dynamic size per function
        for other_key, entry in self._cache.items():
            if (not isinstance(entry, Entry) or entry.signature is None or other_key[0] != key[0]
                    or other_key[2:] != key[2:]):
                continue
            if any(len(sa) != len(sb) for sa, sb in zip(entry.shapes, shapes)) or any(
                    x[1:] != y[1:] for x, y in zip(other_key[1], key[1])):
                continue
            changed = [(i, axis, a, b) for i, (sa, sb) in enumerate(zip(entry.shapes, shapes))
                       for axis, (a, b) in enumerate(zip(sa, sb)) if a != b]
            if not changed:
                continue
            base_a = min(a for _, _, a, _ in changed)
            base_b = min(b for _, _, _, b in changed)
            if min(base_a, base_b) >= 2 and all(
                    a % base_a == 0 and b == a // base_a * base_b for _, _, a, b in changed):
                positions = sorted((a // base_a != 1, i, axis, a // base_a)
                                   for i, axis, a, _ in changed)
                return other_key, entry, tuple(p[1:] for p in positions), base_a
        return None

    def _probe(self, args, kwargs, tensors, named):
        """``dynamic=True``: capture once more with the batch one smaller, putting back what
        the run changed (buffers, the random state). (positions, signature, batch) or None.
        The batch is the smallest first dimension of the inputs; inputs whose first
        dimension is a multiple k of it (flattened batch x time) shrink by k."""
        batched = [i for i, t in enumerate(tensors) if t._data.ndim]
        if not batched:
            return None
        size = min(tensors[i]._data.shape[0] for i in batched)
        if size < 3:
            return None
        positions = tuple(sorted(((i, 0, tensors[i]._data.shape[0] // size) for i in batched
                                  if tensors[i]._data.shape[0] % size == 0),
                                 key=lambda p: p[2] != 1))
        smaller = list(tensors)
        for i, _, scale in positions:
            t = tensors[i]
            smaller[i] = wrap(t._data[:scale * (size - 1)].copy()).requires_grad_(
                t._requires_grad)
        small_args, small_kwargs = unflatten(flatten((args, kwargs))[1], smaller)
        from .. import random
        rng = random.get_rng_state()
        state = [(t, t._data.copy()) for t in named.values() if not t._requires_grad]
        try:
            cap = capture_joint(lambda a, k: self.fn(*a, **k), (small_args, small_kwargs),
                                named, with_backward=True)
        except Exception:  # the program doesn't take a smaller batch there: stay static
            return None
        finally:
            random.set_rng_state(rng)
            for t, data in state:
                t._data[...] = data
        if cap.breaks:
            return None
        return positions, signature(cap.graph), size

    def _break(self, key, breaks) -> None:
        for b in breaks:
            if b not in self.breaks:
                self.breaks.append(b)
        if self.fullgraph:
            reason, source = breaks[0]
            raise Unsupported(f"ember.compile(fullgraph=True): can't capture the whole "
                              f"program: {reason}" + (f" (at {source})" if source else ""))
        self._cache[key] = _EAGER

    def _build(self, cap, symbol=None) -> Entry:
        fw, saved, bw = split(cap)
        entry = Entry()
        entry.symbol = symbol
        dims = symbol is not None
        entry.n_out = len(fw.outputs)
        entry.out_tree = cap.out_tree
        entry.params = list(cap.param_tensors)
        entry.graph = fw
        entry.backward_graph = bw
        entry.forward = self.backend(fw, fw.inputs + fw.params, fw.outputs + saved, dims)
        entry.backward = None
        if bw is not None:
            entry.backward = self.backend(bw, bw.inputs, bw.outputs, dims)
            entry.diff_outputs = cap.diff_outputs
            index = {v: i for i, v in enumerate(cap.graph.inputs[:cap.n_inputs])}
            pindex = {v: i for i, v in enumerate(cap.graph.params)}
            entry.wrt = [("input", index[v]) if v in index else ("param", pindex[v])
                         for v in cap.wrt]
        self.graphs.append(fw)
        return entry


def _wildcard(shapes: list, positions: tuple) -> list:
    """``shapes`` with the dynamic size at ``positions`` left out, where the call's sizes
    there are multiples k*s of one size s (sizes 0 and 1 are specialized)."""
    try:
        i, axis, _ = positions[0]
        size = shapes[i][axis]
        if size < 2 or any(shapes[i][axis] != k * size for i, axis, k in positions):
            return shapes
    except IndexError:
        return shapes
    shapes = list(shapes)
    for i, axis, _ in positions:
        shapes[i] = shapes[i][:axis] + (None,) + shapes[i][axis + 1:]
    return shapes


class OptimizedModule(Module):
    """What ``ember.compile(module)`` returns: a module whose calls go through the compiled
    forward of the original (``_orig_mod``, whose parameters it shares); other attributes
    are the original's."""

    def __init__(self, module, compiled: CompiledFunction):
        super().__init__()
        self._orig_mod = module
        object.__setattr__(self, "_compiled", compiled)

    def forward(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return Module.__getattr__(self, name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="ember",
            mode=None, options=None, disable: bool = False):
    """Compile a function or module: capture at the first call, replay optimized graphs on
    later calls (see the module docstring). Usable as ``@ember.compile`` or
    ``@ember.compile(fullgraph=True)``.

    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU()); x = ember.randn(2, 4)
    >>> fast = ember.compile(model)
    >>> fast(x).sum().backward()  # gradients as in eager mode
    >>> bool(ember.allclose(fast(x), model(x)))
    True
    """
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic,
                                 backend=backend, mode=mode, options=options, disable=disable)
    if disable:
        return model
    if isinstance(model, Module):
        compiled = CompiledFunction(model, model, fullgraph, dynamic, mode, backend, options)
        return OptimizedModule(model, compiled)
    if not callable(model):
        raise RuntimeError(f"ember.compile: expected a function or module, got "
                           f"{type(model).__name__}")
    return CompiledFunction(model, None, fullgraph, dynamic, mode, backend, options)


# ----------------------------------------------------------------------------- explain


class ExplainOutput:
    """What `explain` found: the graphs captured and every graph break with its reason."""

    def __init__(self, compiled: CompiledFunction):
        self.graphs = list(compiled.graphs)
        self.graph_count = len(self.graphs)
        self.break_reasons = [BreakReason(r, s) for r, s in compiled.breaks]
        self.graph_break_count = len(self.break_reasons)
        self.ops_per_graph = [[n.op for n in g.nodes] for g in self.graphs]
        self.op_count = sum(len(ops) for ops in self.ops_per_graph)

    def __str__(self) -> str:
        lines = [f"Graph Count: {self.graph_count}",
                 f"Graph Break Count: {self.graph_break_count}",
                 f"Op Count: {self.op_count}"]
        if self.break_reasons:
            lines.append("Break Reasons:")
            for i, b in enumerate(self.break_reasons, 1):
                lines.append(f"  Break Reason {i}:")
                lines.append(f"    Reason: {b.reason}")
                lines.append(f"    User Stack: {b.user_stack}")
        return "\n".join(lines)

    __repr__ = __str__


class BreakReason:
    """One graph break: ``reason`` and ``user_stack`` (the user's ``file:line``)."""

    def __init__(self, reason: str, user_stack: str | None):
        self.reason = reason
        self.user_stack = user_stack

    def __repr__(self) -> str:
        return f"BreakReason({self.reason!r}, {self.user_stack!r})"


def explain(fn, *args, **kwargs):
    """Capture ``fn`` on the arguments and report graphs and graph breaks:
    ``ember.compiler.explain(fn)(*args)`` or ``explain(fn, *args)``.

    >>> print(ember.compiler.explain(f)(x))  # doctest: +SKIP
    """
    if not args and not kwargs:
        return lambda *a, **k: explain(fn, *a, **k)
    compiled = CompiledFunction(fn, fn if isinstance(fn, Module) else None)
    compiled(*args, **kwargs)
    return ExplainOutput(compiled)
