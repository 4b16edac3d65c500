"""``ember.<name>`` for every op in the table that PyTorch offers as a function."""
from .ops import TABLE as _TABLE

__all__ = [name for name, entry in _TABLE.items() if entry.function and not name.startswith("_")]
globals().update({name: _TABLE[name].fn for name in __all__})
