"""Nested call arguments and results as a flat list of tensors plus a plain description.

A description is made of tuples only, so that a saved graph can hold it:
``("tensor", i)`` the i-th flat tensor, ``("tuple", items)``, ``("list", items)``,
``("dict", ((key, item), ...))`` and ``("const", value)`` for anything else.
"""
from __future__ import annotations

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
    return body

