"""`functional_call`: run a module with some parameters and buffers swapped for given tensors."""
from __future__ import annotations

import contextlib
from typing import Any

_REGISTRIES = ("_parameters", "_buffers")


def _merge(dicts) -> dict:
    if isinstance(dicts, dict):
        return dict(dicts)
    merged: dict = {}
    for d in dicts:
        repeated = merged.keys() & d.keys()
        if repeated:
            raise ValueError(f"{sorted(repeated)} appeared in multiple dictionaries; behavior "
                             "of functional call is ambiguous")
        merged.update(d)
    return merged


def _tied_names(module) -> dict[str, list[str]]:
    """Each parameter/buffer name -> every name the same tensor is registered under."""
    by_tensor: dict[int, list[str]] = {}
    for name, t in [*module.named_parameters(remove_duplicate=False),
                    *module.named_buffers(remove_duplicate=False)]:
        by_tensor.setdefault(id(t), []).append(name)
    return {name: names for names in by_tensor.values() for name in names}


def _with_tied(module, tensors: dict) -> dict:
    tied = _tied_names(module)
    out = dict(tensors)
    for name, value in tensors.items():
        for alias in tied.get(name, ()):
            if alias in tensors and tensors[alias] is not value:
                raise ValueError(f"functional_call got multiple values for keys "
                                 f"{sorted([name, alias])}, which are tied. Consider using "
                                 "tie_weights=False")
            out[alias] = value
    return out


def _check_strict(module, tensors: dict) -> None:
    expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
    unexpected, missing = sorted(tensors.keys() - expected), sorted(expected - tensors.keys())
    if unexpected or missing:
        lines = [f"Error(s) in reparametrizing for {type(module).__name__}:"]
        if unexpected:
            lines.append("\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
        if missing:
            lines.append("\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
        raise RuntimeError("\n".join(lines))


@contextlib.contextmanager
def _swapped(module, tensors: dict):
    """Put ``tensors`` in place of the named members; the originals come back on exit."""
    undo = []
    try:
        for name, value in tensors.items():
            *path, leaf = name.split(".")
            owner = module.get_submodule(".".join(path)) if path else module
            home = next((owner.__dict__[r] for r in _REGISTRIES if leaf in owner.__dict__[r]),
                        owner.__dict__)  # not registered: a plain attribute for the call
            undo.append((home, leaf, leaf in home, home.get(leaf)))
            home[leaf] = value
        yield
    finally:
        for home, leaf, existed, old in reversed(undo):
            if existed:
                home[leaf] = old
            else:
                del home[leaf]


def functional_call(module, parameter_and_buffer_dicts, args: Any = None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with its parameters and buffers replaced, for this call only,
    by the tensors in ``parameter_and_buffer_dicts`` (a dict, or a tuple of dicts, keyed by
    dotted names as in `named_parameters`). Gradients flow to the given tensors.

    With ``tie_weights`` a tensor given for one of several names sharing a parameter is used
    for all of them; with ``strict`` every parameter and buffer must be given, and no others.

    >>> m = ember.nn.Linear(2, 1)
    >>> functional_call(m, {"weight": ember.ones(1, 2), "bias": ember.zeros(1)}, ember.ones(2))
    tensor([2.])
    """
    tensors = _merge(parameter_and_buffer_dicts)
    if tie_weights:
        tensors = _with_tied(module, tensors)
    if strict:
        _check_strict(module, tensors)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, tensors):
        return module(*args, **(kwargs or {}))
