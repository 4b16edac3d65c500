"""`skip_init`: build a module whose parameter values the caller will set."""
from __future__ import annotations

import inspect

from ..modules.module import Module
from ...autograd.grad_mode import no_grad

__all__ = ["skip_init"]


def skip_init(module_cls: type, *args, **kwargs) -> Module:
    """``module_cls(*args, **kwargs)`` with its parameters and buffers left uninitialized
    (their values are arbitrary: set them yourself).

    >>> m = nn.utils.skip_init(nn.Linear, 5, 1)
    """
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    # No meta device here: the module is built normally, and its values just go unused.
    with no_grad():
        return module_cls(*args, **kwargs)
