"""Collects the OpInfos of every family module."""
from __future__ import annotations

import importlib
import pkgutil


def collect():
    import tests.opinfo as package
    infos = []
    for mod in pkgutil.iter_modules(package.__path__):
        if mod.name in ("families", "samples"):
            continue
        module = importlib.import_module(f"tests.opinfo.{mod.name}")
        infos.extend(getattr(module, "OPINFOS", []))
    return infos
