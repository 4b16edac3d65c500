"""`Module`: the base class of every layer and model.

A module keeps three ordered registries, filled by plain attribute assignment:
``_parameters`` (`Parameter` values), ``_buffers`` (tensors that are state but not learned)
and ``_modules`` (child modules). Everything else (recursive iteration with dotted names,
state dicts, device and dtype moves, train/eval, hooks) walks those registries, in the
order attributes were assigned, exactly as PyTorch's does, so names and state-dict keys
match PyTorch's for the same structure.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any, Callable, Iterator

from ... import _creation
from ..._tensor import Tensor, _parse_to
from ...autograd.grad_mode import no_grad
from ...autograd.graph import RemovableHandle, _add_hook
from ..parameter import Buffer, Parameter
from ._call_hooks import _call_with_hooks
from ._error_context import add_module_context
from ._state_dict import StateDictMixin, _IncompatibleKeys  # noqa: F401  torch's home of it

__all__ = ["Module"]


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("", "builtins") else f"{module}.{cls.__qualname__}"


def _addindent(text: str, spaces: int) -> str:
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line for line in rest])


def _check_name(kind: str, name, module: "Module", registry: dict) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in registry:
        raise KeyError(f"attribute '{name}' already exists")


def _forward_unimplemented(self, *args, **kwargs):
    """The computation of the module: every subclass defines it. Call the module itself
    (``module(x)``) rather than ``forward``, so that hooks run."""
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                              '"forward" function')


def _add_ordered_hook(hooks: OrderedDict, hook, prepend: bool) -> RemovableHandle:
    handle = _add_hook(hooks, hook)
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class Module(StateDictMixin):
    """Base class for all neural-network modules; subclass it and define ``forward``.

    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(4, 8)
    ...         self.fc2 = nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> [name for name, _ in TwoLayer().named_parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    dump_patches = False
    _version = 1
    training: bool
    call_super_init = False
    forward: Callable[..., Any] = _forward_unimplemented

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected argument; "
                            "Module.__init__ takes no arguments")
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", {})
        for name in _HOOK_DICTS:
            setattr_(self, name, OrderedDict())
        for name in _HOOK_FLAGS:
            setattr_(self, name, {})

    # -- registration --------------------------------------------------------------------
    def register_buffer(self, name: str, tensor: Tensor | None,
                        persistent: bool = True) -> None:
        """Add a tensor to the module's state that is not a parameter (``persistent=False``
        keeps it out of `state_dict`)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name, self, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        if isinstance(tensor, Buffer):
            persistent = tensor.persistent
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a placeholder for an optional one) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name, self, self._parameters)
        if param is not None:
            if not isinstance(param, Parameter):
                raise TypeError(f"cannot assign '{_typename(param)}' object to parameter "
                                f"'{name}' (torch.nn.Parameter or None required)")
            if param.grad_fn is not None:
                raise ValueError(
                    f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                    f"must be created explicitly. To express '{name}' as a function of "
                    "another Tensor, compute the value in the forward() method.")
        self._parameters[name] = param

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a child module under ``name`` (as ``self.<name> = module`` would)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name("module", name, self, self._modules)
        self._modules[name] = module

    register_module = add_module

    def __getattr__(self, name: str):
        # Only reached when normal lookup fails: parameters, buffers and children live in
        # the registries, not in __dict__.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            found = d.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if d.get("_modules") is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            self._modules[name] = value
        elif d.get("_modules") is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            self._modules[name] = value
        elif isinstance(value, Buffer) or d.get("_buffers") is not None and name in \
                self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            self._forget(name, keep="_buffers")
            persistent = name not in self._non_persistent_buffers_set
            self.register_buffer(name, value, getattr(value, "persistent", persistent))
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: str) -> None:
        """Drop ``name`` from every place but the ``keep`` registry (reassignment)."""
        self.__dict__.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                self.__dict__.get(registry, {}).pop(name, None)
        if keep != "_buffers":
            self.__dict__.get("_non_persistent_buffers_set", set()).discard(name)

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = (dir(type(self)) + list(self.__dict__) + list(self._parameters)
                + list(self._modules) + list(self._buffers))
        return sorted(k for k in keys if not k[0].isdigit())

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            self.__dict__.setdefault(name, OrderedDict())
        for name in _HOOK_FLAGS:
            self.__dict__.setdefault(name, {})
        modules = self.__dict__.get("_modules")
        if isinstance(modules, dict) and "parametrizations" in modules:
            from ..utils.parametrize import restore_parametrizations
            restore_parametrizations(self)

    # -- traversal -----------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """``(dotted name, module)`` for this module and all below it, depth first; a module
        reachable twice is listed once (unless ``remove_duplicate=False``)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, prefix + ("." if prefix else "") + name,
                                                remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        """This module and every module below it, depth first, each once (as
        `named_modules` without the names).

        >>> [type(m).__name__ for m in ember.nn.Sequential(ember.nn.Linear(2, 2)).modules()]
        ['Sequential', 'Linear']
        """
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """``(name, module)`` for the direct submodules, in registration order, each once.

        >>> [name for name, _ in ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.ReLU())
        ...  .named_children()]
        ['0', '1']
        """
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator["Module"]:
        """The direct submodules, in registration order (not the module itself, nor the
        modules further down: see `modules`)."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool):
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        seen = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs; a shared parameter appears once, under its
        first name."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters of this module and, with ``recurse=True`` (the default), of every
        submodule, each once: what an optimizer is given.

        >>> [tuple(p.shape) for p in ember.nn.Linear(3, 2).parameters()]
        [(2, 3), (2,)]
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, buffer)`` pairs, as `named_parameters` does for parameters.

        >>> [name for name, _ in ember.nn.BatchNorm1d(3).named_buffers()]
        ['running_mean', 'running_var', 'num_batches_tracked']
        """
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers (state that is not a parameter, such as batch-norm running statistics)
        of this module and, with ``recurse=True``, of its submodules."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> "Module":
        """The module at dotted path ``target`` (``"encoder.layers.0"``)."""
        module = self
        if target == "":
            return module
        for item in target.split("."):
            if item not in module._modules:
                raise AttributeError(module._get_name() + " has no attribute `" + item + "`")
            module = module._modules[item]
            if not isinstance(module, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module: "Module", strict: bool = False) -> None:
        """Put ``module`` at dotted path ``target``. The path's parent must exist; with
        ``strict`` the target itself too. An attribute there that isn't a module stays."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if hasattr(parent, name) and name not in parent._modules:
            raise AttributeError("`" + name + "` is not an nn.Module")
        if strict and name not in parent._modules:
            raise AttributeError(parent._get_name() + " has no attribute `" + name + "`")
        setattr(parent, name, module)

    def _get_member(self, target: str, kind: str, registry: str):
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(module._get_name() + " has no attribute `" + name + "`")
        if name not in getattr(module, registry):
            raise AttributeError("`" + name + "` is not " + kind)
        return getattr(module, name)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target`` (``"fc.weight"``)."""
        return self._get_member(target, "an nn.Parameter", "_parameters")

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target`` (``"bn.running_mean"``); AttributeError if
        there is none."""
        return self._get_member(target, "a buffer", "_buffers")

    # -- modes and conversions -----------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (``eval()`` is ``train(False)``) on this module and below."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> "Module":
        """``train(False)``: evaluation mode for this module and below (dropout off,
        batch norm uses its running statistics). Returns the module.

        >>> ember.nn.Dropout().eval().training
        False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set `requires_grad` on every parameter (default True); False freezes the module,
        as for fine-tuning only a new head. Returns the module."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None by default)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                g.detach_() if g.grad_fn is not None else g.requires_grad_(False)
                g.zero_()

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn`` on every submodule (children first) and then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> "Module":
        """Convert every parameter and buffer with ``fn``. Parameters keep their identity
        (their data is replaced), so optimizers holding them stay valid."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with no_grad():
                param.data = fn(param)
                if param.grad is not None:
                    param.grad.data = fn(param.grad)
        for name, buf in self._buffers.items():
            if buf is not None:
                self._buffers[name] = fn(buf)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """Move and/or cast parameters and buffers: ``to(device)``, ``to(dtype)``,
        ``to(device, dtype)``, ``to(tensor)``. Only floating-point tensors change dtype."""
        device, dtype, _ = _parse_to(args, dict(kwargs))
        if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")

        def convert(t):
            floating = t.is_floating_point() or t.is_complex()
            return t.to(device=device, dtype=dtype if floating else None)
        return self._apply(convert)

    def to_empty(self, *, device, recurse: bool = True) -> "Module":
        """Move parameters and buffers to ``device`` as uninitialized storage of the same
        shapes and dtypes (for modules whose values are loaded or initialized next)."""
        return self._apply(lambda t: _creation.empty_like(t, device=device), recurse=recurse)

    def cpu(self) -> "Module":
        """Move every parameter and buffer to the CPU, in place; returns the module."""
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None) -> "Module":
        """Move every parameter and buffer to CUDA device ``device`` (the current one by
        default), in place; needs CuPy (``pip install ember[cuda]``). Returns the module."""
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type) -> "Module":
        """Cast every parameter and buffer to ``dst_type`` (a dtype), in place."""
        return self._apply(lambda t: t.type(dst_type))

    def _cast_floats(self, method: str) -> "Module":
        return self._apply(lambda t: getattr(t, method)() if t.is_floating_point() else t)

    def float(self) -> "Module":
        """Cast the floating parameters and buffers to float32, in place (integer buffers
        stay); returns the module. `double`, `half` and `bfloat16` do the same for their
        dtypes.

        >>> ember.nn.Linear(2, 2).double().weight.dtype
        ember.float64
        """
        return self._cast_floats("float")

    def double(self) -> "Module":
        """Cast the floating parameters and buffers to float64, in place (as `float`)."""
        return self._cast_floats("double")

    def half(self) -> "Module":
        """Cast the floating parameters and buffers to float16, in place (as `float`)."""
        return self._cast_floats("half")

    def bfloat16(self) -> "Module":
        """Cast the floating parameters and buffers to bfloat16, in place (as `float`)."""
        return self._cast_floats("bfloat16")

    def share_memory(self) -> "Module":
        """Kept for API compatibility: NumPy-backed tensors need no preparation."""
        return self

    # -- calling and hooks ---------------------------------------------------------------
    _compiled_call = None  # set by `compile`: calls go through ember.compile's capture

    def _call_impl(self, *args, **kwargs):
        try:  # free when nothing raises; an error learns which module it came from
            compiled = self._compiled_call
            if compiled is not None and not compiled.running:
                return compiled(*args, **kwargs)
            if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                    or self._backward_pre_hooks):
                return self.forward(*args, **kwargs)
            return _call_with_hooks(self, args, kwargs)
        except Exception as error:
            add_module_context(error, self)
            raise

    __call__ = _call_impl

    def compile(self, *args, **kwargs) -> None:
        """Compile this module's calls in place with `ember.compile` (same arguments)."""
        from ... import compiler
        object.__setattr__(self, "_compiled_call",
                           compiler.compile(self, *args, **kwargs)._compiled)

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward`` and may return new args (with
        ``with_kwargs``: ``hook(module, args, kwargs)`` returning ``(args, kwargs)``)."""
        handle = _add_ordered_hook(self._forward_pre_hooks, hook, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward`` and may return a new output
        (``with_kwargs``: ``hook(module, args, kwargs, output)``); ``always_call`` runs it
        even when ``forward`` raises."""
        handle = _add_ordered_hook(self._forward_hooks, hook, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients of the outputs are known;
        it may return new ones."""
        return _add_ordered_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs once the gradients of the inputs
        are computed; it may return new ``grad_input``."""
        return _add_ordered_hook(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook) -> RemovableHandle:
        """Deprecated: registers ``hook`` with `register_full_backward_hook` (with a
        FutureWarning), whose behaviour it gets, where PyTorch keeps the old one."""
        warnings.warn("register_backward_hook is deprecated; it behaves as "
                      "register_full_backward_hook here.", FutureWarning, stacklevel=2)
        return self.register_full_backward_hook(hook)

    def register_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """``hook(module, prefix, keep_vars)`` runs before `state_dict` collects."""
        return _add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata)`` runs after `state_dict`."""
        return _add_hook(self._state_dict_hooks, hook)

    _register_state_dict_hook = register_state_dict_post_hook

    def register_load_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before this module loads its entries."""
        return _add_hook(self._load_state_dict_pre_hooks, hook)

    def register_load_state_dict_post_hook(self, hook) -> RemovableHandle:
        """``hook(module, incompatible_keys)`` runs after `load_state_dict`; it may edit the
        key lists in place."""
        return _add_hook(self._load_state_dict_post_hooks, hook)

    # -- printing ------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The module's own settings for its repr (override: ``'in=4, out=2'``)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return self._get_name() + "(" + body + ")"


_HOOK_DICTS = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks",
               "_backward_hooks", "_state_dict_pre_hooks", "_state_dict_hooks",
               "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks")
_HOOK_FLAGS = ("_forward_pre_hooks_with_kwargs", "_forward_hooks_with_kwargs",
               "_forward_hooks_always_called")
