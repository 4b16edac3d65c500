"""PyTorch's signatures as the public face of Ember's functions and methods.

`_signature_table` lists, for every public ``ember.<name>`` and ``Tensor.<name>``, PyTorch's
parameter lists (one per overload: ``max(input)``, ``max(input, dim, keepdim=False)``,
``max(input, other)``). Implementations take their operands positionally in PyTorch's order
and may name them as they like (``a``, ``b``); a call that passes arguments by keyword is
bound here to the first overload that accepts its keywords, and reaches the implementation
as PyTorch's positional order plus PyTorch's keyword-only arguments. Positional calls never
come here, so binding costs nothing on the hot path; a keyword that the implementation
already takes by that name (``dim=``, ``keepdim=``) passes straight through.

>>> import ember
>>> ember.mul(input=ember.ones(2), other=ember.full((2,), 3.0))
tensor([3., 3.])
"""
from __future__ import annotations

import ast
import functools
import inspect

_EMPTY = object()


class _Missing:
    """The default of a fast path's positional-only operands: this one came by keyword."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing argument>"


MISSING = _Missing()


class Overload:
    """One of PyTorch's parameter lists, ready to bind a call's keywords."""

    __slots__ = ("positional", "defaults", "varargs", "keyword_only", "required_keywords")

    def __init__(self, text: str):
        args = ast.parse(f"def f({text}): pass").body[0].args
        names = [a.arg for a in args.posonlyargs + args.args]
        given = [ast.literal_eval(d) if _literal(d) else _EMPTY for d in args.defaults]
        self.positional = tuple(names)
        self.defaults = tuple([_EMPTY] * (len(names) - len(given)) + given)
        self.varargs = args.vararg is not None
        self.keyword_only = frozenset(a.arg for a in args.kwonlyargs)
        self.required_keywords = frozenset(
            a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None)

    def bind(self, args: tuple, kwargs: dict, direct: frozenset, operands: int = 0):
        """``(args, kwargs)`` in this overload's positional order, or None if it doesn't fit.
        Keywords in ``direct`` (the implementation's own names) stay keywords unless an
        argument after them, or one of the first ``operands``, has to go by position."""
        n = len(args)
        positional = self.positional
        if n > len(positional) and not self.varargs:
            return None
        rest = positional[n:]
        for key in kwargs:
            if key not in rest and key not in self.keyword_only:
                return None
        if not self.required_keywords <= kwargs.keys():
            return None
        last = max((i for i, p in enumerate(rest) if p in kwargs and p not in direct),
                   default=min(operands, len(positional)) - n - 1)
        bound = list(args)
        for i, p in enumerate(rest):
            if p not in kwargs and self.defaults[n + i] is _EMPTY:
                return None  # a required argument is missing
            if i <= last:
                bound.append(kwargs[p] if p in kwargs else self.defaults[n + i])
        taken = rest[:max(last + 1, 0)]
        return tuple(bound), {k: v for k, v in kwargs.items() if k not in taken}


def _literal(node) -> bool:
    try:
        ast.literal_eval(node)
        return True
    except ValueError:
        return False


class Binder:
    """The overloads of one public name, and the keywords its implementation takes as is."""

    __slots__ = ("name", "overloads", "direct", "own", "operands")

    def __init__(self, name: str, overloads: list, direct: frozenset, operands: int = 0,
                 own: frozenset = frozenset()):
        self.name = name
        self.overloads = overloads
        self.direct = direct
        self.own = own  # the implementation's keywords that PyTorch doesn't have
        self.operands = operands  # the implementation's leading operands, always positional

    def __call__(self, args: tuple, kwargs: dict):
        if len(args) >= self.operands and self.direct.issuperset(kwargs):
            return args, kwargs
        for overload in self.overloads:
            bound = overload.bind(args, kwargs, self.direct, self.operands)
            if bound is not None:
                return bound
        renamed = _numpy_names(kwargs, self.overloads)
        if renamed is not None:
            return self(args, renamed)
        if self.own.intersection(kwargs):  # Ember's own spelling (``einsum(equation=)``)
            return args, kwargs
        raise _mismatch(self.name, self.overloads, args, kwargs)


# The NumPy spellings PyTorch's argument parser also takes for its own names.
_NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim", "x": "input", "x1": "input",
                "x2": "other"}


def _numpy_names(kwargs: dict, overloads: list) -> dict | None:
    """``kwargs`` with NumPy's names in PyTorch's spelling, or None when none applies."""
    names = {n for o in overloads for n in o.positional + tuple(o.keyword_only)}
    if not any(k in _NUMPY_NAMES and k not in names and _NUMPY_NAMES[k] in names
               and _NUMPY_NAMES[k] not in kwargs for k in kwargs):
        return None
    return {(_NUMPY_NAMES[k] if k in _NUMPY_NAMES and k not in names else k): v
            for k, v in kwargs.items()}


def _mismatch(name: str, overloads: list, args: tuple, kwargs: dict) -> TypeError:
    """PyTorch's TypeError for a keyword call that fits none of ``name``'s overloads: the
    keyword no overload has, else the arguments given and the overloads there are."""
    names = {n for o in overloads for n in o.positional + tuple(o.keyword_only)}
    for key in kwargs:
        if key not in names:
            return TypeError(f"{name}() got an unexpected keyword argument '{key}'")
    got = ", ".join([type(a).__name__ for a in args] +
                    [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    expected = "\n".join(f" * ({', '.join(o.positional)}"
                         f"{', *, ' + ', '.join(sorted(o.keyword_only)) if o.keyword_only else ''})"
                         for o in overloads)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{expected}")


@functools.lru_cache(None)
def overloads(name: str) -> list:
    """PyTorch's overloads of ``name`` as a function, then as a method (``self`` first)."""
    from ._signature_table import FUNCTIONS, METHODS
    texts = list(FUNCTIONS.get(name, ()))
    texts += ["self, " + t if t and not t.startswith(("*", "**")) else
              "self" + (", " + t if t else "") for t in METHODS.get(name, ())]
    return [Overload(t) for t in dict.fromkeys(texts)]


def binder(name: str, implementation_names, operands: int = 0) -> Binder | None:
    """The binder of public ``name`` whose implementation takes ``implementation_names``
    by keyword after ``operands`` positional ones; None when PyTorch has no such function."""
    found = overloads(name)
    if not found:
        return None
    torch_names = set()
    for o in found:
        torch_names.update(o.positional)
        torch_names.update(o.keyword_only)
    own = set(implementation_names)
    return Binder(name, found, frozenset(torch_names & own), operands,
                  frozenset(own - torch_names))


def keyword_names(fn, skip: int = 0) -> list[str]:
    """The parameters of ``fn`` that a caller may pass by keyword, after the first ``skip``."""
    params = list(inspect.signature(fn).parameters.values())[skip:]
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def with_signature(name: str, fn):
    """``fn`` as the public ``name``: keyword calls are bound to PyTorch's signatures."""
    bind = None

    def public(*args, **kwargs):
        nonlocal bind
        if kwargs:
            if bind is None:
                bind = binder(name, keyword_names(fn)) or (lambda a, k: (a, k))
            args, kwargs = bind(args, kwargs)
        return fn(*args, **kwargs)
    functools.update_wrapper(public, fn)
    public._binds_signature = name
    return public


def _names(text: str) -> list[str]:
    return [p.split("=")[0].lstrip("*") for p in text.split(", ") if p and p != "*"]


def _own_names(fn) -> set | None:
    """The names ``fn`` takes by keyword, through any `functools.wraps` layers; None when it
    reads arbitrary keywords itself or is not a Python function."""
    names = set()
    while True:
        code = getattr(fn, "__code__", None)
        if code is None:
            return None
        names.update(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
        inner = getattr(fn, "__wrapped__", None)
        if inner is None:
            return None if code.co_flags & inspect.CO_VARKEYWORDS else names
        fn = inner


def public(name: str, fn, tables=("function", "method")):
    """``fn`` as the public ``name``: itself when it takes every one of PyTorch's parameter
    names (of the ``tables`` forms) by keyword already, else wrapped by `with_signature`."""
    from ._signature_table import FUNCTIONS, METHODS
    if getattr(fn, "_binds_signature", None) == name:
        return fn
    own = _own_names(fn)
    texts = (FUNCTIONS.get(name, ()) if "function" in tables else ()) + \
        (METHODS.get(name, ()) if "method" in tables else ())
    if own is None and getattr(fn, "__code__", None) is not None:
        from .ops._op import TABLE
        inner = getattr(fn, "__name__", name)
        if inner == name or name in getattr(TABLE.get(inner), "aliases", ()):
            # It reads its keywords itself; an op's alias (``negative``) stays the very same
            # function, another name's op (``swapaxes`` for transpose) is bound here.
            return fn
    wanted = {n for text in texts for n in _names(text)}
    return fn if own is not None and wanted <= own else with_signature(name, fn)


def install(namespace: dict, owner=None) -> None:
    """Put PyTorch's keyword names on the Python functions of ``namespace`` (a module's
    globals) or, given ``owner`` (Tensor), on its methods: each public name of the table
    that is a plain function not already taking PyTorch's names gets `with_signature`."""
    from ._signature_table import FUNCTIONS, METHODS
    for name in METHODS if owner is not None else FUNCTIONS:
        fn = owner.__dict__.get(name) if owner is not None else namespace.get(name)
        if getattr(fn, "__code__", None) is None:
            continue
        wrapped = public(name, fn, ("method",) if owner is not None else ("function",))
        if wrapped is not fn:
            if owner is not None:
                setattr(owner, name, wrapped)
            else:
                namespace[name] = wrapped
