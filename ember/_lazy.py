"""Ember's namespaces that `import ember` does not load: each is imported on first use
(``ember.distributed``, ``ember.hub``...), so that programs pay only for what they touch."""
import importlib

SUBMODULES = {"distributed", "hub", "text", "vision"}


def __getattr__(name: str):
    if name in SUBMODULES:
        return importlib.import_module(f"ember.{name}")
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
