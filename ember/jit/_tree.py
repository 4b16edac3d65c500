"""Nested call arguments and results as a flat list of tensors plus a plain description.

A description is made of tuples only, so that a saved graph can hold it:
``("tensor", i)`` the i-th flat tensor, ``("tuple", items)``, ``("list", items)``,
``("dict", ((key, item), ...))``, ``("return_type", (name, items))`` for the named tuples
of `ember.return_types` (``x.max(1)``), and ``("const", value)`` for anything else.
"""
from __future__ import annotations

from .. import return_types
from .._tensor import Tensor


def flatten(obj, tensors: list | None = None):
    """``(tensors, description)`` of a nested structure of tuples, lists and dicts."""
    if tensors is None:
        tensors = []
    if isinstance(obj, Tensor):
        tensors.append(obj)
        return tensors, ("tensor", len(tensors) - 1)
    if type(obj) in (tuple, list):
        items = tuple(flatten(x, tensors)[1] for x in obj)
        return tensors, (type(obj).__name__, items)
    if isinstance(obj, tuple) and type(obj).__module__ == return_types.__name__:
        items = tuple(flatten(x, tensors)[1] for x in obj)
        return tensors, ("return_type", (type(obj).__name__, items))
    if type(obj) is dict:
        items = tuple((k, flatten(v, tensors)[1]) for k, v in obj.items())
        return tensors, ("dict", items)
    return tensors, ("const", obj)


def unflatten(description, leaves):
    """Rebuild the structure of ``description`` with ``leaves[i]`` for tensor ``i``."""
    kind, body = description
    if kind == "tensor":
        return leaves[body]
    if kind == "tuple":
        return tuple(unflatten(x, leaves) for x in body)
    if kind == "list":
        return [unflatten(x, leaves) for x in body]
    if kind == "dict":
        return {k: unflatten(x, leaves) for k, x in body}
    if kind == "return_type":
        name, items = body
        return getattr(return_types, name)(*(unflatten(x, leaves) for x in items))
    return body

