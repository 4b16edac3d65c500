"""Tensor contractions: einsum, tensordot, inner.

All three are einsum equations underneath, so they share one gradient: the gradient of an
operand is the einsum of the output gradient with the *other* operands (conjugated when
complex), producing that operand's subscripts (`einsum_pullback`). Labels the operand sums
over alone come back by broadcasting; repeated labels (a diagonal, ``'ii->i'``) come back
through an identity matrix. Being einsums of ember tensors, the gradients are
differentiable again.
"""
from __future__ import annotations

import functools

from .._tensor import Tensor
from ._op import TABLE, apply, op
from .pointwise import common_types
from .reduce import one_dim
from .linalg import conj

_LABELS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Equation:
    """A parsed einsum equation: explicit labels per operand and output, sizes per label."""

    __slots__ = ("inputs", "output", "sizes", "spare")

    def __init__(self, inputs, output, sizes, spare):
        self.inputs = inputs        # one label string per operand (ellipses made explicit)
        self.output = output
        self.sizes = sizes          # label -> size after broadcasting
        self.spare = spare          # labels the equation does not use

    def __str__(self) -> str:
        return ",".join(self.inputs) + "->" + self.output


@functools.lru_cache(maxsize=512)
def parse(equation: str, shapes: tuple) -> Equation:
    """Parse ``equation`` for operands of ``shapes``, making every ellipsis explicit."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        more = "more" if len(shapes) > len(terms) else "fewer"
        raise RuntimeError(f"einsum(): {more} operands were provided than specified in the "
                         f"equation")
    for ch in equation.replace("...", "").replace(",", "").replace("->", ""):
        if ch not in _LABELS:
            raise RuntimeError(f"einsum(): invalid subscript given in the equation string, "
                             f"subscripts must be in [a-zA-Z], got {ch!r}")
    spare = [c for c in _LABELS if c not in equation]
    n_ellipsis = max((len(s) - len(t) + 3 for t, s in zip(terms, shapes) if "..." in t),
                     default=0)
    ellipsis, spare = "".join(spare[:n_ellipsis]), spare[n_ellipsis:]
    inputs = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        if "..." in term:
            own = len(shape) - len(term) + 3
            if own < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(term) - 3}) is more than the number of dimensions "
                                   f"({len(shape)}) for operand {i}")
            term = term.replace("...", ellipsis[n_ellipsis - own:])
        elif len(term) != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(term)}) does not match the number of dimensions "
                               f"({len(shape)}) for operand {i} and no ellipsis was given")
        inputs.append(term)
    if arrow:
        output = rhs.replace("...", ellipsis)
    else:
        counts = "".join(inputs)
        output = ellipsis + "".join(sorted(c for c in set(counts) if counts.count(c) == 1
                                           and c not in ellipsis))
    sizes = {}
    for i, (term, shape) in enumerate(zip(inputs, shapes)):
        for label, size in zip(term, shape):
            seen = sizes.get(label, 1)
            if seen != size and seen != 1 and size != 1:
                raise RuntimeError(f"einsum(): operands do not broadcast: subscript {label!r} "
                                   f"has size {size} for operand {i} and size {seen} elsewhere "
                                   f"(shapes {[list(s) for s in shapes]})")
            sizes[label] = max(seen, size)
    for label in output:
        if label not in sizes:
            raise RuntimeError(f"einsum(): output subscript {label} does not appear in the "
                             f"equation for any input operand")
    return Equation(tuple(inputs), output, sizes, "".join(spare))


def _contract(xp, equation: str, arrays):
    # Pairwise contractions go through BLAS (tensordot) only with a contraction path.
    out = xp.einsum(equation, *arrays, optimize=len(arrays) > 1)
    if out.base is not None and any(xp.may_share_memory(out, a) for a in arrays):
        out = out.copy()  # einsum may hand back a view ('ii->i'): results own their memory
    return out


@op(nin=-1, save="all", broadcasts=True, method=False, function=False)
def einsum(xp, operands, *, equation):
    first = operands[0].dtype
    for a in operands[1:]:
        if a.dtype != first:
            raise RuntimeError(f"einsum(): expected scalar type {first} but found {a.dtype}")
    eq = parse(equation, tuple(a.shape for a in operands))
    return _contract(xp, str(eq), operands)


@einsum.derivative
def einsum(ctx, grad, *, equation):
    eq = parse(equation, ctx.shapes)
    return einsum_pullback(eq, grad, ctx.saved_tensors, ctx.needs_input_grad)


def einsum_pullback(eq: Equation, grad, operands, needs):
    """The gradients of ``einsum(eq, *operands)`` for the operands in ``needs``."""
    return tuple(_operand_grad(eq, k, grad, operands) if need else None
                 for k, need in enumerate(needs))


def _operand_grad(eq: Equation, k: int, grad, operands):
    labels = eq.inputs[k]
    unique = "".join(dict.fromkeys(labels))
    others = [j for j in range(len(operands)) if j != k]
    reachable = set(eq.output).union(*(eq.inputs[j] for j in others))
    present = "".join(c for c in unique if c in reachable)
    terms = ",".join([eq.output] + [eq.inputs[j] for j in others])
    g = contract(f"{terms}->{present}", grad, *(conj(operands[j]) for j in others))
    if present != unique:
        # Labels only this operand sums over: the gradient is constant along them.
        got = dict(zip(present, g.shape))
        g = g.reshape([got.get(c, 1) for c in unique])
    full = [eq.sizes[c] for c in unique]
    if list(g.shape) != full:
        g = g.expand(full)
    if unique != labels:
        g = _embed_diagonals(eq, labels, unique, g)
    return g


def _embed_diagonals(eq: Equation, labels: str, unique: str, g):
    # A label repeated in one operand ('ii') reads a diagonal; its gradient lives on that
    # diagonal: g[i] * eye[i, i'] for a fresh label i'.
    spare = iter(eq.spare)
    seen, target, eyes, terms = set(), "", [], [unique]
    for c in labels:
        if c in seen:
            fresh = next(spare)
            target += fresh
            terms.append(c + fresh)
            eyes.append(_identity(g, eq.sizes[c]))
        else:
            seen.add(c)
            target += c
    return contract(f"{','.join(terms)}->{target}", g, *eyes)


def _identity(like, n):
    from .._creation import eye
    return eye(n, dtype=like.dtype, device=like.device)


def contract(equation: str, *operands):
    """``einsum`` of ember tensors, for gradients (the equation has no ellipsis)."""
    return apply(TABLE["einsum"], (operands,), {"equation": equation})


def from_sublists(args):
    """The string equation and operands of ``einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    def labels(sublist):
        return "".join("..." if s is Ellipsis else _LABELS[s] for s in sublist)
    operands, terms = args[0::2], [labels(s) for s in args[1::2]]
    output = "->" + labels(args[-1]) if len(args) % 2 else ""
    if len(args) % 2:
        operands = operands[:-1]
    return ",".join(terms[:len(operands)]) + output, tuple(operands)


