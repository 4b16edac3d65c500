"""Read and write ``.safetensors`` files: the ecosystem's safe format for named tensors.

The same four functions as ``safetensors.torch``, through the ``safetensors`` package (the
``ember[safetensors]`` extra). Files are interchangeable with every other safetensors
reader; writing a file is atomic, like `ember.save`.

>>> from ember.utils.safetensors import save_file, load_file
>>> save_file(model.state_dict(), 'model.safetensors')
>>> model.load_state_dict(load_file('model.safetensors'))
"""
from __future__ import annotations

import os

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, wrap
from ..backend import to_device
from .._device import as_device
from ..serialization import atomic_write

# safetensors' dtype codes; complex128 and the unsigned types past uint8 have no ember twin.
_DTYPES = {"F64": dt.float64, "F32": dt.float32, "F16": dt.float16, "BF16": dt.bfloat16,
           "I64": dt.int64, "I32": dt.int32, "I16": dt.int16, "I8": dt.int8, "U8": dt.uint8,
           "BOOL": dt.bool_, "C64": dt.complex64}
_SAVABLE = set(_DTYPES.values())


def _package():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError as e:
        raise ImportError("reading and writing .safetensors files needs the 'safetensors' "
                          "package: pip install 'ember[safetensors]'") from e
    return safetensors


def save(tensors: dict[str, Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """The safetensors encoding of a dict of named tensors (e.g. a state_dict)."""
    arrays = {}
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"safetensors: tensor names must be strings, got {name!r}")
        if not isinstance(t, Tensor):
            raise TypeError(f"safetensors: {name!r} is a {type(t).__name__}, not a Tensor")
        if t.dtype not in _SAVABLE:
            raise TypeError(f"safetensors: {name!r} has dtype {t.dtype}, which the format "
                            f"can't store")
        # safetensors copies raw memory: hand it contiguous little-endian bytes.
        arrays[name] = np.ascontiguousarray(t._host())
    return _package().numpy.save(arrays, metadata=metadata)


def save_file(tensors: dict[str, Tensor], filename: str | os.PathLike,
              metadata: dict[str, str] | None = None) -> None:
    """Write named tensors to a ``.safetensors`` file (atomically)."""
    data = save(tensors, metadata)
    atomic_write(os.fspath(filename), lambda out: out.write(data))


def load(data: bytes, device="cpu") -> dict[str, Tensor]:
    """The named tensors in safetensors-encoded ``data``."""
    safetensors = _package()
    try:
        entries = safetensors.deserialize(data)
    except safetensors.SafetensorError as e:
        raise RuntimeError(f"safetensors: not a valid safetensors file: {e}") from None
    target = as_device(device)
    out = {}
    for name, entry in entries:
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise TypeError(f"safetensors: {name!r} has dtype {entry['dtype']}, which ember "
                            f"doesn't support")
        array = np.frombuffer(entry["data"], dtype=dtype.np).reshape(entry["shape"])
        out[name] = wrap(to_device(array, target))
    return out


def load_file(filename: str | os.PathLike, device="cpu") -> dict[str, Tensor]:
    """Read the named tensors of a ``.safetensors`` file."""
    with open(filename, "rb") as f:
        return load(f.read(), device)
