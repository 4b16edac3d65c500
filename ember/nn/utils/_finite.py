"""`check_finite(model)`: stop at the first module whose output, or whose gradient, holds a
NaN or an infinity, and name it; cheap enough to leave on while debugging a run."""
from __future__ import annotations

from ..._tensor import Tensor
from ..modules._error_context import describe
from ..modules.module import Module


class FiniteWatch:
    """What `check_finite` returns: ``remove()`` (or leaving a ``with`` block) takes the
    watch off."""

    def __init__(self, handles: list):
        self._handles = handles

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> "FiniteWatch":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def check_finite(model: Module, grads: bool = True) -> FiniteWatch:
    """Watch every module of ``model``: the first whose forward output is not finite raises
    a RuntimeError naming it (its path in ``model`` and its repr); with ``grads``, so does
    the first module whose backward passes a non-finite gradient to its inputs or its own
    parameters. Returns a handle; ``handle.remove()`` stops watching.

    >>> watch = ember.nn.utils.check_finite(model)
    >>> model(x).sum().backward()   # RuntimeError: ... in module "encoder.2" (Linear(...))
    >>> watch.remove()
    """
    handles = []
    for path, module in model.named_modules():
        where = describe(module, path)
        handles.append(module.register_forward_hook(_output_check(where, grads)))
        if grads:
            for name, p in module.named_parameters(recurse=False):
                if p.requires_grad:
                    handles.append(p.register_hook(_grad_check(
                        f'the gradient of parameter "{_join(path, name)}" of module {where}')))
    return FiniteWatch(handles)


def _output_check(where: str, grads: bool):
    from ... import is_grad_enabled, no_grad
    gradient = _grad_check(f"the gradient that module {where} passes back to its input")

    def check(module, args, output):
        with no_grad():
            for t in tensors_in(output):
                bad = _non_finite(t)
                if bad:
                    # the module's path and repr are added as the error leaves its forward
                    raise RuntimeError(f"check_finite: the output of this module is not "
                                       f"finite ({bad} of {t.numel()} values)")
        if grads and is_grad_enabled():
            for t in tensors_in(args):
                if t.requires_grad:
                    t.register_hook(gradient)

    return check


def _grad_check(what: str):
    from ... import no_grad

    def check(grad):
        with no_grad():
            bad = _non_finite(grad)
        if bad:
            raise RuntimeError(f"check_finite: {what} is not finite "
                               f"({bad} of {grad.numel()} values)")

    return check


def _non_finite(t) -> str:
    """'' when ``t`` is all finite (or not floating), else a count of its NaNs and Infs."""
    if not (t.is_floating_point() or t.is_complex()) or bool(t.isfinite().all()):
        return ""
    nans = int(t.isnan().sum())
    return f"{nans} NaN, {t.numel() - nans - int(t.isfinite().sum())} Inf"


def tensors_in(value):
    """The tensors in ``value``, looking into lists, tuples and dicts (a module's output)."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from tensors_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from tensors_in(v)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
