"""A captured forward with its captured backward, for training through compiled code.

`capture_joint` runs the program once under the tracer, then runs the autograd engine
backward from its outputs (to stand-in gradients) while the tracer still records: each
node's derivative, written with Ember ops, is recorded op by op into the same graph (a
derivative that computes outside the table is recorded as one node that runs it whole).
`split` cuts that joint graph in two: the forward, which also returns the values the
backward reads ("saved"), and the backward, from saved values and output gradients to the
gradients of the inputs and parameters.
"""
from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .._tensor import Tensor, wrap
from ..autograd.engine import run_backward
from ..autograd.grad_mode import STATE
from ._tree import flatten
from .ir import Graph, check, substitute
from .passes import drop_detach, eliminate_dead_code, mutated_values, optimize
from .tracer import Generator, GraphBreak, Tracer


@dataclass
class Capture:
    """One captured call: the joint graph and what the compiled function needs to run it."""
    graph: Graph
    in_tree: tuple
    out_tree: tuple
    result: object                      # the eager result of the capturing call
    param_tensors: list                 # the live tensors of graph.params, in order
    n_inputs: int                       # graph.inputs[:n_inputs] are the call's tensors
    diff_outputs: list = field(default_factory=list)   # output positions with gradients
    wrt: list = field(default_factory=list)            # values gradients are taken for
    grad_outputs: list = field(default_factory=list)   # the backward's gradients (values)
    grad_inputs: list = field(default_factory=list)    # stand-ins for the output gradients
    backward_start: int | None = None
    breaks: list = field(default_factory=list)
    prefix: list | None = None  # a graph of the part before a break: see `_cut_at_break`
    segments: list = field(default_factory=list)  # the parts after each break (`Segment`)
    named: dict = field(default_factory=dict)     # the tensors of the parameter values


def capture_joint(fn, args: tuple, named: dict, with_backward: bool) -> Capture:
    """Run ``fn(*args)`` under the tracer (and its backward, ``with_backward``)."""
    tracer = Tracer(named, warn=False)
    tracer.live_leaves = True
    tensors, in_tree = flatten(tuple(args))
    graph = tracer.graph
    with tracer:
        for i, t in enumerate(tensors):
            tracer.add_input(t, f"input_{i}")
        result = fn(*args)
        out_tensors, out_tree = flatten(result)
        graph.outputs = [tracer.value_of(t) for t in out_tensors]
        graph.output_tree = out_tree
        cap = Capture(graph, in_tree, out_tree, result, [], len(tensors), breaks=tracer.breaks)
        if tracer.breaks:
            _cut_at_break(tracer, cap, tensors, with_backward)
            return cap
        cap.param_tensors = [tracer.param_tensor(v.name) for v in graph.params]
        if with_backward and STATE.grad_enabled:
            try:
                _capture_backward(tracer, cap, tensors, out_tensors)
            except GraphBreak as e:
                cap.breaks = [(e.reason, e.source)]
                return cap
    check(graph)
    return cap


@dataclass
class Segment:
    """The ops between one graph break and the next (or the end), to compile on their own:
    ``graph`` holds them, its inputs and params being the values they read from before the
    segment (``examples``: their tensors in the capturing call); ``outputs`` are the values
    Python sees after it, each with its gradient history; ``calls`` and ``signatures`` describe each op call as in `Capture.prefix` and as
    `Tracer.signatures` records it, for checking a later run against the capture."""
    graph: Graph
    examples: list
    outputs: list
    calls: list
    signatures: list


def _cut_at_break(tracer: Tracer, cap: Capture, tensors, with_backward: bool) -> None:
    """Make ``cap`` the graph of the program's ops before its first break, when it has any
    and knows what Python read there, and ``cap.segments`` the ops between each later break
    and the next. A part's outputs are the values Python can still see after it: read by
    later ops, returned, read as data, or kept by Python or by the autograd graph (their
    tensors have references beyond the tracer's); only those later ops read or the program
    returns get gradients (as in eager mode, where a value saved for the backward gets
    none). ``cap.prefix`` says, for each op call before the break, the position of each of
    its results among those outputs (None: a value nothing sees again), its shape and dtype,
    and the result's value."""
    if not tracer.cuts[0][0] or None in tracer.read:
        return
    graph = cap.graph
    tensor_of = {}
    for t in tracer._alive:
        if isinstance(t, Tensor) and tracer._by_tensor.get(id(t)) is not None:
            tensor_of[tracer._by_tensor[id(t)]] = t
    for v, t in zip(graph.inputs, tensors):
        tensor_of[v] = t
    for v in graph.params:
        tensor_of[v] = tracer.param_tensor(v.name)
    held = Counter(id(t) for t in tracer._alive)
    baseline = _references_of_a_temporary()
    kept = []
    for v in list(tensor_of):
        t = tensor_of[v]
        if v.kind == "node" and sys.getrefcount(t) - held[id(t)] > baseline:
            kept.append(v)  # Python (a list, a module, a saved tensor) kept it
    parts, start = [], (0, 0)
    for end in tracer.cuts + [(len(tracer.calls), len(graph.nodes))]:
        if end[0] > start[0]:
            parts.append(_part_between(tracer, graph, start, end, kept, bool(parts)))
        start = end
    (nodes, _, boundary, used, calls, _), *later = parts
    if any(v not in tensor_of for v in boundary):
        return  # a value Python sees on was written over in place later: no tensor holds it
    graph.nodes = nodes
    graph.outputs = boundary
    graph.output_tree = cap.out_tree = ("tuple", tuple(("tensor", i)
                                                       for i in range(len(boundary))))
    index = {v: i for i, v in enumerate(boundary)}
    cap.prefix = calls
    cap.param_tensors = [tracer.param_tensor(v.name) for v in graph.params]
    cap.named = dict(tracer._tensors)
    cap.segments = _segments(later, tensor_of)
    if with_backward and STATE.grad_enabled:
        try:
            _capture_backward(tracer, cap, tensors, [tensor_of[v] for v in boundary],
                              differentiable={index[v] for v in used if v in index})
        except GraphBreak:
            cap.prefix = None


