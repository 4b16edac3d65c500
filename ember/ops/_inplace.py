"""In-place variants (``Tensor.add_`` and friends), derived from the out-of-place op.

The op runs out of place, then its result is written into the tensor's own memory, the
version counter (shared with views) moves, and the tensor's history becomes the op's node.
When the op's derivative needs the tensor's old value, it is kept as a copy first.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _new
from ..autograd.grad_mode import STATE
from . import _op


def apply_inplace(op, self: Tensor, args: tuple, kwargs: dict) -> Tensor:
    recording = STATE.grad_enabled and op.differentiable and (
        self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args))
    if recording and self._grad_fn is None and self._requires_grad:
        raise RuntimeError(f"{op.name}_(): a leaf Variable that requires grad is being used in "
                           "an in-place operation.")
    if recording and self._base is not None and self._base._requires_grad:
        raise RuntimeError(f"{op.name}_(): in-place operations on a view of a tensor that "
                           "requires grad are not supported; apply the operation to the base "
                           "tensor, or to a .clone() of the view.")
    src = self
    if recording and 0 in op.save:
        src = self._alias(self._grad_fn)  # the derivative needs the old value: keep a copy
        src._data = self._data.copy()
        src._vc = [0]  # the copy is not changed by later writes into self
        src._requires_grad = self._requires_grad
        src._output_nr = self._output_nr
    result = _op.apply(op, (src,) + args, kwargs)
    write_into(self, result, op.name + "_")
    if result._grad_fn is not None:
        self._grad_fn = result._grad_fn
        self._requires_grad = True
        self.__dict__.pop("_output_nr", None)
    return self


def write_into(self: Tensor, result: Tensor, name: str) -> None:
    """Copy ``result`` into ``self``'s memory, with PyTorch's shape and cast checks."""
    if result._data.shape != self._data.shape:
        raise RuntimeError(f"{name}(): output with shape {list(self._data.shape)} doesn't "
                           f"match the broadcast shape {list(np.broadcast_shapes(result._data.shape, self._data.shape))}")
    src_dtype = result.dtype
    dst_dtype = self.dtype
    if src_dtype.category > dst_dtype.category:
        raise RuntimeError(f"{name}(): result type {_legacy(src_dtype)} can't be cast to the "
                           f"desired output type {_legacy(dst_dtype)}")
    if not self._data.flags.writeable:
        raise RuntimeError(f"{name}(): unsupported operation: the tensor is a broadcast (expand) "
                           "view and more than one element refers to the same memory; clone "
                           "it first.")
    self._data[...] = result._data
    self._vc[0] += 1


def _legacy(d: dt.dtype) -> str:
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "bool": "Bool", "float16": "Half", "int16": "Short", "int8": "Char",
            "uint8": "Byte", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
            "bfloat16": "BFloat16"}[d.name]


def make_method(op):
    def method(self, *args, **kwargs):
        return apply_inplace(op, self, args, kwargs)
    method.__name__ = op.name + "_"
    method.__doc__ = f"In-place version of :func:`ember.{op.name}`."
    return method
