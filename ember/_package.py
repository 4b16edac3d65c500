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
