"""``ember.jit``, ``ember.compiler`` (and ``ember._dynamo``) and ``ember.compile`` are
imported on first use, so that ``import ember`` stays fast."""
import importlib


def __getattr__(name: str):
    if name in ("jit", "compiler", "_dynamo"):
        return importlib.import_module(f"ember.{name}")
    if name == "compile":
        return importlib.import_module("ember.compiler").compile
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