# ----------------------------------------------------------------------------- tensordot, inner

def _tensordot_axes(dims, a_ndim: int, b_ndim: int):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a_ndim, b_ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        return list(range(a_ndim - dims, a_ndim)), list(range(dims))
    a_dims, b_dims = dims
    for name, given in (("dims_self", a_dims), ("dims_other", b_dims)):
        if isinstance(given, int):  # PyTorch's parser wants the dims of each as a list
            raise TypeError(f"tensordot(): argument '{name}' must be tuple of ints, not int")
    a_dims, b_dims = list(a_dims), list(b_dims)
    if len(a_dims) != len(b_dims):
        raise RuntimeError("both dimension lists should have same length")
    return [one_dim(d, a_ndim) for d in a_dims], [one_dim(d, b_ndim) for d in b_dims]


@functools.lru_cache(maxsize=256)
def _tensordot_equation(a_dims: tuple, b_dims: tuple, a_shape: tuple, b_shape: tuple):
    a_labels = list(_LABELS[:len(a_shape)])
    b_labels = list(_LABELS[len(a_shape):len(a_shape) + len(b_shape)])
    for i, j in zip(a_dims, b_dims):
        if a_shape[i] != b_shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a_shape[i]} in dim {i} and second has size {b_shape[j]} in "
                               f"dim {j}")
        b_labels[j] = a_labels[i]
    free = [c for i, c in enumerate(a_labels) if i not in a_dims] + \
           [c for j, c in enumerate(b_labels) if j not in b_dims]
    return parse("".join(a_labels) + "," + "".join(b_labels) + "->" + "".join(free),
                 (a_shape, b_shape))


