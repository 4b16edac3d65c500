"""Vector and matrix norms (`ember.linalg.vector_norm`, `matrix_norm`, `norm`).

`vector_norm` is the primitive, with its derivative; matrix norms are composed from it, from
sums of absolute values and from singular values, so their gradients come for free (the
largest column sum's gradient splits evenly among ties, as PyTorch's does).
"""
from __future__ import annotations

import math

from .._creation import tensor
from .decompositions import linalg_svdvals
from .linalg import title_name
from .reduce import dims_of, expand_reduced, one_dim
from ._op import op

INF = math.inf


@op(save=(0,), save_output=True, method=False, function=False)
def linalg_vector_norm(xp, x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` over ``dim`` (all dims by default), as a vector.

    >>> ember.linalg.vector_norm(ember.tensor([3., 4.]))
    tensor(5.)
    """
    if isinstance(ord, complex):
        raise RuntimeError("linalg.vector_norm: Expected a non-complex scalar as the order of "
                           "norm.")
    if x.dtype.kind not in "fc" and x.dtype.name != "bfloat16":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {title_name(x)}")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dtype is not None:
        x = x.astype(dtype.np)
    axes = dims_of(dim, x.ndim, "linalg.vector_norm")
    if x.size == 0 and (ord < 0 or ord == INF) and any(x.shape[a] == 0 for a in axes):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                           f"tensor because the operation does not have an identity")
    if x.dtype.name == "bfloat16":  # NumPy has no bfloat16 arithmetic: float32 inside
        return _norm(xp, x.astype(xp.float32), ord, axes, keepdim).astype(x.dtype)
    return _norm(xp, x, ord, axes, keepdim)


def _norm(xp, x, ord, axes, keepdim):
    a = x if ord == 2 and x.dtype.kind == "f" else xp.abs(x)
    if ord == 2:
        return xp.sqrt(xp.sum(a * a, axis=axes, keepdims=keepdim))
    if ord == INF:
        return xp.max(a, axis=axes, keepdims=keepdim)
    if ord == -INF:
        return xp.min(a, axis=axes, keepdims=keepdim)
    if ord == 0:
        return xp.sum(a != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
    if ord == 1:
        return xp.sum(a, axis=axes, keepdims=keepdim)
    return xp.power(xp.sum(xp.power(a, ord), axis=axes, keepdims=keepdim), 1.0 / ord)


@linalg_vector_norm.derivative
def linalg_vector_norm(ctx, grad, ord=2, dim=None, keepdim=False, *, dtype=None):
    x, norm = ctx.saved_tensors
    shape = ctx.shapes[0]
    grad = expand_reduced(grad, shape, dim, keepdim)
    norm = expand_reduced(norm, shape, dim, keepdim)
    if ord == 0:
        return x * 0
    if ord == 1:
        return grad * x.sign()
    if ord in (INF, -INF):
        # The gradient goes to the entries reaching the extreme, split evenly among ties.
        hits = x.abs()._data == norm._data
        count = hits.sum(axis=dims_of(dim, len(shape), "linalg.vector_norm"), keepdims=True)
        share = tensor((hits / count).astype(x._data.dtype), device=x.device)
        return grad * x.sign() * share
    # Where the norm is 0 the gradient is 0 (x is 0 there): divide by 1 instead.
    safe_norm = norm + tensor((norm._data == 0).astype(norm._data.dtype), device=x.device)
    if ord == 2:
        return grad * x / safe_norm
    return grad * x.sign() * x.abs() ** (ord - 1) / safe_norm ** (ord - 1)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """A matrix norm over the two dims ``dim``: 'fro', 'nuc', 1, -1, 2, -2, inf or -inf.

    >>> ember.linalg.matrix_norm(ember.eye(3), ord='nuc')
    tensor(3.)
    """
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions.")
    if not (A.is_floating_point() or A.is_complex()):
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor "
                           f"as input. Got {A.dtype}")
    if isinstance(dim, int) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    if dtype is not None:
        A = A.to(dtype)
    rows, cols = (one_dim(d, A.ndim) for d in dim)
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord == "fro":
        return linalg_vector_norm(A, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        others = [d for d in range(A.ndim) if d not in (rows, cols)]
        S = linalg_svdvals(A.permute(*others, rows, cols))
        # (the extreme of no singular values at all is taken as 0, as PyTorch does)
        out = S.sum(-1) if ord == "nuc" or S.shape[-1] == 0 else \
            linalg_vector_norm(S, INF if ord == 2 else -INF, -1)
    elif ord in (1, -1, INF, -INF):
        summed, extreme = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(summed, keepdim=True)
        out = linalg_vector_norm(sums, INF if ord > 0 else -INF, extreme, keepdim=True)
        out = out.squeeze((rows, cols))
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        for d in sorted((rows, cols)):
            out = out.unsqueeze(d)
    return out


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """A vector norm (1 dim, or a 1-d input) or a matrix norm (2 dims, or a 2-d input).

    With neither ``ord`` nor ``dim``, the 2-norm of all elements.
    """
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None and ord is not None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {A.ndim}D.")
        dim = tuple(range(A.ndim))
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: ord {ord!r} needs a matrix (2 dims)")
    return linalg_vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def cond(A, p=None):
    """The condition number of each matrix in the ``p`` norm (the 2-norm by default).

    >>> ember.linalg.cond(ember.diag(ember.tensor([1., 4.])))
    tensor(4.)
    """
    if p in (None, 2, -2):
        S = linalg_svdvals(A)
        largest, smallest = S[..., 0], S[..., -1]
        return largest / smallest if p != -2 else smallest / largest
    from .decompositions import linalg_inv
    return matrix_norm(A, p) * matrix_norm(linalg_inv(A), p)
