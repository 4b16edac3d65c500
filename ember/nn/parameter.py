"""`Parameter`: a tensor a `Module` registers as one of its learnable weights; `Buffer`:
one it registers as state (running statistics and the like)."""
from __future__ import annotations

from .._tensor import Tensor, _init, _new


class Parameter(Tensor):
    """A tensor that, assigned as a Module attribute, is registered as a parameter.

    It shares memory with ``data`` and requires grad by default.

    >>> w = nn.Parameter(ember.zeros(2))
    >>> w
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        t = _new(cls)
        _init(t, data._data)
        t._vc = data._vc
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        copied = type(self)(_detached_copy(self), self._requires_grad)
        memo[id(self)] = copied
        return copied

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (type(self), self._host(), self._requires_grad))


class Buffer(Tensor):
    """A tensor that, assigned as a Module attribute, is registered as a buffer
    (``persistent=False`` keeps it out of the state dict).

    >>> self.running_mean = nn.Buffer(ember.zeros(4))
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        t = _new(cls)
        _init(t, data._data)
        t._vc = data._vc
        t.persistent = persistent
        return t


def _detached_copy(t: Tensor) -> Tensor:
    from .._tensor import wrap
    return wrap(t._data.copy())


def _rebuild_parameter(cls, data, requires_grad):
    from .._tensor import wrap
    return cls(wrap(data), requires_grad)
