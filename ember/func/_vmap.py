"""`vmap`: map a function over a dimension of its inputs."""
from __future__ import annotations

import functools
from typing import Callable

from ._pytree import tree_flatten, tree_unflatten, broadcast_prefix

_RANDOMNESS = ("error", "different", "same")


def _name(func) -> str:
    return getattr(func, "__name__", repr(func))


def _is_dim(d) -> bool:
    return d is None or isinstance(d, int)


def _in_dims(in_dims, args, name: str) -> list:
    """One mapped dim (or None) per leaf of ``args``."""
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple "
                         f"matching the structure of inputs, got: {type(in_dims)}.")
    dims = broadcast_prefix(in_dims, args, _is_dim)
    if dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. "
                         f"in_dims has structure {tree_flatten(in_dims)[1]} but inputs has "
                         f"structure {tree_flatten(args)[1]}.")
    return dims


def _batch_size(leaves, dims, name: str, in_dims) -> tuple[int, list]:
    from .._tensor import Tensor
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    sizes, normalized = [], []
    for x, d in zip(leaves, dims):
        if d is not None:
            if not isinstance(x, Tensor):
                raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type "
                                 f"{type(x)}. We cannot vmap over non-Tensor arguments, please "
                                 "use None as the respective in_dim")
            n = x.dim()
            if not -n <= d < n:
                raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a "
                                 f"Tensor of dimensionality {n} so expected in_dim to satisfy "
                                 f"-{n} <= in_dim < {n}.")
            d %= n
            sizes.append(x.shape[d])
        normalized.append(d)
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if len(set(sizes)) != 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0], normalized


def _slice(x, d, b: int):
    if d is None:
        return x
    if b is None:  # a stand-in sample for an empty batch, to learn the output's shape
        shape = list(x.shape)
        del shape[d]
        return x.new_zeros(shape)
    return x.select(d, b)


def _stack(samples, out_dim, batch: int, name: str):
    from .. import stack
    from .._tensor import Tensor
    first = samples[0]
    if out_dim is None:
        return first
    if not isinstance(first, Tensor):
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                         f"{type(first)}. Did you mean to set out_dims= to None for output?")
    if batch == 0:
        return stack([first], out_dim).narrow(out_dim % (first.dim() + 1), 0, 0)
    return stack(samples, out_dim)


def vmap(func: Callable, in_dims=0, out_dims=0, randomness: str = "error", *,
         chunk_size=None) -> Callable:
    """The function mapping ``func`` over dimension ``in_dims`` of its inputs and stacking the
    results along ``out_dims``.

    ``in_dims`` is an int for every input, or a tuple with one entry per positional argument:
    an int, None (not mapped: passed whole to every call) or a nested structure matching that
    argument. Outputs may be tensors or tuples/lists/dicts of them; ``out_dims`` is likewise
    an int or a matching structure. Keyword arguments are not mapped.

    This implementation calls ``func`` once per batch element in a Python loop and stacks the
    results: the semantics are those of PyTorch's vmap (including nesting and composition
    with `grad`), but the work is not vectorized, so it costs as much as the loop would.
    ``chunk_size`` is accepted for compatibility. ``randomness``: "different" draws fresh
    numbers for each element, "same" replays one draw for all, and "error" raises if
    ``func`` draws from the default generator.

    >>> vmap(ember.dot)(ember.ones(3, 2), ember.ones(3, 2))
    tensor([2., 2., 2.])
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")
    name = _name(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .. import random
        if not all(_is_dim(d) for d in tree_flatten(out_dims)[0]):
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an "
                             "int, None or a python collection of ints representing where in "
                             "the outputs the vmapped dimension should appear.")
        leaves, spec = tree_flatten(args)
        batch, dims = _batch_size(leaves, _in_dims(in_dims, args, name), name, in_dims)
        state = random.get_rng_state() if randomness != "different" else None
        results = []
        for b in range(batch) if batch else [None]:
            if randomness == "same":
                random.set_rng_state(state)
            sample = [_slice(x, d, b) for x, d in zip(leaves, dims)]
            results.append(tree_flatten(func(*tree_unflatten(sample, spec), **kwargs)))
        if randomness == "error" and not state.equal(random.get_rng_state()):
            raise RuntimeError("vmap: called random operation while in randomness error mode. "
                               "Please either use the 'same' or 'different' randomness flags "
                               "on vmap or perform the randomness operation out of vmap")
        out_spec = results[0][1]
        odims = broadcast_prefix(out_dims, tree_unflatten(results[0][0], out_spec), _is_dim)
        if odims is None:
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                             "compatible with the structure of `outputs`.")
        columns = zip(*(r[0] for r in results))
        return tree_unflatten([_stack(list(c), d, batch, name) for c, d in zip(columns, odims)],
                              out_spec)
    return wrapper
