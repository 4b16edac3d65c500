"""Python operators on tensors (``a + b``, ``-a``, ``a @ b``, ``a[i]``...), from the op table."""
from __future__ import annotations

from ._tensor import Tensor
from .ops import TABLE


def _reflected(fn):
    def reflected(self, other):
        return fn(other, self)
    return reflected


def _binary(name):
    return TABLE[name].fn


_OPERATORS = {
    "add": ("__add__", "__radd__", "__iadd__"),
    "sub": ("__sub__", "__rsub__", "__isub__"),
    "mul": ("__mul__", "__rmul__", "__imul__"),
    "div": ("__truediv__", "__rtruediv__", "__itruediv__"),
    "pow": ("__pow__", "__rpow__", "__ipow__"),
}

for _name, (_op, _rop, _iop) in _OPERATORS.items():
    if _name in TABLE:
        setattr(Tensor, _op, TABLE[_name].fn)
        setattr(Tensor, _rop, _reflected(TABLE[_name].fn))
        setattr(Tensor, _iop, getattr(Tensor, _name + "_"))

Tensor.__neg__ = TABLE["neg"].fn
Tensor.__abs__ = TABLE["abs"].fn
