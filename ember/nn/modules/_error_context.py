"""Which module an error came from: `Module.__call__` adds the innermost module's path and
repr to an exception raised inside a forward, so a shape error in one of fifty layers says
which one. Runs only on the error path; the success path pays nothing (a ``try`` is free).
"""
from __future__ import annotations

_ATTR = "_ember_module_context"  # (innermost module, original message or None, note or None)


def add_module_context(error: BaseException, module) -> None:
    """Name ``error``'s innermost module as ``module`` (an enclosing one being exited) spells
    its path: called by every module the error passes through, so the outermost one's
    spelling is what remains."""
    if isinstance(error, StopIteration):  # control flow, not a failure
        return
    try:
        _add(error, module)
    except Exception:  # noqa: BLE001  a failing repr (or a too-deep stack) must not mask it
        pass


def _add(error: BaseException, module) -> None:
    context = getattr(error, _ATTR, None)
    if context is None:
        innermost, path = module, ""
    else:
        innermost = context[0]
        path = _path_of(innermost, module)
        if path is None:  # called from outside this module's tree: keep the inner spelling
            return
    line = f"in module {describe(innermost, path)}"
    if context is None:
        _rewordable = (type(error).__str__ is BaseException.__str__ and len(error.args) == 1
                       and isinstance(error.args[0], str)
                       and (type(error).__module__ == "builtins"
                            or type(error).__module__.startswith("ember")))
        original = error.args[0] if _rewordable else None
    else:
        original = context[1]
    if original is not None:
        # A one-message builtin error (RuntimeError, ValueError, ...) carries it in its
        # message, which `str(e)` and logs show; PyTorch's message stays its first line.
        error.args = (f"{original}\n{line}",)
    else:  # other errors keep their args (a KeyError's key); a note shows in tracebacks
        notes = getattr(error, "__notes__", None)
        old = context[2] if context is not None else None
        if notes is not None and old in notes:
            notes[notes.index(old)] = line
        else:
            error.add_note(line)
    setattr(error, _ATTR, (innermost, original, line))


def _path_of(target, root) -> str | None:
    if target is root:
        return ""
    for name, sub in root.named_modules():
        if sub is target:
            return name
    return None


def describe(module, path: str) -> str:
    """``"encoder.2" (Linear(...))``: a module by its path and (one-line) repr."""
    text = repr(module)
    if "\n" in text:  # a container's repr lists its children: the class names it enough
        text = type(module).__name__
    return f'"{path}" ({text})' if path else text
