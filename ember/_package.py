"""Packages whose folder listing is their index: every module in them is imported."""
from __future__ import annotations

import importlib
import pkgutil


def reexport_modules(package: str, path, namespace: dict) -> list[str]:
    """Import every public module of ``package`` and copy each one's ``__all__`` into
    ``namespace``; returns the names copied, so a new family module needs no list edited."""
    names = []
    for info in pkgutil.iter_modules(path):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"{package}.{info.name}")
            for name in getattr(module, "__all__", ()):
                namespace[name] = getattr(module, name)
                names.append(name)
    return names


def aliases(module_name: str, homes: dict[str, str]):
    """A module ``__getattr__`` serving names defined in another module (``homes[name]``):
    PyTorch's path for an object that lives elsewhere here, looked up at first use so that
    the two modules may import each other.

    >>> __getattr__ = aliases(__name__, {"MultiheadAttention": "ember.nn.modules.attention"})
    """
    def __getattr__(name: str):
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home), name)
    return __getattr__
