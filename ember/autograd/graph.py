"""The nodes of the autograd graph.

Every op that records produces one `Node`: it knows which nodes its inputs came from
(`next_functions`), holds what its derivative needs (saved tensors and plain arguments), and
computes the gradients of its inputs from those of its outputs. Leaves that require grad end
in an `AccumulateGrad` node, which adds what arrives into the leaf's `.grad`.
"""
from __future__ import annotations

import re
import weakref


class SavedTensorError(RuntimeError):
    pass


_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


class Node:
    """A step of the backward pass. Subclasses implement `apply(grads) -> grads`."""

    __slots__ = ("next_functions", "_saved", "_pre_hooks", "_hooks", "_tensor_hooks",
                 "metadata", "__weakref__")
    n_outputs = 1

    def __init__(self, next_functions=()):
        self.next_functions = next_functions
        self._saved = ()
        self._pre_hooks = self._hooks = self._tensor_hooks = None
        self.metadata = None

    def name(self) -> str:
        """The node's class name (``'MulBackward0'``), as PyTorch names backward functions."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    # -- saved tensors -------------------------------------------------------------------
    def save(self, tensors, outputs=()) -> None:
        """Keep ``tensors`` (inputs) and ``outputs`` ((output number, tensor) pairs) for
        backward, with their versions."""
        # Python numbers among the inputs (``x * 2``) are kept as they are.
        entries = [(t, t._vc[0], None) if hasattr(t, "_vc") else (t, None, None)
                   for t in tensors]
        for nr, t in outputs:
            # An output saved on its own node would form a cycle; keep a detached alias that
            # shares data and version counter, and reattach it to this node on unpack.
            entries.append((t._alias(), t._vc[0], nr))
        self._saved = tuple(entries)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors the forward saved for this node's derivative; RuntimeError once
        `backward` has freed them (pass ``retain_graph=True`` to keep them).
        """
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED)
        out = []
        for t, version, output_nr in saved:
            if version is None:
                out.append(t)
                continue
            if t._vc[0] != version:
                raise RuntimeError(_modified_message(t, version, self, output_nr))
            if output_nr is not None and t._data.dtype.kind in "fcV":
                t = t._alias(grad_fn=self)
                if output_nr:
                    t._output_nr = output_nr
            out.append(t)
        return tuple(out)

    def release(self) -> None:
        """Free the saved tensors (what `backward` does without ``retain_graph``)."""
        self._saved = None

    # -- hooks ---------------------------------------------------------------------------
    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node; may return new grad_inputs."""
        if self._hooks is None:
            self._hooks = {}
        return _add_hook(self._hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return _add_hook(self._pre_hooks, fn)

    def tensor_hooks(self, output_nr: int) -> dict:
        """The hooks of the tensor that is this node's output ``output_nr``."""
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        return self._tensor_hooks.setdefault(output_nr, {})


def _modified_message(t, version, node, output_nr) -> str:
    # Worded as PyTorch words it, naming the forward op whose output the tensor is.
    producer = node if output_nr is not None else t.grad_fn
    nr = output_nr if output_nr is not None else t._output_nr
    where = "" if producer is None else \
        f", which is output {nr} of {re.sub(r'Backward[0-9]*$', '', producer.name())},"
    return (
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{t.type()} {list(t.shape)}]{where} is at version {t._vc[0]}; "
        f"expected version {version} instead. Hint: enable anomaly detection to find the "
        "operation that failed to compute its gradient, with "
        "ember.autograd.set_detect_anomaly(True, check_nan=False).")


class RemovableHandle:
    """Returned by every `register_*hook`; ``handle.remove()`` takes the hook out."""

    _next_id = 0

    def __init__(self, hooks: dict):
        self._hooks = weakref.ref(hooks) if _weakrefable(hooks) else (lambda: hooks)
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        hooks = self._hooks()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _weakrefable(obj) -> bool:
    try:
        weakref.ref(obj)
        return True
    except TypeError:
        return False


def _add_hook(hooks: dict, fn) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


class AccumulateGrad(Node):
    """The end of the graph for a leaf tensor: adds the incoming gradient to ``.grad``."""

    __slots__ = ("_variable",)

    def __init__(self, variable):
        super().__init__(())
        self._variable = weakref.ref(variable)

    @property
    def variable(self):
        """The leaf tensor (None once it no longer exists)."""
        return self._variable()


def grad_accumulator(t) -> AccumulateGrad:
    """The one AccumulateGrad node of leaf ``t``.

    The leaf owns its node and the node refers back weakly, so no cycle forms and the node
    is made once per leaf, not once per op that reads the leaf.
    """
    node = t._grad_acc
    if node is None:
        node = t._grad_acc = AccumulateGrad(t)
    return node


def edge_of(t):
    """The (node, output_nr) pair gradients for ``t`` flow into, or None when it needs none."""
    if t._grad_fn is not None:
        if t._base is not None and t._view_version != t._vc[0]:
            # The memory of this view changed in place since its history was recorded
            # (through its base or another view): its history is now a view of the base's.
            from ..ops._inplace import refresh_view
            return (refresh_view(t), 0)
        return (t._grad_fn, t._output_nr)
    if t._requires_grad:
        return (grad_accumulator(t), 0)
    return None