@op(nin=2, save=(0, 1))
def tensordot(xp, a, b, dims=2):
    """Contract ``dims`` (a count, or two lists of dims) of ``a`` with those of ``b``.

    >>> ember.tensordot(ember.randn(3, 4, 5), ember.randn(4, 5, 6), dims=2).shape
    ember.Size([3, 6])
    """
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    a_dims, b_dims = _tensordot_axes(dims, a.ndim, b.ndim)
    sum_a, sum_b = _singleton_pairs(a.shape, b.shape, a_dims, b_dims)
    if sum_a:
        a = a.sum(axis=sum_a, keepdims=True, dtype=a.dtype)
    if sum_b:
        b = b.sum(axis=sum_b, keepdims=True, dtype=b.dtype)
    _tensordot_equation(tuple(a_dims), tuple(b_dims), a.shape, b.shape)
    return xp.tensordot(a, b, (a_dims, b_dims))


def _singleton_pairs(a_shape, b_shape, a_dims, b_dims):
    """The contracted dims of ``a`` and of ``b`` facing a dim of size 1: PyTorch sums them
    first (a size-1 dim broadcasts against any size)."""
    sum_a = tuple(i for i, j in zip(a_dims, b_dims) if b_shape[j] == 1 != a_shape[i])
    sum_b = tuple(j for i, j in zip(a_dims, b_dims) if a_shape[i] == 1 != b_shape[j])
    return sum_a, sum_b


@tensordot.derivative
def tensordot(ctx, grad, dims=2):
    a, b = ctx.saved_tensors
    a_dims, b_dims = _tensordot_axes(dims, a.ndim, b.ndim)
    sum_a, sum_b = _singleton_pairs(a.shape, b.shape, a_dims, b_dims)
    summed_a = a.sum(sum_a, keepdim=True) if sum_a else a
    summed_b = b.sum(sum_b, keepdim=True) if sum_b else b
    eq = _tensordot_equation(tuple(a_dims), tuple(b_dims), tuple(summed_a.shape),
                             tuple(summed_b.shape))
    ga, gb = einsum_pullback(eq, grad, (summed_a, summed_b), ctx.needs_input_grad)
    # the gradient of a sum is its gradient broadcast back
    return (ga.expand(a.shape) if sum_a and ga is not None else ga,
            gb.expand(b.shape) if sum_b and gb is not None else gb)


@functools.lru_cache(maxsize=256)
def _inner_equation(a_shape: tuple, b_shape: tuple) -> Equation:
    if not a_shape or not b_shape:  # a 0-d operand: a plain product
        a_labels, b_labels = _LABELS[:len(a_shape)], _LABELS[:len(b_shape)]
        return parse(f"{a_labels},{b_labels}->{a_labels or b_labels}", (a_shape, b_shape))
    if a_shape[-1] != b_shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a_shape)} and {list(b_shape)}")
    a_free = _LABELS[:len(a_shape) - 1]
    b_free = _LABELS[len(a_free):len(a_free) + len(b_shape) - 1]
    last = _LABELS[-1]
    return parse(f"{a_free}{last},{b_free}{last}->{a_free}{b_free}", (a_shape, b_shape))


def _inner_types(operands, arrays):
    # a 0-d operand makes a plain product, with its type promotion
    if arrays[0].ndim and arrays[1].ndim:
        return arrays
    return common_types(operands, arrays)


@op(nin=2, save=(0, 1), promote=_inner_types)
def inner(xp, a, b):
    """The inner product over the last dimension (a product when one operand is 0-d)."""
    if a.ndim and b.ndim and a.dtype == bool and a.size and b.size:
        raise NotImplementedError("\"dot\" not implemented for 'Bool'")
    if a.dtype != b.dtype:
        raise RuntimeError(f"inner(): expected both inputs to have the same dtype, but got "
                           f"{a.dtype} and {b.dtype}")
    return _contract(xp, str(_inner_equation(a.shape, b.shape)), (a, b))


@inner.derivative
def inner(ctx, grad):
    a, b = ctx.saved_tensors
    eq = _inner_equation(ctx.shapes[0], ctx.shapes[1])
    return einsum_pullback(eq, grad, (a, b), ctx.needs_input_grad)
