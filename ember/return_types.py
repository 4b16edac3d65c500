"""The named tuples that multi-output ops return, as ``torch.return_types`` has them.

>>> values, indices = ember.tensor([[1., 5.], [7., 2.]]).max(dim=1)
>>> ember.tensor([3., 1.]).sort().indices
tensor([1, 0])
"""
from __future__ import annotations

from collections import namedtuple


def _return_type(name: str, fields: str = "values indices"):
    cls = namedtuple(name, fields)
    cls.__module__ = __name__
    cls.__repr__ = lambda self: f"ember.return_types.{name}(\n" + ",\n".join(
        f"{k}={v!r}" for k, v in zip(self._fields, self)) + ")"
    return cls


# The field names of each; the class itself is made on first use (``import ember`` would
# otherwise build them all: namedtuple compiles code).
_FIELDS = {
    "max": "values indices",
    "min": "values indices",
    "aminmax": "min max",
    "sort": "values indices",
    "topk": "values indices",
    "kthvalue": "values indices",
    "median": "values indices",
    "nanmedian": "values indices",
    "mode": "values indices",
    "cummax": "values indices",
    "cummin": "values indices",
    "histogram": "hist bin_edges",
    "frexp": "mantissa exponent",
    "histogramdd": "hist bin_edges",
}


def __getattr__(name: str):
    if name not in _FIELDS:
        raise AttributeError(f"module 'ember.return_types' has no attribute '{name}'")
    cls = globals()[name] = _return_type(name, _FIELDS[name])
    return cls


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_FIELDS))
