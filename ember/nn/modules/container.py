"""Containers: `Sequential`, `ModuleList`, `ModuleDict`, `ParameterList`, `ParameterDict`.

They hold modules (or parameters) under the names ``"0"``, ``"1"``... (or the given keys) in
the ordinary registries of `Module`, so state-dict keys read ``"layers.0.weight"`` as in
PyTorch.
"""
from __future__ import annotations

import operator
import warnings
from collections import OrderedDict
from itertools import chain
from typing import Any, Iterable, Iterator, Mapping

from ..._tensor import Tensor
from ..parameter import Parameter
from .module import Module, _addindent

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
           "Container"]


def _index(idx, size: int) -> int:
    """``idx`` as a non-negative position in a container of ``size``, or IndexError."""
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range")
    return idx % size if size else idx


def _renumber(module: Module) -> None:
    module._modules = dict(zip(map(str, range(len(module._modules))),
                               module._modules.values()))


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: children under "0", "1"... addressed by
    position, renumbered after deletions."""

    def _key(self, idx) -> str:
        return list(self._modules)[_index(idx, len(self._modules))]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key(idx)]
        for key in keys:
            delattr(self, key)
        _renumber(self)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def pop(self, key) -> Module:
        """Remove and return the module at position ``key``; the ones after it move up."""
        module = self[key]
        del self[key]
        return module

    def append(self, module: Module):
        """Add ``module`` at the end and return the container.

        >>> len(ember.nn.Sequential(ember.nn.Linear(2, 2)).append(ember.nn.ReLU()))
        2
        """
        self.add_module(str(len(self)), module)
        return self


class Container(Module):
    """Deprecated: a ``Module`` holding the keyword arguments as named submodules."""

    def __init__(self, **kwargs: Module) -> None:
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now "
                      "implemented in `nn.Module`. Subclass that instead.", FutureWarning,
                      stacklevel=2)
        super().__init__()
        for name, module in kwargs.items():
            self.add_module(name, module)


class Sequential(_ModuleSequence):
    """Modules applied one after another: ``Sequential(a, b)(x) == b(a(x))``. Built from
    modules (named ``"0"``, ``"1"``...) or from an ``OrderedDict`` of names to modules.

    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model(ember.zeros(3, 4)).shape, model[0]
    (ember.Size([3, 2]), Linear(in_features=4, out_features=8, bias=True))
    """

    def __init__(self, *args: Module):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def __add__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        return Sequential(*self, *other)

    def __iadd__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        return self.extend(other)

    def __mul__(self, times: int) -> "Sequential":
        if not isinstance(times, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and "
                            f"{type(times)}")
        if times <= 0:
            raise ValueError(f"Non-positive multiplication factor {times} for {type(self)}")
        return Sequential(*(list(self) * times))

    __rmul__ = __mul__

    def __imul__(self, times: int) -> "Sequential":
        return self.extend(list(self) * (times - 1)) if times > 0 else self * times

    def insert(self, index: int, module: Module) -> "Sequential":
        """Put ``module`` at position ``index`` (negative counts from the end), moving the
        later ones back; returns the Sequential.
        """
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules = dict(zip(map(str, range(n + 1)), modules))
        return self

    def extend(self, modules: Iterable[Module]) -> "Sequential":
        """`append` each module of ``modules`` in order; returns the Sequential."""
        for module in modules:
            self.append(module)
        return self


class ModuleList(_ModuleSequence):
    """A list of modules, registered so that their parameters belong to the owner.

    >>> layers = nn.ModuleList(nn.Linear(8, 8) for _ in range(3))
    >>> len(layers), len(list(layers.parameters()))
    (3, 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._key(idx)]

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> "ModuleList":
        return ModuleList(chain(self, other))

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` at position ``index``, moving the later ones back."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules = {}
        self.extend(modules)

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """`append` each module of the iterable ``modules`` in order; returns the list."""
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        for module in modules:
            self.append(module)
        return self

    def __repr__(self) -> str:
        # Runs of identical children print once: "(0-2): 3 x Linear(...)".
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [_addindent(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}", 2)
                 for a, b, r in runs]
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys.

    >>> heads = nn.ModuleDict({"cls": nn.Linear(8, 10), "box": nn.Linear(8, 4)})
    >>> heads["box"](ember.zeros(1, 8)).shape, len(list(heads.parameters()))
    (ember.Size([1, 4]), 4)
    """

    def __init__(self, modules: Mapping[str, Module] | None = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it (KeyError if there is none)."""
        module = self[key]
        del self[key]
        return module

    def keys(self):
        """The names, in insertion order (as ``dict.keys``)."""
        return self._modules.keys()

    def items(self):
        """``(name, module)`` pairs, in insertion order (as ``dict.items``)."""
        return self._modules.items()

    def values(self):
        """The modules, in insertion order (as ``dict.values``)."""
        return self._modules.values()

    def update(self, modules) -> None:
        """Add ``modules``: a mapping, or an iterable of ``(key, module)`` pairs."""
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleDict.update should be called with an iterable of key/value "
                            "pairs, but got " + type(modules).__name__)
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for j, pair in enumerate(pairs):
            if not isinstance(pair, Iterable) or isinstance(pair, (str, Module)):
                raise TypeError(f"ModuleDict update sequence element #{j} should be Iterable; "
                                f"is {type(pair).__name__}")
            if len(pair) != 2:
                raise ValueError(f"ModuleDict update sequence element #{j} has length "
                                 f"{len(pair)}; 2 is required")
            self[pair[0]] = pair[1]


def _as_parameter(value):
    return Parameter(value) if isinstance(value, Tensor) and not isinstance(value, Parameter) \
        else value


def _describe(value, type_name) -> str:
    """A parameter container's line for ``value``; ``type_name`` names its tensor type
    (ParameterList prints the dtype, ParameterDict the legacy type name, as in PyTorch)."""
    if not isinstance(value, Tensor):
        return "Object of type: " + type(value).__name__
    size = "x".join(str(s) for s in value.size())
    device = f" ({value.device})" if value.device.type == "cuda" else ""
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    return f"{kind} containing: [{type_name(value)} of size {size}{device}]"


class ParameterList(Module):
    """A list of parameters (plain tensors are wrapped into `Parameter`), registered under
    ``"0"``, ``"1"``...

    >>> scales = nn.ParameterList(nn.Parameter(ember.ones(4)) for _ in range(3))
    >>> [name for name, _ in scales.named_parameters()]
    ['0', '1', '2']
    """

    def __init__(self, values: Iterable[Any] | None = None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(self[i] for i in range(len(self))[idx])
        return getattr(self, str(_index(idx, len(self))))

    def __setitem__(self, idx: int, value) -> None:
        setattr(self, str(_index(idx, len(self))), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values: Iterable[Any]) -> "ParameterList":
        return self.extend(values)

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, value) -> "ParameterList":
        """Add ``value`` at the end (a tensor becomes a `Parameter`); returns the list.

        >>> len(ember.nn.ParameterList().append(ember.zeros(2)))
        1
        """
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> "ParameterList":
        """`append` each value of the iterable ``values`` in order; returns the list."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"  ({i}): {_describe(v, lambda t: t.dtype)}"
                         for i, v in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters (plain tensors are wrapped into `Parameter`).

    >>> biases = nn.ParameterDict({"a": ember.zeros(3)})
    >>> type(biases["a"]).__name__, [name for name, _ in biases.named_parameters()]
    ('Parameter', ['a'])
    """

    def __init__(self, parameters: Any = None):
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, but got {type(key).__name__}")
        self._keys[key] = None
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._keys))

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def copy(self) -> "ParameterDict":
        """A new ParameterDict holding the same parameters (not copies of them)."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default=None):
        """The value under ``key``, first setting it to ``default`` if ``key`` is absent."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        """Remove every entry."""
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str):
        """Remove the entry under ``key`` and return its value (KeyError if absent)."""
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        """Remove the last inserted entry and return it as ``(key, value)``."""
        key = next(reversed(self))
        return key, self.pop(key)

    def get(self, key: str, default=None):
        """The value under ``key``, or ``default`` (None) if absent."""
        return self[key] if key in self else default

    def fromkeys(self, keys: Iterable[str], default=None) -> "ParameterDict":
        """A new ParameterDict with each of ``keys`` set to ``default`` (None)."""
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        """The keys, in insertion order (as ``dict.keys``)."""
        return self._keys.keys()

    def items(self):
        """``(key, value)`` pairs, in insertion order (as ``dict.items``)."""
        return ((k, self[k]) for k in self._keys)

    def values(self):
        """The values, in insertion order (as ``dict.values``)."""
        return (self[k] for k in self._keys)

    def update(self, values) -> None:
        """Add ``values``: a mapping, or an iterable of ``(key, value)`` pairs."""
        if not isinstance(values, Iterable):
            raise TypeError("ParametersDict.update should be called with an iterable of "
                            "key/value pairs, but got " + type(values).__name__)
        if isinstance(values, (OrderedDict, ParameterDict)):
            pairs = list(values.items())
        elif isinstance(values, Mapping):
            pairs = sorted(values.items())
        else:
            pairs = list(values)
        for j, pair in enumerate(pairs):
            if not isinstance(pair, Iterable) or len(pair) != 2:
                raise ValueError(f"ParameterDict update sequence element #{j} should be a "
                                 "key/value pair")
            self[pair[0]] = pair[1]

    def extra_repr(self) -> str:
        return "\n".join(f"  ({k}): {_describe(v, lambda t: t.type())}"
                         for k, v in self.items())

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other: "ParameterDict") -> "ParameterDict":
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: "ParameterDict") -> "ParameterDict":
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other: "ParameterDict") -> "ParameterDict":
        self.update(other)
        return self
