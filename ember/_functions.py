"""``ember.<name>`` for every op in the table (and every composite) that PyTorch offers as a
function."""
from .ops import TABLE as _TABLE, COMPOSITES as _COMPOSITES

_PUBLIC = {name: entry.fn for entry in _TABLE.values() if entry.function
           for name in (entry.name,) + entry.aliases if not name.startswith("_")}
_PUBLIC.update({name: entry.fn for name, entry in _COMPOSITES.items() if entry.function})
globals().update(_PUBLIC)
__all__ = list(_PUBLIC)
