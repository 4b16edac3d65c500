"""Reading CIFAR's pickled batches without running code from the file.

A pickle may name any importable callable; a hostile file would run it. CIFAR's batches
are dicts of strings, lists of ints and NumPy arrays, so the unpickler resolves only the
few NumPy internals that rebuild an array (and ``_codecs.encode``, which is how protocol-2
pickles written by Python 3 spell bytes). Anything else is refused, and so are arrays of
Python objects.
"""
from __future__ import annotations

import codecs
import io
import os
import pickle

import numpy as np

try:
    from numpy._core import multiarray as _multiarray, numeric as _numeric
except ImportError:  # NumPy 1.x
    from numpy.core import multiarray as _multiarray, numeric as _numeric

_ARRAY_GLOBALS = {
    "_reconstruct": _multiarray._reconstruct,
    "scalar": _multiarray.scalar,
    "_frombuffer": _numeric._frombuffer,
}
_ALLOWED = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
            ("_codecs", "encode"): codecs.encode}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray", "numpy.core.numeric",
                "numpy._core.numeric"):
    for _name, _fn in _ARRAY_GLOBALS.items():
        _ALLOWED[(_module, _name)] = _fn


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: a dataset batch may hold only plain "
                f"containers, numbers, strings and NumPy arrays")
        return found


def _check_no_objects(value):
    if isinstance(value, np.ndarray) and value.dtype.hasobject:
        raise pickle.UnpicklingError("refusing a NumPy array of Python objects in a dataset "
                                     "batch")
    if isinstance(value, dict):
        for item in value.values():
            _check_no_objects(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_no_objects(item)


def load_batch(path: str | os.PathLike) -> dict:
    """The dict pickled in ``path`` (Python 2 strings decoded as Latin-1), loaded safely.

    >>> load_batch("data/cifar-10-batches-py/data_batch_1")["data"].shape
    (10000, 3072)
    """
    with open(path, "rb") as f:
        value = _ArrayUnpickler(io.BytesIO(f.read()), encoding="latin1").load()
    _check_no_objects(value)
    if not isinstance(value, dict):
        raise pickle.UnpicklingError(f"{path}: expected a pickled dict, found "
                                     f"{type(value).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in value.items()}
