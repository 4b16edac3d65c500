"""`Module.__call__` when hooks are registered."""
from __future__ import annotations

import warnings

from ._backward_hook import BackwardHook


def _call_with_hooks(module: Module, args: tuple, kwargs: dict):
    """`Module.__call__` when hooks are registered: pre-hooks, backward-hook wrapping of
    inputs and outputs, ``forward``, forward hooks (the ``always_call`` ones even on error)."""
    called = set()
    result = None
    try:
        for hook_id, hook in list(module._forward_pre_hooks.items()):
            if hook_id in module._forward_pre_hooks_with_kwargs:
                new = hook(module, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {new}.")
                    args, kwargs = new
            else:
                new = hook(module, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        backward_hook = None
        if module._backward_hooks or module._backward_pre_hooks:
            backward_hook = BackwardHook(module, list(module._backward_hooks.values()),
                                         list(module._backward_pre_hooks.values()))
            args = backward_hook.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        for hook_id, hook in list(module._forward_hooks.items()):
            called.add(hook_id)
            if hook_id in module._forward_hooks_with_kwargs:
                new = hook(module, args, kwargs, result)
            else:
                new = hook(module, args, result)
            if new is not None:
                result = new
        if backward_hook is not None:
            result = backward_hook.setup_output_hook(result)
        return result
    except Exception:
        for hook_id, hook in list(module._forward_hooks.items()):
            if hook_id in module._forward_hooks_always_called and hook_id not in called:
                try:
                    if hook_id in module._forward_hooks_with_kwargs:
                        hook(module, args, kwargs, result)
                    else:
                        hook(module, args, result)
                except Exception as e:  # noqa: BLE001  the original error matters more
                    warnings.warn("forward hook with ``always_call=True`` raised an exception "
                                  f"that was silenced as another error was raised in forward: "
                                  f"{e}", stacklevel=2)
        raise
