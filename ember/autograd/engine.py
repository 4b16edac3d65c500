"""The backward pass: walk the graph from the outputs to the leaves, without recursion.

First a depth-first sweep (an explicit stack) counts, for every reachable node, how many
edges lead into it. Then nodes run once all their incoming gradients have arrived, so each
node runs exactly once however the graph branches, and a chain of any length needs no
Python recursion. Gradient buffers are dropped as soon as their node has run.
"""
from __future__ import annotations

from .._tensor import wrap
from .graph import AccumulateGrad, edge_of
from .grad_mode import STATE
from . import anomaly
from .anomaly import _enabled as _anomaly
from .graph_leak import spent_roots
from ..profiler._hook import ACTIVE as _PROFILER
from .._trace_hook import ACTIVE as _TRACER

# One list of queued callbacks per backward pass in progress (a backward may start another
# one, e.g. reentrant checkpointing); each runs its own when its graph is done.
_CALLBACKS: list = []


def queue_callback(callback) -> None:
    """Run ``callback()`` once the backward pass now in progress has finished (PyTorch's
    ``Variable._execution_engine.queue_callback``); hooks use it to act after the last
    gradient of a pass, as DistributedDataParallel does to wait for its all-reduces.

    >>> x.register_hook(lambda g: ember.autograd.engine.queue_callback(done) or g)
    """
    if not _CALLBACKS:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _CALLBACKS[-1].append(callback)


def run_backward(outputs, grad_outputs, retain_graph: bool, create_graph: bool,
                 inputs=None, accumulate: bool = True, allow_unused: bool = False):
    """Propagate ``grad_outputs`` from ``outputs``.

    With ``accumulate`` the leaves' ``.grad`` grow (``backward``); without it the gradients
    reaching ``inputs`` are returned instead (``autograd.grad``).
    """
    roots = []
    for t, g in zip(outputs, grad_outputs):
        edge = edge_of(t)
        if edge is None:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn")
        roots.append((edge, g))

    captures = {}  # (node, nr) -> slot in result, for autograd.grad's inputs
    if inputs is not None:
        for i, t in enumerate(inputs):
            edge = edge_of(t)
            if edge is None:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                                   "require grad")
            captures.setdefault(edge, []).append(i)
    results = [None] * (len(inputs) if inputs is not None else 0)

    dependencies = _count_dependencies([e[0] for e, _ in roots])
    buffers = {}
    for (node, nr), g in roots:
        _add_to_buffer(buffers, node, nr, g)
    ready = [node for node in dict.fromkeys(e[0] for e, _ in roots) if not dependencies.get(node)]
    fresh = _FreshGrads(g for _, g in roots)

    prev_mode = STATE.grad_enabled
    STATE.grad_enabled = create_graph
    callbacks = []
    _CALLBACKS.append(callbacks)
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if node._tensor_hooks is not None or node._pre_hooks is not None:
                grads = _run_tensor_hooks(node, grads)
            if captures:
                for nr, g in enumerate(grads):
                    for i in captures.get((node, nr), ()):
                        results[i] = g
            if type(node) is AccumulateGrad:
                if accumulate and (inputs is None or (node, 0) in captures):
                    leaf = node.variable
                    if leaf is not None:
                        _accumulate(leaf, grads[0], create_graph, fresh)
                continue
            if _TRACER or _PROFILER or _anomaly[0] or node._hooks is not None:
                grad_inputs = _apply(node, grads)
            else:  # (the common case, without the calls)
                grad_inputs = node.apply(grads)
            if not retain_graph:
                node.release()
            waiting = len(ready)
            for (nxt, nr), g in zip(node.next_functions, grad_inputs):
                if nxt is None:
                    continue
                if g is not None:
                    slots = buffers.get(nxt)
                    if slots is None:
                        slots = buffers[nxt] = [None] * nxt.n_outputs
                        slots[nr] = g
                    else:
                        prev = slots[nr]
                        slots[nr] = g if prev is None else prev + g
                left = dependencies[nxt] - 1
                dependencies[nxt] = left
                if left == 0:
                    if nxt in buffers:
                        ready.append(nxt)
                    else:
                        _skip_branch(nxt, dependencies, buffers, ready)
            if len(ready) - waiting > 1:
                # Leaves made ready go on top, to run next: a parameter's gradient is final
                # as soon as possible (its hooks, e.g. DDP's all-reduce, start early), not
                # once the depth-first walk comes back from the rest of the graph.
                ready[waiting:] = sorted(ready[waiting:], key=_is_leaf)
        # a callback may queue another one, which runs in turn
        while callbacks:
            callbacks.pop(0)()
    finally:
        STATE.grad_enabled = prev_mode
        _CALLBACKS.pop()
    if not retain_graph:
        for (node, _), _ in roots:
            spent_roots.add(node)

    if inputs is not None and not accumulate:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
        return tuple(results)
    return None


