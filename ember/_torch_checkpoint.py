"""Reading checkpoints written by PyTorch's ``torch.save``, without PyTorch.

``torch.save`` writes a zip archive whose pickle rebuilds each tensor with
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``,
where ``storage`` is a persistent id ``('storage', torch.<Type>Storage, key, location, numel)``
and offsets and strides count elements. This module maps exactly those names (and PyTorch's
dtypes, devices and Size) onto ember's objects; every other global is still refused.
"""
from __future__ import annotations

import pickle

from . import _dtype as dt
from ._device import device
from ._tensor import Size
from .serialization import _ALLOWED, _Storage, _Unpickler, _rebuild_tensor


class _StorageType:
    """What ``torch.<Type>Storage`` resolves to: only the element type it names."""

    def __init__(self, dtype: dt.dtype):
        self.dtype = dtype


class _TypedStorage:
    def __init__(self, storage: _Storage, dtype: dt.dtype):
        self.storage = storage
        self.dtype = dtype


_STORAGE_TYPES = {"FloatStorage": dt.float32, "DoubleStorage": dt.float64,
                  "HalfStorage": dt.float16, "BFloat16Storage": dt.bfloat16,
                  "LongStorage": dt.int64, "IntStorage": dt.int32, "ShortStorage": dt.int16,
                  "CharStorage": dt.int8, "ByteStorage": dt.uint8, "BoolStorage": dt.bool_,
                  "ComplexFloatStorage": dt.complex64, "ComplexDoubleStorage": dt.complex128}


def _ints(values, what: str) -> tuple:
    values = tuple(values)
    if not all(type(v) is int for v in values):
        raise pickle.UnpicklingError(f"ember.load: a tensor's {what} must be integers, got "
                                     f"{values!r}")
    return values


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    if not isinstance(storage, _TypedStorage):
        raise pickle.UnpicklingError("ember.load: a tensor's data must be a storage of the "
                                     f"archive, got {type(storage).__name__}")
    item = storage.dtype.itemsize
    (offset,) = _ints([storage_offset], "offset")
    strides = tuple(s * item for s in _ints(stride, "stride"))
    return _rebuild_tensor(storage.storage, offset * item, _ints(size, "size"), strides,
                           storage.dtype.name, requires_grad)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn import Parameter
    return Parameter(data, requires_grad)


def _torch_device(kind, index=None) -> device:
    return device(str(kind), index if isinstance(index, int) else None)


_TORCH_ALLOWED = {
    **_ALLOWED,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch", "device"): _torch_device,
    ("torch", "Size"): Size,
    **{("torch", name): _StorageType(d) for name, d in _STORAGE_TYPES.items()},
    **{("torch", d.name): d for d in dt.ALL},
}


class TorchUnpickler(_Unpickler):
    """The restricted unpickler, reading PyTorch's names."""

    allowed = _TORCH_ALLOWED

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)
                and isinstance(pid[3], str)):
            raise pickle.UnpicklingError(f"ember.load: unknown persistent id {pid!r}")
        return _TypedStorage(self._open_storage(pid[2], pid[3]), pid[1].dtype)
