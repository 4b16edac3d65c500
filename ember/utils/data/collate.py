"""Turning a list of samples into a batch (`default_collate`) and arrays into tensors
(`default_convert`).

Collation is on the hot path of every training loop, so a batch of tensors or arrays becomes
one ``stack`` call on the backend arrays, not a chain of ember ops per sample.
"""
from __future__ import annotations

import collections.abc
import copy
import functools
from typing import Callable

import numpy as np

import ember
from ember import _dtype as dt
from ember._tensor import Tensor, wrap

_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
          "lists; found {}")


def _is_text_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in "OSUa"


def _stack(xp, arrays: list):
    shape = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(a.shape)} at entry {i}")
    dtype = arrays[0].dtype
    if any(a.dtype != dtype for a in arrays):  # PyTorch's promotion, not NumPy's
        dtype = functools.reduce(dt.promote_types,
                                 {dt.from_numpy_dtype(a.dtype) for a in arrays}).np
    if not shape:
        return xp.stack(arrays).astype(dtype, copy=False)
    # One concatenate is several times faster than xp.stack, which reshapes every sample.
    return xp.concatenate(arrays, dtype=dtype).reshape((len(arrays),) + shape)


def collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor:
    if any(t._requires_grad for t in batch):
        return ember.stack(batch, 0)  # keeps the autograd history
    return wrap(_stack(batch[0]._xp, [t._data for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None) -> Tensor:
    if _is_text_dtype(batch[0].dtype):
        raise TypeError(_ERROR.format(batch[0].dtype))
    return ember.from_numpy(_stack(np, batch))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor:
    return ember.from_numpy(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None) -> Tensor:
    return wrap(np.array(batch, dtype=np.float64))


def collate_int_fn(batch, *, collate_fn_map=None) -> Tensor:
    values = np.array(batch)
    if values.dtype.kind not in "bi":  # Python ints past int64 become uint64 or objects
        raise ValueError(f"default_collate: Overflow when unpacking long long: {batch!r:.80}")
    return wrap(values.astype(np.int64, copy=False) if values.dtype.kind == "i" else values)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[type | tuple, Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def collate(batch: list, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` with per-type functions from ``collate_fn_map`` (looked up by exact
    type, then by isinstance in insertion order), recursing into dicts, namedtuples and
    sequences. The building block for custom collate functions."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        fn = collate_fn_map.get(elem_type)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
        for kind, fn in collate_fn_map.items():
            if isinstance(elem, kind):
                return fn(batch, collate_fn_map=collate_fn_map)

    def recurse(samples):
        return collate(samples, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: recurse([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return elem_type(*(recurse(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [recurse(samples) for samples in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild_sequence(elem, fields)
    raise TypeError(_ERROR.format(elem_type))


def default_collate(batch: list):
    """Stack a list of samples into a batch, keeping the samples' structure.

    Tensors and NumPy arrays are stacked along a new first dimension; Python floats become a
    float64 tensor, ints an int64 tensor; strings stay a list; dicts, namedtuples, lists and
    tuples are collated field by field (tuples come back as lists, as in PyTorch).

    >>> default_collate([(ember.zeros(2), 1), (ember.ones(2), 2)])
    [tensor([[0., 0.],
            [1., 1.]]), tensor([1, 2])]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Turn the NumPy arrays and scalars inside ``data`` into tensors (the collate function
    of a DataLoader without batching), keeping the structure.

    >>> default_convert({'x': np.zeros(2)})
    {'x': tensor([0., 0.], dtype=ember.float64)}
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _is_text_dtype(data.dtype) else ember.as_tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return ember.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(like, values: dict):
    """A mapping of ``like``'s type holding ``values``, or a plain dict if it can't be made."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(values)
            return clone
        return type(like)(values)
    except TypeError:
        return values


def _rebuild_sequence(like, values: list):
    """A sequence of ``like``'s type holding ``values``, or a plain list if it can't be made."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(like)(values)
    except TypeError:
        return values
