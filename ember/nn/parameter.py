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

    >>> m = nn.Module()
    >>> m.running_mean = nn.Buffer(ember.zeros(4))
    >>> [name for name, _ in m.named_buffers()]
    ['running_mean']
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


class UninitializedTensorMixin:
    """A placeholder whose shape is unknown until `materialize` (lazy modules): it then
    becomes, in place, a plain ``cls_to_become`` so references to it stay valid."""

    cls_to_become: type

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocate (uninitialized) storage of ``shape`` and turn into ``cls_to_become``."""
        from .._creation import empty
        like = {"device": self.device if device is None else device,
                "dtype": self.dtype if dtype is None else dtype}
        self._data = empty(shape, **like)._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


def is_lazy(param) -> bool:
    """Whether ``param`` is a placeholder of a lazy module, not yet materialized.

    >>> is_lazy(ember.nn.UninitializedParameter())
    True
    """
    return isinstance(param, UninitializedTensorMixin)


def _empty_like_spec(device, dtype) -> Tensor:
    from .._creation import empty
    return empty(0, device=device, dtype=dtype)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A `Parameter` whose shape a lazy module fixes at its first forward.

    >>> p = nn.UninitializedParameter()
    >>> p.materialize((2, 3)); type(p).__name__
    'Parameter'
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        return Parameter.__new__(cls, _empty_like_spec(device, dtype), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Buffer):
    """A buffer whose shape a lazy module fixes at its first forward."""

    cls_to_become = Tensor  # a plain tensor once materialized, as an eager layer's buffers

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None,
                persistent: bool = True):
        t = Buffer.__new__(cls, _empty_like_spec(device, dtype), persistent=persistent)
        t.requires_grad_(requires_grad)
        return t

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype,
                                        self.persistent)
        return memo[id(self)]
