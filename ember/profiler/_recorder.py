"""What a recording profiler keeps: one timed range per op call, backward node and
`record_function` block, each knowing its parent on its own thread."""
from __future__ import annotations

import os
import sys
import threading
from time import perf_counter_ns

from . import _hook

_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class Range:
    """One timed range, as recorded; `events.FunctionEvent` is its public face."""

    __slots__ = ("name", "category", "start_ns", "end_ns", "thread", "parent", "shapes",
                 "nbytes", "stack")

    def __init__(self, name, category, thread, parent, shapes, stack):
        self.name = name
        self.category = category
        self.thread = thread
        self.parent = parent
        self.shapes = shapes
        self.stack = stack
        self.nbytes = 0
        self.end_ns = None
        self.start_ns = perf_counter_ns()


class Recorder:
    """Receives every op call and backward node while installed in `_hook.ACTIVE`."""

    def __init__(self, record_shapes: bool, profile_memory: bool, with_stack: bool):
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.ranges: list[Range] = []
        self._local = threading.local()
        self.start_ns = perf_counter_ns()

    # -- installing ------------------------------------------------------------------------
    def install(self) -> None:
        if _hook.ACTIVE:
            raise RuntimeError("Can't profile: another profiler is already recording")
        from ..ops._op import apply
        self._apply = apply
        _hook.ACTIVE.append(self)

    def uninstall(self) -> None:
        if _hook.ACTIVE and _hook.ACTIVE[0] is self:
            _hook.ACTIVE.clear()

    # -- ranges ----------------------------------------------------------------------------
    def open(self, name: str, category: str, inputs=()) -> Range:
        stack = self._stack()
        r = Range(name, category, threading.get_native_id(), stack[-1] if stack else None,
                  input_shapes(inputs) if self.record_shapes else None,
                  python_stack() if self.with_stack else None)
        stack.append(r)
        self.ranges.append(r)
        return r

    def close(self, r: Range, outputs=(), inputs=()) -> None:
        """End ``r``; with ``profile_memory`` it is charged the fresh memory of ``outputs``
        (an op's results) besides what its nested ranges allocated."""
        r.end_ns = perf_counter_ns()
        if self.profile_memory:
            r.nbytes += allocated_bytes(outputs, inputs)
            if r.parent is not None:
                r.parent.nbytes += r.nbytes
        stack = self._stack()
        if stack and stack[-1] is r:
            stack.pop()
        elif r in stack:  # a range closed out of order (a generator left mid-way)
            del stack[stack.index(r):]

    def _stack(self) -> list:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    # -- the two hooks ---------------------------------------------------------------------
    def __call__(self, op, args: tuple, kwargs: dict):
        """Run one op call (via the general dispatcher), timed."""
        r = self.open(op.name, "cpu_op", args)
        result = None
        try:
            result = self._apply(op, args, kwargs, True)
            return result
        finally:
            self.close(r, result if isinstance(result, tuple) else (result,), args)

    def backward(self, node, grads):
        """Run one backward node, timed."""
        r = self.open(node.name(), "cpu_op", grads)
        try:
            return node.apply(grads)
        finally:  # a derivative allocates only through the ops it calls: nested ranges
            self.close(r)


def input_shapes(inputs) -> list:
    """PyTorch's "Input Shapes": a list per tensor, a list of lists per tensor sequence, []
    for anything else."""
    shapes = []
    for x in inputs:
        if isinstance(x, (list, tuple)) and x and all(hasattr(t, "_data") for t in x):
            shapes.append([list(t._data.shape) for t in x])
        elif hasattr(x, "_data"):
            shapes.append(list(x._data.shape))
        else:
            shapes.append([])
    return shapes


def allocated_bytes(outputs, inputs) -> int:
    """Bytes of fresh memory held by ``outputs`` (views and inputs passed through allocate
    none)."""
    given = {id(getattr(x, "_data", None)) for x in inputs}
    total = 0
    for o in outputs:
        data = getattr(o, "_data", None)
        if data is not None and getattr(data, "base", None) is None and id(data) not in given:
            total += data.nbytes
    return total


def python_stack(limit: int = 32) -> list:
    """The caller's Python frames outside Ember, innermost first: ``file(line): function``."""
    frame = sys._getframe(1)
    out = []
    while frame is not None and len(out) < limit:
        path = frame.f_code.co_filename
        if not path.startswith(_EMBER_DIR):
            out.append(f"{path}({frame.f_lineno}): {frame.f_code.co_name}")
        frame = frame.f_back
    return out
