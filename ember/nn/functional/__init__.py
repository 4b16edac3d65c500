"""Functional forms of the layers (`ember.nn.functional`, usually imported as ``F``).

One module per family in this folder (``conv``, ``pooling``, ``activation``, ``loss``...);
each lists its functions in ``__all__`` and all are re-exported here.
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