def _segments(parts: list, tensor_of: dict) -> list:
    found = []
    for nodes, live_ins, outputs, _, calls, signatures in parts:
        sub = Graph()
        sub.nodes = nodes
        sub.inputs = [v for v in live_ins if v.kind in ("input", "node")]
        sub.params = [v for v in live_ins if v.kind == "param"]
        sub.constants = [v for v in live_ins if v.kind == "constant"]
        found.append(Segment(sub, [tensor_of.get(v) for v in sub.inputs], outputs, calls,
                             signatures))
    return found


def segments_of_rest(tracer: Tracer, tensors: list, renamed: dict) -> list:
    """The parts, cut at its breaks, of the rest of a program that ``tracer`` recorded from
    a point where Python held ``tensors``, the tracer's inputs; ``renamed`` maps the
    tracer's values of those tensors and of the parameters to the values they stand for
    (see `ember.compiler`). Empty where Python read a tensor the trace doesn't know."""
    graph = tracer.graph
    if None in tracer.read or not tracer.calls:
        return []
    tensor_of = dict(zip(graph.inputs, tensors))
    for t in tracer._alive:
        if isinstance(t, Tensor) and tracer._by_tensor.get(id(t)) is not None:
            tensor_of.setdefault(tracer._by_tensor[id(t)], t)
    parts, start = [], (0, 0)
    for end in tracer.cuts + [(len(tracer.calls), len(graph.nodes))]:
        if end[0] > start[0]:
            parts.append(_part_between(tracer, graph, start, end, [], True))
        start = end
    segments = _segments(parts, tensor_of)
    for segment in segments:
        sub = segment.graph
        for n in sub.nodes:
            n.replace_reads(renamed)
        sub.inputs = [renamed.get(v, v) for v in sub.inputs]
        sub.params = [renamed.get(v, v) for v in sub.params]
        segment.signatures = [substitute(sig, renamed) for sig in segment.signatures]
    return segments


def _part_between(tracer: Tracer, graph: Graph, start: tuple, end: tuple, kept: list,
                  every_call: bool):
    """(nodes, live-ins, outputs, values read later, calls, signatures) of the op calls
    from ``start`` to ``end`` (each a (calls, nodes) position). ``every_call``: every
    result Python gets is an output (a part after a break, which the program may leave
    midway: the eager code from there may read any of them)."""
    nodes, after = graph.nodes[start[1]:end[1]], graph.nodes[end[1]:]
    made = {v for n in nodes for v in n.outputs}
    used = [v for n in after for v in n.reads()] + graph.output_values()
    if every_call:
        used += [v for n in tracer.calls[start[0]:end[0]] for v in n.outputs]
    boundary = list(dict.fromkeys(v for v in used + tracer.read + kept if v in made))
    live_ins = list(dict.fromkeys(v for n in nodes for v in n.reads() if v not in made))
    index = {v: i for i, v in enumerate(boundary)}
    calls = [(n.op, n.kind, [(index.get(v), v.shape, v.dtype) for v in n.outputs], n.outputs)
             for n in tracer.calls[start[0]:end[0]]]
    return nodes, live_ins, boundary, used, calls, tracer.signatures[start[0]:end[0]]


def replayable(segment: Segment) -> bool:
    """Whether a compiled ``segment`` may run whole when the program reaches its first call:
    it writes into no memory from before it and draws no random numbers."""
    outside = set(segment.graph.inputs) | set(segment.graph.params)
    if outside & mutated_values(segment.graph):
        return False
    return not any(isinstance(a, (Generator, np.random.Generator))
                   for n in segment.graph.nodes for a in _leaves((n.args, n.kwargs)))


def _leaves(obj):
    if isinstance(obj, (tuple, list)):
        for x in obj:
            yield from _leaves(x)
    elif isinstance(obj, dict):
        yield from _leaves(tuple(obj.values()))
    else:
        yield obj


