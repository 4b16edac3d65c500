"""The rest of PyTorch's Tensor API that isn't math: predicates (``is_signed``...), memory
(``layout``, pinning, sharing), the legacy ``new``, ``sum_to_size``, and the in-place shape
changes (``unsqueeze_``, ``t_``, ``resize_``...).

Ember keeps no lazy conjugate or negative bits (``conj()`` computes), so ``is_conj`` and
``is_neg`` are False and ``resolve_conj``/``resolve_neg`` return the tensor itself.
"""
from __future__ import annotations

import numpy as np

from ._layout import strided
from ._tensor import Size, Tensor, _Storage
from .autograd.grad_mode import STATE
from .ops import _op
from .ops._inplace import _check_not_leaf


def typename(obj) -> str:
    """The type's name PyTorch prints: ``'ember.FloatTensor'`` for tensors.

    >>> ember.typename(ember.zeros(2))
    'ember.FloatTensor'
    """
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(type(obj), "__module__", "") or ""
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return name if module == "builtins" else f"{module}.{name}"


def is_nonzero(input: Tensor) -> bool:
    """Whether a one-element tensor is not zero (more or fewer elements: RuntimeError)."""
    return bool(input)


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether ``input`` and ``other`` have the same shape (dtypes may differ).

    >>> ember.is_same_size(ember.zeros(2, 3), ember.ones(2, 3, dtype=ember.int64))
    True
    """
    return input.shape == other.shape


def is_signed(input: Tensor) -> bool:
    """Whether the dtype holds negative numbers."""
    return input.dtype.is_signed


def is_conj(input: Tensor) -> bool:
    """Whether ``input`` carries a lazy conjugate bit: always False in Ember, whose `conj`
    computes the conjugate (PyTorch answers True for ``conj()`` of a complex tensor).

    >>> ember.tensor([1 + 2j]).conj().is_conj()
    False
    """
    return False


def is_neg(input: Tensor) -> bool:
    """Whether ``input`` carries a lazy negative bit: always False, as Ember keeps no such
    bits (see the module note).

    >>> ember.zeros(2).is_neg()
    False
    """
    return False


def resolve_conj(input: Tensor) -> Tensor:
    """``input`` with any lazy conjugation applied: ``input`` itself in Ember, where
    conjugation is never lazy (PyTorch may return a new tensor).

    >>> x = ember.tensor([1 + 2j]).conj()
    >>> x.resolve_conj() is x
    True
    """
    return input


def resolve_neg(input: Tensor) -> Tensor:
    """``input`` with any lazy negation applied: ``input`` itself in Ember, where negation
    is never lazy.

    >>> x = ember.ones(2)
    >>> x.resolve_neg() is x
    True
    """
    return input


def is_inference(input: Tensor) -> bool:
    """Whether ``input`` was made under `inference_mode`; a view is one exactly when its
    base is, whatever the mode it was taken in.

    >>> with ember.inference_mode(): x = ember.ones(2)
    >>> x.is_inference(), ember.ones(2).is_inference()
    (True, False)
    """
    base = input._base
    return (input if base is None else base)._inference


def _is_pinned(self, device=None) -> bool:
    """Whether the tensor is in page-locked host memory: always False, as Ember doesn't pin.

    >>> ember.zeros(2).is_pinned()
    False
    """
    return False


def _pin_memory(self, device=None) -> Tensor:
    """A copy in page-locked memory, for faster copies to a GPU. With no GPU it raises
    RuntimeError, as PyTorch does; with CuPy, Ember returns a plain copy (not pinned).

    >>> ember.zeros(2).pin_memory() if ember.cuda.is_available() else "no GPU"
    'no GPU'
    """
    from . import cuda
    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return self.clone()


def _share_memory_(self) -> Tensor:
    """Mark the tensor as shared between processes and return it. Ember only records the
    mark (`is_shared` reports it): NumPy memory stays private to the process, and tensors
    sent to worker processes travel by value, so a worker's writes are not seen by the
    parent as they are in PyTorch.

    >>> ember.zeros(2).share_memory_().is_shared()
    True
    """
    # Recorded only: NumPy memory is private to the process; tensors sent to workers are
    # pickled by value.
    self._shared = True
    return self


def _is_shared(self) -> bool:
    """Whether `share_memory_` was called on this tensor (see there for what it means in
    Ember).

    >>> ember.zeros(2).is_shared()
    False
    """
    return self.__dict__.get("_shared", False)


def _legacy_new(self, *args, device=None, dtype=None, requires_grad=False) -> Tensor:
    """The legacy constructor with this tensor's dtype and device: ``x.new(2, 3)``
    (uninitialized), ``x.new([1, 2])`` (that data), ``x.new()`` (empty)."""
    if len(args) == 1 and isinstance(args[0], Tensor):
        if args[0].dtype != self.dtype:
            raise TypeError(f"new(): expected a {self.dtype} tensor, got {args[0].dtype}")
        return args[0].detach()
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    return Tensor(*args, device=device or self.device, dtype=dtype or self.dtype,
                  requires_grad=requires_grad)


class TypedStorage(_Storage):
    """``Tensor.storage()``: the memory a tensor looks into, counted in elements of its dtype
    (a view's storage is its base's)."""

    def __init__(self, t: Tensor):
        super().__init__(t)
        self.dtype, self.device = t.dtype, t.device

    def size(self) -> int:
        return self._array.size

    __len__ = size

    def element_size(self) -> int:
        return self._array.itemsize

    def tolist(self) -> list:
        return self._array.ravel(order="K").tolist()

    def __getitem__(self, index):
        return self._array.ravel(order="K")[index].item()


def _storage(self) -> TypedStorage:
    """The memory behind the tensor, counted in elements of its dtype: a `TypedStorage`
    with ``size()``, ``element_size()``, ``tolist()``, indexing, ``data_ptr()`` and
    ``nbytes()``. A view's storage is its base's. PyTorch deprecates this for
    `untyped_storage`.

    >>> x = ember.arange(6.).reshape(2, 3)
    >>> x[1].storage().size(), x[1].storage()[4]
    (6, 4.0)
    """
    return TypedStorage(self)


def _sum_to_size(self, *size) -> Tensor:
    """The sum of ``self`` down to ``size``, which must expand to ``self``'s shape.

    >>> ember.ones(2, 3).sum_to_size(1, 3)
    tensor([[2., 2., 2.]])
    """
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
    ndim = self.ndim
    if len(shape) > ndim or any(s not in (1, n) for s, n in zip(shape[::-1],
                                                                 self.shape[::-1])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size "
                           f"{{{list(self.shape)}}}.")
    return _op._sum_to(self, shape)


# ----------------------------------------------------------------------------- in place


def _reshaping_inplace(name: str, view):
    """``Tensor.<name>``: this tensor becomes ``view(self, ...)`` (same memory, new shape)."""
    def method(self, *args, **kwargs):
        if STATE.grad_enabled and self._requires_grad:
            _check_not_leaf(self, self._base, name)
        if name == "squeeze_" and len(args) > 1:  # squeeze_(*dim)
            args = (args,)
        out = view(self, *args, **kwargs)
        self._data = out._data
        self._vc[0] += 1
        if out._grad_fn is not None:
            self._grad_fn = out._grad_fn
            self.__dict__.pop("_output_nr", None)
            if self._base is not None:
                self._view_version = self._vc[0]
        return self
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`Tensor.{name[:-1]}` (a new shape, same memory)."
    return method


def _t(self) -> Tensor:
    if self.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{self.ndim}D")
    return self.t()


def _resize_(self, *sizes, memory_format=None) -> Tensor:
    """Give this tensor the shape ``sizes``, keeping its leading values (new ones are
    uninitialized).

    >>> ember.arange(6.).resize_(2, 2)
    tensor([[0., 1.],
            [2., 3.]])
    """
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    shape = tuple(sizes[0]) if len(sizes) == 1 and not isinstance(sizes[0], int) else sizes
    if any(s < 0 for s in shape):
        raise RuntimeError(f"resize_(): Trying to create tensor with negative dimension: "
                           f"{list(shape)}")
    old = self._data.reshape(-1)
    n = int(np.prod(shape))
    if n == old.size:
        data = old.reshape(shape)
    else:
        data = self._xp.empty(n, dtype=old.dtype)
        data[:min(n, old.size)] = old[:n]
        data = data.reshape(shape)
    self._data = data
    self._vc[0] += 1
    return self


def _resize_as_(self, other: Tensor, memory_format=None) -> Tensor:
    """`resize_` this tensor in place to ``other``'s shape (``memory_format`` is accepted
    and ignored): the leading values are kept, new ones are uninitialized.

    >>> ember.arange(6.).resize_as_(ember.zeros(2, 3))
    tensor([[0., 1., 2.],
            [3., 4., 5.]])
    """
    return _resize_(self, other.shape)


_METHODS = {
    "is_nonzero": is_nonzero, "is_same_size": is_same_size, "is_signed": is_signed,
    "is_conj": is_conj, "is_neg": is_neg, "resolve_conj": resolve_conj,
    "resolve_neg": resolve_neg, "is_inference": is_inference, "is_pinned": _is_pinned,
    "pin_memory": _pin_memory, "share_memory_": _share_memory_, "is_shared": _is_shared,
    "new": _legacy_new, "storage": _storage, "sum_to_size": _sum_to_size,
    "resize_": _resize_, "resize_as_": _resize_as_,
    "squeeze_": _reshaping_inplace("squeeze_", Tensor.squeeze),
    "unsqueeze_": _reshaping_inplace("unsqueeze_", Tensor.unsqueeze),
    "transpose_": _reshaping_inplace("transpose_", Tensor.transpose),
    "swapaxes_": _reshaping_inplace("swapaxes_", Tensor.swapaxes),
    "swapdims_": _reshaping_inplace("swapdims_", Tensor.swapdims),
    "t_": _reshaping_inplace("t_", _t),
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.layout = strided
Tensor.is_sparse = False
Tensor.is_quantized = False
