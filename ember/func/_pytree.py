"""Nested containers of tensors ("pytrees"): tuples, lists, namedtuples and dicts.

A tree flattens into its leaves (anything that is not one of those containers) and a spec
that rebuilds the same structure around new leaves.
"""
from __future__ import annotations

from typing import Any, Callable

LEAF = None  # the spec of a leaf


def _children(tree):
    if isinstance(tree, dict):
        return list(tree.values()), (dict, tuple(tree))
    if isinstance(tree, (tuple, list)):
        return list(tree), (type(tree), None)
    return None, None


def tree_flatten(tree) -> tuple[list, Any]:
    """``(leaves, spec)`` of ``tree``, leaves in depth-first order."""
    children, node = _children(tree)
    if children is None:
        return [tree], LEAF
    leaves, specs = [], []
    for child in children:
        sub, spec = tree_flatten(child)
        leaves.extend(sub)
        specs.append(spec)
    return leaves, (node, specs)


def tree_unflatten(leaves, spec):
    """The tree of structure ``spec`` holding ``leaves`` (the inverse of `tree_flatten`)."""
    it = iter(leaves)

    def build(s):
        if s is LEAF:
            return next(it)
        (kind, keys), specs = s
        children = [build(c) for c in specs]
        if keys is not None:
            return dict(zip(keys, children))
        if hasattr(kind, "_fields"):  # namedtuple
            return kind(*children)
        return kind(children)
    return build(spec)


def tree_map(fn: Callable, tree):
    """``tree`` with ``fn`` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix, tree, is_leaf: Callable) -> list | None:
    """One entry of ``prefix`` per leaf of ``tree``, where ``prefix`` is a tree whose leaves
    (``is_leaf``) stand for whole subtrees of ``tree``; None when the structures don't match."""
    if is_leaf(prefix):
        return [prefix] * len(tree_flatten(tree)[0])
    if isinstance(prefix, dict) and isinstance(tree, dict):
        if prefix.keys() != tree.keys():
            return None
        pairs = [(prefix[k], v) for k, v in tree.items()]  # matched by key, in any order
    elif isinstance(prefix, (tuple, list)) and type(prefix) is type(tree) \
            and len(prefix) == len(tree):
        pairs = list(zip(prefix, tree))
    else:
        return None
    out = []
    for p, t in pairs:
        sub = broadcast_prefix(p, t, is_leaf)
        if sub is None:
            return None
        out.extend(sub)
    return out