def _is_leaf(node) -> bool:
    return type(node) is AccumulateGrad


def _count_dependencies(root_nodes) -> dict:
    dependencies = {}
    seen = set(root_nodes)
    stack = list(seen)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            dependencies[nxt] = dependencies.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return dependencies


def _skip_branch(node, dependencies, buffers, ready) -> None:
    # A node all of whose incoming gradients were None never runs; its inputs lose one
    # dependency each, and those may become ready (or skippable) in turn.
    stack = [node]
    while stack:
        n = stack.pop()
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            left = dependencies[nxt] - 1
            dependencies[nxt] = left
            if left == 0:
                (ready.append(nxt) if nxt in buffers else stack.append(nxt))


def _add_to_buffer(buffers, node, nr, g) -> None:
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * node.n_outputs
    prev = slots[nr]
    slots[nr] = g if prev is None else prev + g


def _run_tensor_hooks(node, grads):
    if node._tensor_hooks is not None:
        for nr, hooks in node._tensor_hooks.items():
            for hook in list(hooks.values()):
                if grads[nr] is None:
                    break
                new = hook(grads[nr])
                if new is not None:
                    grads[nr] = new
    if node._pre_hooks is not None:
        for hook in list(node._pre_hooks.values()):
            new = hook(tuple(grads))
            if new is not None:
                grads = list(new)
    return grads


def _apply(node, grads):
    """``node.apply(grads)`` through an active tracer or profiler, checked by anomaly mode,
    and with the node's hooks."""
    if _TRACER:
        grad_inputs = _TRACER[0].backward(node, grads)
    else:
        grad_inputs = _PROFILER[0].backward(node, grads) if _PROFILER else node.apply(grads)
    if anomaly.enabled():
        anomaly.check_grads(node, grad_inputs)
    if node._hooks is not None:
        for hook in list(node._hooks.values()):
            new = hook(tuple(grad_inputs), tuple(grads))
            if new is not None:
                grad_inputs = new
    return grad_inputs


class _FreshGrads:
    """Tracks which gradient arrays a leaf may keep as its own `.grad`.

    A backward formula may pass one gradient on to several inputs (``add`` does), and
    the root gradients belong to the caller; a leaf that kept such an array would share it,
    and an in-place update of one `.grad` would change the others. Those get copied.
    """

    def __init__(self, root_grads):
        self.taken = {id(g._data if g._data.base is None else g._data.base)
                      for g in root_grads}

    def own(self, g, leaf):
        """``g`` as ``leaf``'s new `.grad`: kept if nothing else holds its memory and it is laid
        out as the leaf is, else copied into the leaf's layout (PyTorch's gradient layout
        contract: ``p.grad.view(-1)`` works on a contiguous parameter)."""
        data = g._data
        # a C-contiguous view of a whole array (a transpose of a transpose) is as good as it
        owner = data if data.base is None else data.base
        whole = owner is data or (type(owner) is type(data) and data.flags.c_contiguous
                                  and owner.nbytes == data.nbytes)
        if (id(owner) in self.taken or not whole or not owner.flags.owndata
                or not data.flags.writeable or data.strides != leaf._data.strides):
            copy = g._xp.empty_like(leaf._data)
            copy[...] = data
            return wrap(copy)
        self.taken.add(id(owner))
        return g


def _accumulate(t, g, create_graph: bool, fresh: _FreshGrads) -> None:
    if t._hooks:
        for hook in list(t._hooks.values()):
            new = hook(g)
            if new is not None:
                g = new
    if g._data.dtype != t._data.dtype:
        g = g.to(t.dtype)
    if t._grad is None:
        t._grad = g if create_graph else fresh.own(g.detach(), t)
    elif create_graph or t._grad._requires_grad or not t._grad._data.flags.writeable:
        t._grad = t._grad + g
    else:
        t._grad._data += g._data
    if t._post_acc_hooks:
        for hook in list(t._post_acc_hooks.values()):
            hook(t)
