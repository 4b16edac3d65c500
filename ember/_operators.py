"""Python's operators on tensors (``a + b``, ``a < b``, ``~m``, ``a @ b``...), from the op table.

Each binary operator comes three ways: ``a + b``, reflected ``2 + a`` (the number goes first
to the same op, so ``2 - a`` is ``sub(2, a)``), and in place ``a += b``, which writes into
``a``'s own memory and moves its version counter, as PyTorch's does.
"""
from __future__ import annotations

import numbers

from ._tensor import Tensor
from .ops import TABLE


def _reflected(fn):
    def reflected(self, other):
        return fn(other, self)
    reflected.__name__ = f"reflected_{fn.__name__}"
    return reflected


_BINARY = {
    "add": ("__add__", "__radd__", "__iadd__"),
    "sub": ("__sub__", "__rsub__", "__isub__"),
    "mul": ("__mul__", "__rmul__", "__imul__"),
    "div": ("__truediv__", "__rtruediv__", "__itruediv__"),
    "floor_divide": ("__floordiv__", "__rfloordiv__", "__ifloordiv__"),
    "remainder": ("__mod__", "__rmod__", "__imod__"),
    "pow": ("__pow__", "__rpow__", "__ipow__"),
    "bitwise_and": ("__and__", "__rand__", "__iand__"),
    "bitwise_or": ("__or__", "__ror__", "__ior__"),
    "bitwise_xor": ("__xor__", "__rxor__", "__ixor__"),
    "bitwise_left_shift": ("__lshift__", "__rlshift__", "__ilshift__"),
    "bitwise_right_shift": ("__rshift__", "__rrshift__", "__irshift__"),
    "matmul": ("__matmul__", "__rmatmul__", None),
}

for _name, (_forward, _reflect, _inplace) in _BINARY.items():
    if _name in TABLE:  # matmul arrives with the linear-algebra ops
        setattr(Tensor, _forward, TABLE[_name].fn)
        setattr(Tensor, _reflect, _reflected(TABLE[_name].fn))
        if _inplace is not None:
            setattr(Tensor, _inplace, getattr(Tensor, _name + "_"))


def _comparison(fn, swapped):
    # a < b on something that is neither tensor nor number: let Python try the other side
    # (so `t == None` is False and `t < "a"` a TypeError), as PyTorch's operators do.
    def compare(self, other):
        if isinstance(other, (Tensor, numbers.Number)):
            return fn(self, other)
        return NotImplemented
    compare.__name__ = swapped
    return compare


for _name, _dunder in (("eq", "__eq__"), ("ne", "__ne__"), ("lt", "__lt__"), ("le", "__le__"),
                       ("gt", "__gt__"), ("ge", "__ge__")):
    setattr(Tensor, _dunder, _comparison(TABLE[_name].fn, _dunder))


def _positive(self: Tensor) -> Tensor:
    """``+self``: the tensor itself (refused for bool, as in PyTorch)."""
    if self._data.dtype == bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return self


Tensor.__neg__ = TABLE["neg"].fn
Tensor.__pos__ = Tensor.positive = _positive
Tensor.__abs__ = TABLE["abs"].fn
Tensor.__invert__ = TABLE["bitwise_not"].fn
