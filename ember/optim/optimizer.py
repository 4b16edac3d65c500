"""`Optimizer`: parameter groups, per-parameter state, state dicts and step hooks.

Each algorithm (one module per algorithm) subclasses `Optimizer`, declares its defaults and
writes `step` as a loop over `_grads(group, init)`; the update itself works IN PLACE on the
backend arrays (``p._data``) with ``out=`` and scratch buffers, because the step runs on every
training iteration and must cost a few array passes, not a graph of tensor ops. State values
are ember tensors with PyTorch's key names, so state dicts travel between the two.
"""
from __future__ import annotations

import copy
import functools
import numbers
import warnings
from collections import defaultdict
from itertools import chain
from typing import Any, Callable, Iterable

import numpy as np

from .. import _dtype as dt
from ..backend import xp_of
from .._creation import tensor, zeros_like
from .._tensor import Tensor
from ..autograd.graph import RemovableHandle, _add_hook
from ..autograd.grad_mode import enable_grad


class _RequiredParameter:
    """The default of a hyperparameter every group must set (SGD's ``lr`` in old PyTorch)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _with_step_hooks(step):
    @functools.wraps(step)
    def hooked(self, *args, **kwargs):
        for hook in list(self._step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                args, kwargs = result
        out = step(self, *args, **kwargs)
        self._opt_called = True  # lets a scheduler warn when it is stepped first
        for hook in list(self._step_post_hooks.values()):
            hook(self, args, kwargs)
        return out
    hooked._hooked = True
    return hooked


class Optimizer:
    """Base class of all optimizers.

    ``params`` is an iterable of tensors, or of dicts each defining a parameter group with
    its own hyperparameters (missing ones come from ``defaults``).

    >>> body, head = nn.Linear(4, 4), nn.Linear(4, 2)
    >>> opt = ember.optim.SGD([{"params": body.parameters()},
    ...                        {"params": head.parameters(), "lr": 1e-3}], lr=1e-2)
    >>> [group["lr"] for group in opt.param_groups]
    [0.01, 0.001]
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults: dict[str, Any]):
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        for name in _HOOK_DICTS:
            setattr(self, name, {})
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        lines.append(")")
        return "\n".join(lines)

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            self.__dict__.setdefault(name, {})

    # -- groups --------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"``), e.g. when unfreezing layers."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        if params and isinstance(params[0], tuple):
            param_group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        param_group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(set(map(id, params))) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error", stacklevel=3)
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients -----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    g.detach_() if g._grad_fn is not None else g.requires_grad_(False)
                    g._data.fill(0)
                    g._vc[0] += 1

    def _grads(self, group: dict, init_state: Callable[[Tensor, dict], None] | None):
        """``(xp, param array, grad array, state)`` for each parameter of ``group`` with a grad;
        ``init_state(p, state)`` fills the state of a parameter seen for the first time
        (with ``init_state=None`` the state is None: the algorithm keeps none)."""
        all_state = self.state
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            state = None
            if init_state is not None:
                state = all_state[p]
                if not state:
                    init_state(p, state)
            p._vc[0] += 1
            data = p._data
            yield (np if type(data) is np.ndarray else xp_of(data)), data, g._data, state

    @staticmethod
    def _closure_loss(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    # -- hooks ---------------------------------------------------------------------------
    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs before each step; it may return new
        ``(args, kwargs)``."""
        return _add_hook(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after each step."""
        return _add_hook(self._step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer)`` runs before `state_dict` packs the state."""
        return _add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` runs after `state_dict`; it may return a new one."""
        return _add_hook(self._state_dict_post_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` runs before loading; it may return a new dict."""
        return _add_hook(self._load_state_dict_pre_hooks, hook)

    def register_load_state_dict_post_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer)`` runs after `load_state_dict`."""
        return _add_hook(self._load_state_dict_post_hooks, hook)

    # -- state dicts ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout: parameters become integer ids.

        >>> opt = ember.optim.SGD(ember.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sd = opt.state_dict(); sd["param_groups"][0]["params"]
        [0, 1]
        """
        for hook in list(self._state_dict_pre_hooks.values()):
            hook(self)
        ids: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                ids.setdefault(id(p), len(ids))
            packed["params"] = [ids[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(ids[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        packed = {"state": state, "param_groups": groups}
        for hook in list(self._state_dict_post_hooks.values()):
            result = hook(self, packed)
            if result is not None:
                packed = result
        return packed

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state from `state_dict` (ours, or PyTorch's with tensors converted)."""
        for hook in list(self._load_state_dict_pre_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            param = id_map.get(key)
            state[param if param is not None else key] = (
                _cast_state(param, value) if param is not None else value)
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups
        for hook in list(self._load_state_dict_post_hooks.values()):
            hook(self)


_HOOK_DICTS = ("_step_pre_hooks", "_step_post_hooks", "_state_dict_pre_hooks",
               "_state_dict_post_hooks", "_load_state_dict_pre_hooks",
               "_load_state_dict_post_hooks")


def _cast_state(param: Tensor, value, key=None):
    """A copy of a loaded state value, tensors moved to ``param``'s device and (except
    ``step``) float dtype, as PyTorch does."""
    if isinstance(value, Tensor):
        if key != "step" and param.is_floating_point():
            return value.to(device=param.device, dtype=param.dtype, copy=True)
        return value.to(device=param.device, copy=True)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


def _typename(obj) -> str:
    return type(obj).__module__ + "." + type(obj).__name__ if isinstance(obj, Tensor) \
        else type(obj).__name__


# -- helpers the algorithms share ---------------------------------------------------------

def scalar_tensor(value: float) -> Tensor:
    """A 0-d float state value (``state["step"]``), in PyTorch's dtype for it."""
    return tensor(value, dtype=dt.float64 if dt.get_default_dtype() is dt.float64
                  else dt.float32)


def advance(step: Tensor) -> float:
    """Add one to ``state["step"]`` in place; the new count as a Python float."""
    step._data += 1
    return float(step._data)


def zeros_state(p: Tensor) -> Tensor:
    return zeros_like(p)


def effective_grad(p, g, weight_decay: float, maximize: bool):
    """The gradient the update follows: negated to maximize, plus L2 weight decay.

    Returns a new array when it differs from ``g``; ``g`` itself (the parameter's ``.grad``)
    is never written to.
    """
    if maximize:
        g = -g
    if weight_decay:
        g = g + weight_decay * p
    return g


def scalar(value) -> float:
    """A hyperparameter (a number or a one-element tensor) as a Python float: a NumPy
    float64 scalar in an update would turn float32 arrays into float64 ones."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        return float(value.item())
    if not isinstance(value, numbers.Real):
        raise TypeError(f"a hyperparameter must be a number or a one-element tensor, got "
                        f"{type(value).__name__}")
    return float(value)


def check(condition: bool, what: str, value) -> None:
    if not condition:
        raise ValueError(f"Invalid {what}: {value}")
