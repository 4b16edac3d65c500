"""Function transforms by reverse mode: `grad`, `grad_and_value`, `vjp`, `jvp`, `jacrev`,
`jacfwd`, `hessian`, `linearize`.

Each transform runs ``func`` on fresh copies of the differentiated arguments and asks the
autograd engine for derivatives with respect to them. Transforms nest (``grad(grad(f))``):
while one is running, every transform inside it builds a differentiable result. At the
outermost level results are plain tensors, unless an argument already took part in an
autograd graph, in which case they stay connected to it, as in PyTorch.
"""
from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable

from ..autograd import functional as _functional
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ._pytree import tree_flatten, tree_unflatten, tree_map

_depth = 0  # transforms whose ``func`` is running right now


@contextlib.contextmanager
def _inside_transform():
    global _depth
    _depth += 1
    try:
        with enable_grad():
            yield
    finally:
        _depth -= 1


def _is_tensor(x) -> bool:
    from .._tensor import Tensor
    return isinstance(x, Tensor)


def _lift(tensors) -> tuple[tuple, bool]:
    """Fresh differentiable stand-ins for ``tensors``, and whether results must stay in the
    autograd graph (inside another transform, or when an input is already part of a graph)."""
    for t in tensors:
        if not _is_tensor(t):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
    keep = _depth > 0 or (is_grad_enabled() and any(t.requires_grad for t in tensors))
    # An alias, not ``t`` itself, so that ``func`` reaching ``t`` through a closure does not
    # count as depending on the differentiated argument.
    return tuple(t.view_as(t) if keep and t.requires_grad else t.detach().requires_grad_(True)
                 for t in tensors), keep


def _release(tree, keep: bool):
    return tree if keep else tree_map(lambda x: x.detach() if _is_tensor(x) else x, tree)


def _positions(argnums, n: int) -> tuple[list[int], bool]:
    is_int = isinstance(argnums, int)
    nums = [argnums] if is_int else list(argnums) if isinstance(argnums, tuple) else None
    if nums is None or not all(isinstance(a, int) for a in nums):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
    positions = [a % n for a in nums]
    if len(set(positions)) != len(positions):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return positions, is_int


class _Args:
    """The arguments at ``positions`` as one flat list of tensors, and back."""

    def __init__(self, args, positions):
        self.args, self.positions = args, positions
        flat = [tree_flatten(args[p]) for p in positions]
        self.tensors = [t for leaves, _ in flat for t in leaves]
        self.specs = [(len(leaves), spec) for leaves, spec in flat]

    def trees(self, tensors) -> list:
        """``tensors`` regrouped into one tree per position."""
        it = iter(tensors)
        return [tree_unflatten([next(it) for _ in range(n)], spec) for n, spec in self.specs]

    def replaced(self, tensors) -> list:
        """All the arguments, with ``tensors`` in place of those at the positions."""
        args = list(self.args)
        for p, tree in zip(self.positions, self.trees(tensors)):
            args[p] = tree
        return args