def capture_segment(segment: Segment, named: dict) -> Capture:
    """Capture ``segment`` on its own, with its backward: its graph runs once more through
    the op table (`replay.interpret`) from copies of its inputs, the parameters' buffers and
    the random state put back afterwards."""
    from .. import random
    from .replay import interpret
    sub = segment.graph
    fresh = [wrap(t._data.copy()).requires_grad_(t._requires_grad) for t in segment.examples]
    by_name = {v: named[v.name] for v in sub.params}

    def run(*inputs):
        env = dict(zip(sub.inputs, inputs))
        env.update(by_name)
        return tuple(interpret(sub, env, segment.outputs))
    rng = random.get_rng_state()
    state = [(t, t._data.copy()) for t in named.values() if not t._requires_grad]
    try:
        return capture_joint(run, fresh, named, with_backward=True)
    finally:
        random.set_rng_state(rng)
        for t, data in state:
            t._data[...] = data


def _references_of_a_temporary() -> int:
    """What `sys.getrefcount` says, minus the tracer's, of a tensor only the tracer holds,
    in `_cut_at_break`'s loop."""
    held = Counter()
    for t in [wrap(np.zeros(1))]:
        return sys.getrefcount(t) - held[id(t)]


def _capture_backward(tracer: Tracer, cap: Capture, tensors, out_tensors,
                      differentiable: set | None = None) -> None:
    graph = cap.graph
    sources = [(v, t) for v, t in zip(graph.inputs, tensors) if t._requires_grad]
    sources += [(v, t) for v, t in zip(graph.params, cap.param_tensors) if t._requires_grad]
    roots = [i for i, t in enumerate(out_tensors)
             if t._requires_grad and t._data.dtype.kind in "fc"
             and (differentiable is None or i in differentiable)]
    if not sources or not roots:
        return
    stand_ins = []
    for i in roots:
        t = out_tensors[i]
        g = wrap(np.ones_like(t._data) if type(t._data) is np.ndarray
                 else t._xp.ones_like(t._data))
        stand_ins.append(tracer.add_input(g, f"grad_{i}"))
        stand_ins[-1] = (stand_ins[-1], g)
    tracer.backward_start = len(graph.nodes)
    n_breaks = len(tracer.breaks)
    grads = run_backward([out_tensors[i] for i in roots], [g for _, g in stand_ins],
                         retain_graph=True, create_graph=False,
                         inputs=[t for _, t in sources], accumulate=False, allow_unused=True)
    if len(tracer.breaks) > n_breaks:
        raise GraphBreak(*tracer.breaks[n_breaks])
    grad_values = []
    for g in grads:
        if g is None:
            grad_values.append(None)
            continue
        v = tracer.known(g)
        if v is None:
            raise GraphBreak("a gradient was computed outside the op table", None)
        grad_values.append(v)
    cap.backward_start = tracer.backward_start
    cap.diff_outputs = roots
    cap.wrt = [v for v, _ in sources]
    cap.grad_outputs = grad_values
    cap.grad_inputs = [v for v, _ in stand_ins]


def split(cap: Capture) -> tuple[Graph, list, Graph | None]:
    """Optimize the joint graph, then cut it: (forward graph, saved values, backward graph
    or None). The forward returns its outputs followed by the saved values; the backward
    takes the saved values then the output gradients, and returns the gradients of
    ``cap.wrt``."""
    g = cap.graph
    start = cap.backward_start
    backward_nodes = set(g.nodes[start:]) if start is not None else set()
    n_out = len(g.outputs)
    grads = [v for v in cap.grad_outputs if v is not None]
    g.outputs = list(g.outputs) + grads
    drop_detach(g)  # the backward was captured already: no autograd runs in the region
    optimize(g)
    outputs, grads = g.outputs[:n_out], iter(g.outputs[n_out:])
    cap.grad_outputs = [None if v is None else next(grads) for v in cap.grad_outputs]
    g.outputs = outputs

    fw = _part(g, [n for n in g.nodes if n not in backward_nodes], g.inputs[:cap.n_inputs])
    fw.outputs = list(outputs)
    fw.output_tree = g.output_tree
    if start is None:
        eliminate_dead_code(fw)
        return fw, [], None
    bw_nodes = [n for n in g.nodes if n in backward_nodes]
    defined = set(fw.inputs) | set(fw.params)
    for n in fw.nodes:
        defined.update(n.outputs)
        if n.stash is not None:
            defined.add(n.stash)
    saved = []
    for n in bw_nodes:
        for v in n.reads():
            if v in defined and v not in saved:
                saved.append(v)
    for v in cap.grad_outputs:  # a gradient that is a forward value (rare: an identity)
        if v is not None and v in defined and v not in saved:
            saved.append(v)
    eliminate_dead_code(fw, fw.outputs + saved)
    bw = _part(g, bw_nodes, saved + cap.grad_inputs)
    bw.outputs = list(cap.grad_outputs)
    eliminate_dead_code(bw, bw.outputs)
    return fw, saved, bw


def _part(g: Graph, nodes: list, inputs: list) -> Graph:
    part = Graph()
    part.inputs = list(inputs)
    part.params = list(g.params)
    part.constants = list(g.constants)
    part.nodes = nodes
    return part
