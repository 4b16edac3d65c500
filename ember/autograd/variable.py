"""`Variable`: the pre-0.4 wrapper class, kept as PyTorch keeps it, as a name for Tensor.

Every tensor is an instance of it, and calling it returns a new tensor sharing ``data``'s
memory, detached from its history, with the requested ``requires_grad``.
"""
from __future__ import annotations

import warnings


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        from .._tensor import Tensor
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """The legacy alias of Tensor: ``Variable(t, requires_grad=True)`` is a leaf sharing t's
    memory.

    >>> v = ember.autograd.Variable(ember.ones(2), requires_grad=True)
    >>> v.requires_grad, isinstance(v, ember.autograd.Variable)
    (True, True)
    """

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool | None = None):
        from .._creation import empty
        from .._tensor import Tensor
        if volatile is not None:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "ember.no_grad():` instead.", stacklevel=2)
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
