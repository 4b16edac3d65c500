"""Small helpers at PyTorch's path (``torch.nn.modules.utils``): the n-tuple converters that
custom layers import (``_pair`` ...) and `consume_prefix_in_state_dict_if_present`."""
from __future__ import annotations

import collections.abc
from itertools import repeat
from typing import Any

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n: int, name: str = "parse"):
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n: int) -> tuple:
    """Each element of ``t`` repeated ``n`` times, last element first (F.pad's order)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults: list) -> list:
    if isinstance(out_size, int):
        return [out_size]
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d
            for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict: dict[str, Any], prefix: str) -> None:
    """Strip ``prefix`` from the keys that start with it, in place (e.g. the ``module.`` a
    `DataParallel` wrapper adds).

    >>> sd = {'module.w': 1}; consume_prefix_in_state_dict_if_present(sd, 'module.'); sd
    {'w': 1}
    """
    for key in [k for k in state_dict if k.startswith(prefix)]:
        state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in [k for k in metadata if k.startswith(prefix) or k == prefix[:-1]]:
            new = "" if key == prefix[:-1] else key[len(prefix):]
            metadata[new] = metadata.pop(key)


_FACTORY_KEYS = {"device", "dtype", "memory_format"}


def factory_kwargs(kwargs: dict | None) -> dict:
    """The tensor-factory options (device, dtype, memory_format) a layer received, merged
    from ``kwargs`` and a nested ``kwargs['factory_kwargs']`` (``torch.nn.factory_kwargs``).

    >>> factory_kwargs({'dtype': ember.float64})
    {'dtype': ember.float64}
    """
    if kwargs is None:
        return {}
    unexpected = set(kwargs) - _FACTORY_KEYS - {"factory_kwargs"}
    if unexpected:
        raise TypeError(f"unexpected kwargs {unexpected}")
    merged = dict(kwargs.get("factory_kwargs", {}))
    for key in _FACTORY_KEYS & set(kwargs):
        if key in merged:
            raise TypeError(f"{key} specified twice, in **kwargs and in factory_kwargs")
        merged[key] = kwargs[key]
    return merged
