"""Layers, one family per module in this folder; importing this package collects them.

Each module lists what it exports in ``__all__``; everything listed is re-exported here
(and so from `ember.nn`), so adding a layer family needs no edit to any list.
"""
import importlib
import pkgutil

__all__ = []
for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        _module = importlib.import_module(f"{__name__}.{_info.name}")
        for _name in getattr(_module, "__all__", ()):
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