class _Call:
    """``func`` run once on lifted copies of the arguments at ``argnums``."""

    def __init__(self, func, args, kwargs, argnums, has_aux: bool, name: str):
        positions, self.single = _positions(argnums, len(args))
        self.args = _Args(args, positions)
        self.inputs, self.keep = _lift(self.args.tensors)
        with _inside_transform():
            output = func(*self.args.replaced(self.inputs), **kwargs)
        self.aux = None
        if has_aux:
            if not (isinstance(output, tuple) and len(output) == 2):
                raise RuntimeError(f"{name}(f)(*args): output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            output, self.aux = output
            self.aux = _release(self.aux, self.keep)
        self.output = output

    def gradients(self, outputs, cotangents):
        """d<outputs, cotangents>/d(inputs), shaped like the differentiated arguments."""
        with enable_grad():
            found = _functional._grads(outputs, self.inputs, cotangents, self.keep, False, "")
        trees = self.args.trees([g if self.keep else g.detach() for g in found])
        return trees[0] if self.single else tuple(trees)


def grad_and_value(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """Like `grad`, but the function returns ``(gradient, value)`` (``((gradient, (value,
    aux))`` with ``has_aux``)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        call = _Call(func, args, kwargs, argnums, has_aux, "grad_and_value")
        out = call.output
        if not _is_tensor(out):
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                               f"got {type(out)}")
        if out.dim() != 0:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar "
                               f"Tensor, got tensor with {out.dim()} dims. Maybe you wanted to "
                               "use the vjp or jacrev APIs instead?")
        g = call.gradients([out], [None])
        value = _release(out, call.keep)
        return (g, (value, call.aux)) if has_aux else (g, value)
    return wrapper


def grad(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """The function computing the gradient of scalar-valued ``func`` with respect to the
    arguments at ``argnums`` (an int, or a tuple of ints for a tuple of gradients). Arguments
    may be tensors or nested tuples/lists/dicts of tensors; gradients have the same structure.

    >>> grad(lambda x: (x ** 2).sum())(ember.tensor([1., 2.]))
    tensor([2., 4.])
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, rest = grad_and_value(func, argnums, has_aux)(*args, **kwargs)
        return (g, rest[1]) if has_aux else g
    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` returns, for each primal, the
    cotangents pulled back through ``func`` (a tuple). With ``has_aux``, also the aux output.

    >>> out, vjp_fn = vjp(ember.sin, ember.zeros(2))
    >>> vjp_fn(ember.ones(2))
    (tensor([1., 1.]),)
    """
    call = _Call(func, primals, {}, tuple(range(len(primals))), has_aux, "vjp")
    outputs, out_spec = tree_flatten(call.output)
    for o in outputs:
        if not _is_tensor(o):
            raise RuntimeError(f"vjp(f, *primals): expected f(*primals) to return only "
                               f"tensors, got unsupported type {type(o)}")

    def vjp_fn(cotangents):
        cts, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec or len(cts) != len(outputs):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function.")
        for o, c in zip(outputs, cts):
            if not _is_tensor(c) or c.shape != o.shape:
                shape = list(c.shape) if _is_tensor(c) else type(c)
                raise RuntimeError(f"vjp: Mismatch in shape: a cotangent has shape {shape} "
                                   f"where the output has shape {list(o.shape)}")
        result = call.gradients(outputs, cts)
        return result if isinstance(result, tuple) else (result,)

    output = _release(call.output, call.keep)
    return (output, vjp_fn, call.aux) if has_aux else (output, vjp_fn)


def _flat_function(func, args: _Args, outputs_out: list, aux_out: list, has_aux: bool,
                   where: str):
    """``func`` as a function of the flat tensors of ``args``, returning a flat tuple of
    output tensors (its structure and any aux are left in the given lists)."""
    def flat(*tensors):
        out = func(*args.replaced(tensors))
        if has_aux:
            out, aux = out
            aux_out.append(aux)
        leaves, spec = tree_flatten(out)
        for leaf in leaves:
            if not _is_tensor(leaf):
                raise RuntimeError(f"{where}: expected f(*primals) to return only tensors, got "
                                   f"unsupported type {type(leaf)}")
        outputs_out.append(spec)
        return tuple(leaves)
    return flat


def jvp(func: Callable, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J @ tangents)``: the output and its directional derivative.

    Computed with two reverse passes (``J v = d/du <J^T u, v>``).

    >>> jvp(ember.sin, (ember.zeros(2),), (ember.ones(2),))[1]
    tensor([1., 1.])
    """
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                           "should be valid to call f(*primals).")
    flat_tangents, tangent_spec = tree_flatten(tangents)
    if tangent_spec != tree_flatten(primals)[1]:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure.")
    out_specs, aux = [], []
    args = _Args(primals, range(len(primals)))
    flat = _flat_function(func, args, out_specs, aux, has_aux, "jvp(f, primals, tangents)")
    inputs, keep = _lift(args.tensors)
    with _inside_transform():
        out, tangent_out = _functional.jvp(flat, inputs, tuple(flat_tangents), keep)
    result = (tree_unflatten(out, out_specs[0]), tree_unflatten(tangent_out, out_specs[0]))
    return result + (_release(aux[0], keep),) if has_aux else result


def _check_chunk_size(chunk_size, name: str):
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"{name}: `chunk_size` should be greater than 0.")


def jacrev(func: Callable, argnums=0, has_aux: bool = False, *, chunk_size=None,
           _preallocate_and_copy: bool = False) -> Callable:
    """The function computing the Jacobian of ``func`` with respect to the arguments at
    ``argnums``: for each output, a tensor of shape ``output.shape + input.shape`` per input
    (nested like the arguments when ``argnums`` is a tuple). Built row by row by reverse mode;
    ``chunk_size`` only bounds memory in PyTorch and is accepted for compatibility.

    >>> jacrev(ember.sin)(ember.zeros(2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    _check_chunk_size(chunk_size, "jacrev")

    @functools.wraps(func)
    def wrapper(*args):
        positions, single = _positions(argnums, len(args))
        out_specs, aux = [], []
        flat_args = _Args(args, positions)
        flat = _flat_function(func, flat_args, out_specs, aux, has_aux, "jacrev(f, argnums)")
        inputs, keep = _lift(flat_args.tensors)
        with _inside_transform():
            blocks = _functional.jacobian(flat, inputs, keep)
        per_output = []
        for row in blocks:
            trees = flat_args.trees(row)
            per_output.append(trees[0] if single else tuple(trees))
        jac = tree_unflatten(per_output, out_specs[0])
        return (jac, _release(aux[0], keep)) if has_aux else jac
    return wrapper


def jacfwd(func: Callable, argnums=0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The Jacobian of ``func`` like `jacrev` (same values and layout). Ember has no forward
    mode, so this is computed by reverse mode as well."""
    return jacrev(func, argnums, has_aux)


def linearize(func: Callable, *primals) -> tuple[Any, Callable]:
    """``(func(*primals), jvp_fn)`` where ``jvp_fn(*tangents)`` is the `jvp` of ``func`` at
    ``primals`` in those directions (each call runs ``func`` again: nothing is compiled)."""
    output = func(*primals)

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]
    return output, jvp_fn


def hessian(func: Callable, argnums=0) -> Callable:
    """The function computing the Hessian of scalar ``func`` with respect to ``argnums``
    (``jacfwd(jacrev(func))``).

    >>> hessian(lambda x: (x ** 3).sum())(ember.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)
