"""The op table, one module per family; importing this package fills `TABLE`.

Where to find an op: elementwise math in `pointwise`, comparisons and logic in `compare`,
reductions in `reduce`, scans/sorts in `sorting`, views and shape changes in `shape`,
joining and rearranging in `join`, indexing and scatter/gather in `index`, products and
`linalg` in `linalg`, casts and device moves in `conversion`.
"""
from ._op import TABLE, Op, op, apply
from . import conversion, pointwise, reduce, shape  # noqa: F401  (each registers its ops)
from ._inplace import make_method
from .._tensor import Tensor


def _bind_methods() -> None:
    for name, entry in TABLE.items():
        if entry.method and not name.startswith("_") and name not in Tensor.__dict__:
            setattr(Tensor, name, entry.fn)
        if entry.inplace and name + "_" not in Tensor.__dict__:
            setattr(Tensor, name + "_", make_method(entry))


_bind_methods()
