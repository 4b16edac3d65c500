"""Graph mode: capture a program's op-table calls into an IR, run and save the graph.

``ember.jit.trace(fn_or_module, example_inputs)`` records one run (see `ir` for the graph it
builds); ``ember.jit.save``/``load`` store it in Ember's safe file format so it runs without
its Python source; ``ember.compile`` (in `ember.compiler`) builds on the same capture.
"""
from .ir import Graph, Node, Value
from .tracer import TracerWarning, GraphBreak
from ._traced import (trace, trace_module, TracedModule, TracedFunction,
                      TracingCheckError)
from .serialize import save, load

__all__ = ["trace", "save", "load", "trace_module", "TracedModule", "TracedFunction", "TracerWarning",
           "TracingCheckError", "GraphBreak", "Graph", "Node", "Value"]
