"""The switch the op dispatcher reads for autocast.

``ACTIVE`` is empty unless an enabled autocast region is open; then it holds the function
``cast(name, args) -> args`` that moves an op's floating operands to the region's dtype. The
dispatcher tests the list's truth once per call, so autocast off costs nothing measurable.
"""
import functools

ACTIVE: list = []


def autocast_function(fn):
    """Let autocast cast ``fn``'s tensor arguments under ``fn.__name__``: for the composite
    functions of its op lists (``linear``, ``conv2d``), whose bias PyTorch casts too."""
    name = fn.__name__

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if ACTIVE:
            args = ACTIVE[0](name, args)
            if kwargs:
                kwargs = dict(zip(kwargs, ACTIVE[0](name, tuple(kwargs.values()))))
        return fn(*args, **kwargs)
    return run
