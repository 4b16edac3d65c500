"""The graph-leak warning: ``total += loss`` after ``loss.backward()`` links every
iteration's graph into ``total``'s, and memory grows until the run dies. PyTorch stays
silent; Ember warns once per source line, at the user's line.

The check is one attribute test where a graph node is recorded: the engine frees a node's
saved values after running it (`Node.release` sets ``_saved`` to None), and a new node whose
operand hangs on such a node is building on a spent graph. Only the tensors ``backward`` was
called on (the losses) count: carrying one into the next iteration is the leak, while using
an output after backward (``probs = out.softmax(1)`` for a metric) holds nothing for long.
"""
from __future__ import annotations

import os
import sys
import warnings
import weakref


class GraphLeakWarning(UserWarning):
    """A tensor whose graph was already run backward (and freed) went into a new graph."""


_enabled = [True]
_warned: set = set()  # (file, line) already warned about
spent_roots = weakref.WeakSet()  # the root nodes of backward passes that freed their graph
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

_MESSAGE = (
    "a tensor whose graph was already run backward (and freed) is used to build a new graph "
    "(e.g. `total += loss` after `loss.backward()`): the new graph keeps every earlier "
    "graph alive and memory grows each iteration. Accumulate a number with `loss.item()`, "
    "or keep the value without its history with `loss.detach()`. "
    "(Silence this with ember.autograd.set_warn_graph_leak(False).)")


def set_warn_graph_leak(enabled: bool) -> None:
    """Turn the graph-leak warning on or off (on by default).

    >>> ember.autograd.set_warn_graph_leak(False)  # e.g. for code that means it
    >>> ember.autograd.set_warn_graph_leak(True)
    """
    _enabled[0] = bool(enabled)


def is_warn_graph_leak_enabled() -> bool:
    """Whether `GraphLeakWarning` is raised (see `set_warn_graph_leak`)."""
    return _enabled[0]


def warn_graph_leak(node) -> None:
    """``node``, freed by backward, gets a new consumer: warn if it was a backward root, at
    the first caller line outside Ember, unless that line was warned about."""
    if not _enabled[0] or node not in spent_roots:
        return
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return
    where = (frame.f_code.co_filename, frame.f_lineno)
    if where in _warned:
        return
    _warned.add(where)
    module_globals = frame.f_globals
    warnings.warn_explicit(_MESSAGE, GraphLeakWarning, where[0], where[1],
                           module=module_globals.get("__name__"),
                           registry=module_globals.setdefault("__warningregistry__", {}),
                           module_globals=module_globals)
