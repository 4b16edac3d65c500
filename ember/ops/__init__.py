"""The op table, one module per family; importing this package fills `TABLE`.

Every module in this folder registers the ops of one family (its name says which), so the
folder listing is the index: elementwise math in `pointwise`, comparisons and logic in
`compare`, reductions in `reduce`, views and shape changes in `shape`, and so on.
"""
import importlib
import pkgutil

from ._op import TABLE, COMPOSITES, Op, op, apply, composite
from ._inplace import make_method
from .._tensor import Tensor

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")


def _bind_methods() -> None:
    for name, entry in COMPOSITES.items():
        if entry.method and name not in Tensor.__dict__:
            setattr(Tensor, name, entry.fn)
    for entry in TABLE.values():
        for name in (entry.name,) + entry.aliases:
            if entry.method and not name.startswith("_") and name not in Tensor.__dict__:
                setattr(Tensor, name, entry.fn)
            if entry.inplace and name + "_" not in Tensor.__dict__:
                setattr(Tensor, name + "_", make_method(entry))


_bind_methods()
