"""Ember's namespaces that `import ember` does not load: each is imported on first use
(``ember.jit``, ``ember.distributed``, ``ember.hub``...), so that ``import ember`` stays fast
and programs pay only for what they touch."""
import importlib

SUBMODULES = {"jit", "compiler", "onnx", "distributed", "hub", "text", "vision"}


def __getattr__(name: str):
    if name in SUBMODULES:
        return importlib.import_module(f"ember.{name}")
    if name == "compile":  # ember.compile is the function of ember.compiler
        return importlib.import_module("ember.compiler").compile
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
