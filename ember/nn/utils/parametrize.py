"""Parametrizations: a module's tensor recomputed on every access as ``f(original)``.

`register_parametrization` stores the tensor as ``module.parametrizations.<name>.original``
(state-dict keys match PyTorch's) and swaps the module's class for a subclass whose
property ``<name>`` evaluates the chain of parametrizations.
"""
from __future__ import annotations

import contextlib
import copy
import copyreg
from collections.abc import Sequence

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "type_before_parametrizations", "transfer_parametrizations_and_params",
           "ParametrizationList"]

_cache_enabled = 0
_cache: dict = {}


@contextlib.contextmanager
def cached():
    """Within this context each parametrized tensor is computed once, at first access.

    >>> with parametrize.cached():
    ...     out = rnn(x)          # the recurrent weight is evaluated once, not per step
    """
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


def _register_parameter_or_buffer(module: Module, name: str, value: Tensor) -> None:
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _set_in_place(original: Tensor, value: Tensor) -> None:
    """Give ``original`` the values (and shape) of ``value``, keeping its identity."""
    if original.dtype != value.dtype:
        raise ValueError(f"When `right_inverse` outputs one tensor, it may not change the "
                         f"dtype.\noriginal.dtype: {original.dtype}\n"
                         f"right_inverse(original).dtype: {value.dtype}")
    original.data = value.detach().clone()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor and its unconstrained ``original`` (or
    ``original0``, ``original1``... when the first ``right_inverse`` returns a sequence)."""

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = original.shape, original.dtype
        with no_grad():
            new = original
            for module in reversed(self):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors "
                             f"(list, tuple...). Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if new is not original:
                with no_grad():
                    _set_in_place(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, part in enumerate(new):
                if not isinstance(part, Tensor):
                    raise ValueError("'right_inverse' must return a Tensor or a Sequence of "
                                     f"tensors. Got element {i} of type {type(part).__name__}")
                part = part.detach()
                if isinstance(original, Parameter):
                    part = Parameter(part, original.requires_grad)
                part.requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", part)
        if not unsafe:
            value = self()
            if not isinstance(value, Tensor):
                raise ValueError("A parametrization must return a tensor. Got "
                                 f"{type(value).__name__}.")
            if value.dtype != dtype or value.shape != shape:
                raise ValueError(
                    "Registering a parametrization may not change the shape or dtype of the "
                    f"tensor, unless `unsafe` flag is enabled.\nunparametrized dtype: {dtype}\n"
                    f"unparametrized shape: {shape}\nparametrized dtype: {value.dtype}\n"
                    f"parametrized shape: {value.shape}")

    def right_inverse(self, value: Tensor) -> None:
        """Set the originals so that the parametrized tensor equals ``value``."""
        with no_grad():
            for module in reversed(self):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       "implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got "
                                     f"{type(value).__name__}")
                _set_in_place(self.original, value)
            else:
                if not isinstance(value, Sequence) or len(value) != self.ntensors:
                    raise ValueError(f"'right_inverse' must return a sequence of "
                                     f"{self.ntensors} tensors.")
                for i, part in enumerate(value):
                    _set_in_place(getattr(self, f"original{i}"), part)

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def _inject_new_class(module: Module) -> None:
    cls = module.__class__

    def reduce_ex(self, protocol):
        # Pickled as the original class, which restores the parametrizations from its
        # ``parametrizations`` child on load (`restore_parametrizations`): the dynamic class
        # has no importable name.
        return copyreg._reconstructor, (cls, object, None), self.__dict__.copy()

    def deepcopy(self, memo):
        # the copy shares this parametrized class (its properties name the same tensors)
        if id(self) not in memo:
            replica = self.__new__(self.__class__)
            memo[id(self)] = replica
            replica.__dict__ = copy.deepcopy(self.__dict__, memo)
        return memo[id(self)]

    def load_from_state_dict(self, state_dict, prefix, *args):
        # a parametrization may know older names of its tensors (weight_norm's _g and _v)
        for tensor_name, parametrizations in self.parametrizations.items():
            rename = getattr(parametrizations[0], "rename_legacy_keys", None)
            if rename is not None:
                rename(state_dict, prefix, tensor_name)
        cls._load_from_state_dict(self, state_dict, prefix, *args)

    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,),
                            {"__reduce_ex__": reduce_ex, "__deepcopy__": deepcopy,
                             "_load_from_state_dict": load_from_state_dict})


def restore_parametrizations(module: Module) -> None:
    """Give an unpickled ``module`` whose ``parametrizations`` child came back with it its
    parametrized class again (what `register_parametrization` had made)."""
    names = list(module.parametrizations)
    if all(isinstance(type(module).__dict__.get(name), property) for name in names):
        return  # its class is a parametrized one already
    _inject_new_class(module)
    for tensor_name in names:
        _inject_property(module, tensor_name)


def _inject_property(module: Module, tensor_name: str) -> None:
    def get_parametrized(self) -> Tensor:
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(self), tensor_name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]

    def set_original(self, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Make ``module.<tensor_name>`` the output of ``parametrization`` applied to the
    stored ``module.parametrizations.<tensor_name>.original``. A second registration on
    the same name chains after the first.

    >>> class Symmetric(nn.Module):
    ...     def forward(self, X):
    ...         return X.triu() + X.triu(1).mT
    >>> m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
    >>> bool((m.weight == m.weight.T).all())
    True
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            current = getattr(module, tensor_name)
            value = parametrization(current)
            if not isinstance(value, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got "
                                 f"{type(value).__name__}.")
            if value.dtype != current.dtype or value.shape != current.shape:
                raise ValueError(
                    "Registering a parametrization may not change the shape or dtype of the "
                    f"tensor, unless the `unsafe` flag is enabled.\nunparametrized dtype: "
                    f"{current.dtype}\nunparametrized shape: {current.shape}\nparametrized "
                    f"dtype: {value.dtype}\nparametrized shape: {value.shape}")
        module.parametrizations[tensor_name].append(parametrization)
        module.parametrizations[tensor_name].unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = parametrizations
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has any parametrization (on ``tensor_name``, when given)."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else \
        tensor_name in parametrizations


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo `register_parametrization` on ``tensor_name``: the tensor becomes a plain
    parameter/buffer again, holding its current parametrized value (``leave_parametrized``)
    or the stored original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
                _set_in_place(original, value)
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        original = Parameter(value.detach(), value.requires_grad) if value.requires_grad \
            else value.detach()
    else:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                         "that is parametrized in terms of a sequence of tensors.")
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The class ``module`` had before any parametrization was registered."""
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(from_module: Module, to_module: Module,
                                         tensor_name: str | None = None) -> Module:
    """Give ``to_module`` the parametrizations (and their originals) of ``from_module``,
    for ``tensor_name`` or for every parametrized tensor."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name)))
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        with no_grad():
            target = to_module.parametrizations[name]
            if source.is_tensor:
                target.original.data = source.original.detach().clone()
            else:
                for i in range(source.ntensors):
                    getattr(target, f"original{i}").data = \
                        getattr(source, f"original{i}").detach().clone()
    return to_module
