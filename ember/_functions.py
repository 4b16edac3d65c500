"""``ember.<name>`` for every op in the table (and every composite) that PyTorch offers as a
function."""
from .ops import TABLE as _TABLE, COMPOSITES as _COMPOSITES

__all__ = [name for name, entry in _TABLE.items() if entry.function and not name.startswith("_")]
globals().update({name: _TABLE[name].fn for name in __all__})
_composites = [name for name, entry in _COMPOSITES.items() if entry.function]
globals().update({name: _COMPOSITES[name].fn for name in _composites})
__all__ += [name for name in _composites if name not in __all__]
