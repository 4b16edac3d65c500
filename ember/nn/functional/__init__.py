"""Functional forms of the layers (`ember.nn.functional`, usually imported as ``F``).

One module per family in this folder (``conv``, ``pooling``, ``activation``, ``loss``...);
each lists its functions in ``__all__`` and all are re-exported here.
"""
from ..._package import reexport_modules

__all__ = reexport_modules(__name__, __path__, globals())
