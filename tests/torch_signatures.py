"""PyTorch's public signatures, read from the installed PyTorch: the oracle of the signature test.

Functions and methods written in C++ are described by PyTorch's type stubs
(``torch/_C/_VariableFunctions.pyi`` and the ``TensorBase`` class of ``torch/_C/__init__.pyi``),
one ``@overload`` per accepted form; functions written in Python by their own signatures.
Each overload comes back as a parameter list in Python's syntax, without types and without
``self``: ``"input, other, *, alpha=1, out=None"``.
"""
from __future__ import annotations

import ast
import functools
import inspect
import os

import torch


def _format(params) -> str:
    """``params``: (name, kind, default-source or None) triples, kind as inspect's."""
    out, star = [], False
    for name, kind, default in params:
        if kind == inspect.Parameter.VAR_POSITIONAL:
            out.append("*" + name)
            star = True
            continue
        if kind == inspect.Parameter.VAR_KEYWORD:
            out.append("**" + name)
            continue
        if kind == inspect.Parameter.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        out.append(name if default is None else f"{name}={default}")
    return ", ".join(out)


def _stub_overloads(tree: ast.AST, cls: str | None) -> dict[str, list[str]]:
    body = tree.body
    if cls is not None:
        body = next(n for n in body if isinstance(n, ast.ClassDef) and n.name == cls).body
    found: dict[str, list[str]] = {}
    for node in body:
        if not isinstance(node, ast.FunctionDef):
            continue
        a = node.args
        positional = a.posonlyargs + a.args
        if cls is not None:
            positional = positional[1:]  # self
        defaults = [None] * (len(positional) - len(a.defaults)) + [
            ast.unparse(d) for d in a.defaults[-len(positional):]] if a.defaults else \
            [None] * len(positional)
        params = [(p.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD, d)
                  for p, d in zip(positional, defaults)]
        if a.vararg:
            params.append((a.vararg.arg, inspect.Parameter.VAR_POSITIONAL, None))
        params += [(p.arg, inspect.Parameter.KEYWORD_ONLY,
                    None if d is None else ast.unparse(d))
                   for p, d in zip(a.kwonlyargs, a.kw_defaults)]
        if a.kwarg:
            params.append((a.kwarg.arg, inspect.Parameter.VAR_KEYWORD, None))
        if _deprecated(params):
            continue
        text = _format(params)
        entry = found.setdefault(node.name, [])
        if text not in entry:
            entry.append(text)
            annotations = {p.arg: ast.unparse(p.annotation) for p in
                           positional + a.kwonlyargs + ([a.vararg] if a.vararg else [])
                           if p.annotation is not None}
            _TYPES[(cls is not None, node.name, text)] = annotations
    return found


_TYPES: dict = {}


def annotations(name: str, text: str, method: bool = False) -> dict[str, str]:
    """The stub's type of each parameter of one overload (empty for Python functions)."""
    _stubs()
    return _TYPES.get((method, name, text), {})


def _deprecated(params) -> bool:
    """PyTorch's deprecated forms, a scale factor before the tensors it scales
    (``add(self, alpha, other)``, ``addcmul(self, value, tensor1, tensor2)``)."""
    names = [n for n, kind, default in params
             if kind == inspect.Parameter.POSITIONAL_OR_KEYWORD and default is None]
    return any(n in ("alpha", "beta", "value") for n in names[:-1])


@functools.lru_cache(None)
def _stubs() -> tuple[dict, dict]:
    folder = os.path.join(os.path.dirname(torch.__file__), "_C")
    with open(os.path.join(folder, "_VariableFunctions.pyi")) as f:
        functions = _stub_overloads(ast.parse(f.read()), None)
    with open(os.path.join(folder, "__init__.pyi")) as f:
        methods = _stub_overloads(ast.parse(f.read()), "TensorBase")
    return functions, methods


# Python functions whose own signature is ``(*args, **kwargs)`` (a dispatch on a boolean
# argument) and whose docstring doesn't open with one: their documented parameters.
_DOCUMENTED = {
    "unique_consecutive": "input, return_inverse=False, return_counts=False, dim=None",
}


def _varargs_only(sig) -> bool:
    return [p.kind for p in sig.parameters.values()] == [inspect.Parameter.VAR_POSITIONAL,
                                                          inspect.Parameter.VAR_KEYWORD]


def _python_signature(fn, method: bool) -> list[str] | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    if _varargs_only(sig):
        from torch._jit_internal import boolean_dispatched
        dispatched = boolean_dispatched.get(fn)
        inner = dispatched and inspect.signature(dispatched["if_false"])
        if inner and not _varargs_only(inner):
            sig = inner
        else:
            doc = (fn.__doc__ or "").strip().split("\n")[0]
            if fn.__name__ in _DOCUMENTED:
                return [_DOCUMENTED[fn.__name__]]
            if doc.startswith(fn.__name__ + "("):
                return [doc[len(fn.__name__) + 1:doc.index(")")]]
    params = list(sig.parameters.values())
    if method and params and params[0].name == "self":
        params = params[1:]
    return [_format([(p.name, p.kind, None if p.default is inspect.Parameter.empty
                      else repr(p.default)) for p in params])]


def torch_overloads(name: str, method: bool = False) -> list[str] | None:
    """PyTorch's overloads of ``torch.<name>`` (or ``Tensor.<name>``), None if it has none."""
    owner = torch.Tensor if method else torch
    fn = getattr(owner, name, None)
    if fn is None or not callable(fn):
        return None
    if inspect.isfunction(fn) or inspect.ismethod(fn):
        return _python_signature(fn, method)
    functions, methods = _stubs()
    found = (methods if method else functions).get(name)
    if found is None and not method:
        found = _python_signature(fn, False)
    return found


def public_functions(ember) -> list[str]:
    """The names of ``ember.<name>`` that are functions of PyTorch's as well."""
    names = []
    for name in dir(ember):
        fn = getattr(ember, name)
        if name.startswith("_") or not callable(fn) or isinstance(fn, type) \
                or inspect.ismodule(fn) or not callable(getattr(torch, name, None)):
            continue
        names.append(name)
    return sorted(names)


def public_methods(ember) -> list[str]:
    """The names of ``ember.Tensor.<name>`` methods that are PyTorch's Tensor methods too."""
    names = []
    for name in dir(ember.Tensor):
        if name.startswith("_") or not callable(getattr(ember.Tensor, name, None)) \
                or isinstance(inspect.getattr_static(ember.Tensor, name), property) \
                or not callable(getattr(torch.Tensor, name, None)):
            continue
        names.append(name)
    return sorted(names)


def parameters(text: str) -> list[inspect.Parameter]:
    """The parameters of one overload's text; a default that isn't a Python literal
    (``layout=strided``) is kept as its source text."""
    args = ast.parse(f"def f({text}): pass").body[0].args

    def default(node):
        if node is None:
            return inspect.Parameter.empty
        try:
            return ast.literal_eval(node)
        except ValueError:
            return ast.unparse(node)
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    P = inspect.Parameter
    params = [P(a.arg, P.POSITIONAL_OR_KEYWORD, default=default(d))
              for a, d in zip(positional, defaults)]
    if args.vararg:
        params.append(P(args.vararg.arg, P.VAR_POSITIONAL))
    params += [P(a.arg, P.KEYWORD_ONLY, default=default(d))
               for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        params.append(P(args.kwarg.arg, P.VAR_KEYWORD))
    return params
