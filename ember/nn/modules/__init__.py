"""Layers, one family per module in this folder; importing this package collects them.

Each module lists what it exports in ``__all__``; everything listed is re-exported here
(and so from `ember.nn`), so adding a layer family needs no edit to any list.
"""
from ..._package import reexport_modules

__all__ = reexport_modules(__name__, __path__, globals())
