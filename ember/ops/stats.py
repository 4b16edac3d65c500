"""Statistics over dimensions: variance, standard deviation, logsumexp; ``torch.norm``."""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from ._inplace import _legacy
from ._op import composite, op
from .norms import linalg_vector_norm, matrix_norm
from .reduce import add_grads, dims_of, expand_reduced, mean_backward, reduced_count


# ----------------------------------------------------------------------------- variance

def _correction(dim, unbiased, correction):
    # PyTorch spells the correction two ways: ``correction=`` and the legacy ``unbiased``
    # flag, which may even come second, in the place of ``dim`` (``x.var(True)``).
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None else int(unbiased)
    return dim, correction


def _moments(xp, x, dim, unbiased, keepdim, correction, name):
    """``(variance, mean)`` over ``dim``, dividing by ``N - correction`` like PyTorch."""
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"std and var only support floating point and complex "
                           f"dtypes, got {_legacy(dt.from_numpy_dtype(x.dtype))}")
    dim, correction = _correction(dim, unbiased, correction)
    axes = dims_of(dim, x.ndim, name)
    mean = xp.mean(x, axis=axes, keepdims=True)
    dev = x - mean
    squares = xp.square(xp.abs(dev)) if dev.dtype.kind == "c" else dev * dev
    total = xp.sum(squares, axis=axes, keepdims=keepdim)
    count = reduced_count(x.shape, dim)
    dof = count - correction
    # No degrees of freedom left: 0/0 is NaN and x/0 is inf, without NumPy's warning; no
    # element at all is NaN whatever the correction (PyTorch's).
    var = total / dof if dof > 0 and count else total * (math.inf if count else math.nan)
    return var, (mean if keepdim else xp.reshape(mean, var.shape))


# The three helpers below pass None through: an output of var_mean may get no gradient.

def _var_backward(grad, x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if grad is None:
        return None
    dim, correction = _correction(dim, unbiased, correction)
    shape = x.shape
    dof = reduced_count(shape, dim) - correction
    deviation = x - x.mean(dim, keepdim=True)
    return expand_reduced(grad, shape, dim, keepdim) * deviation * (
        2 / dof if dof > 0 else math.inf)


def _std_to_var_grad(grad, std):
    # d std = d var / (2 std); PyTorch takes the gradient at std == 0 to be 0, not inf.
    if grad is None:
        return None
    return (grad / (2 * std)).masked_fill(std == 0, 0)


def _mean_backward(grad, x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if grad is None:
        return None
    return mean_backward(grad, x.shape, _correction(dim, unbiased, correction)[0], keepdim)


@op(save=(0,))
def var(xp, x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``, dividing by ``N - correction`` (``correction=1`` by default).

    >>> ember.tensor([1., 2., 3., 4.]).var(correction=0)
    tensor(1.2500)
    """
    return _moments(xp, x, dim, unbiased, keepdim, correction, "var")[0]


@var.derivative
def var(ctx, grad, *args, **kwargs):
    (x,) = ctx.saved_tensors
    return _var_backward(grad, x, *args, **kwargs)


@op(save=(0,), save_output=True)
def std(xp, x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: the square root of `var` with the same arguments."""
    return xp.sqrt(_moments(xp, x, dim, unbiased, keepdim, correction, "std")[0])


@std.derivative
def std(ctx, grad, *args, **kwargs):
    x, y = ctx.saved_tensors
    return _var_backward(_std_to_var_grad(grad, y), x, *args, **kwargs)


@op(save=(0,), n_outputs=2)
def var_mean(xp, x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` in one pass; see `var` for the arguments."""
    return _moments(xp, x, dim, unbiased, keepdim, correction, "var_mean")


@var_mean.derivative
def var_mean(ctx, grad_var, grad_mean, *args, **kwargs):
    (x,) = ctx.saved_tensors
    return add_grads(_var_backward(grad_var, x, *args, **kwargs),
                     _mean_backward(grad_mean, x, *args, **kwargs))


@op(save=(0,), save_output=True, n_outputs=2)
def std_mean(xp, x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim`` in one pass; see `var` for the arguments."""
    var, mean = _moments(xp, x, dim, unbiased, keepdim, correction, "std_mean")
    return xp.sqrt(var), mean


@std_mean.derivative
def std_mean(ctx, grad_std, grad_mean, *args, **kwargs):
    x, std, _ = ctx.saved_tensors
    return add_grads(_var_backward(_std_to_var_grad(grad_std, std), x, *args, **kwargs),
                     _mean_backward(grad_mean, x, *args, **kwargs))


# ----------------------------------------------------------------------------- norms

@composite()
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The p-norm over ``dim`` (all dims by default), as ``torch.norm`` computes it: ``p`` a
    number, inf or -inf (`ember.linalg.vector_norm`), 'fro' (the 2-norm over at most two
    dims), or 'nuc' (`ember.linalg.matrix_norm` of the matrices in ``dim``).

    >>> ember.tensor([[3., 4.], [0., 0.]]).norm(dim=1)
    tensor([5., 0.])
    """
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(p, str) and (p != "fro" or dim is not None and len(dim) > 2):
        dims = dim if dim is not None else tuple(range(input.dim()))
        return matrix_norm(input, p, dims, keepdim, dtype=dtype)
    kwargs = {"dtype": dtype} if out is None else {"dtype": dtype, "out": out}
    return linalg_vector_norm(input, 2 if p in ("fro", None) else p, dim, keepdim, **kwargs)


# ----------------------------------------------------------------------------- logsumexp

@op(promote="float", save=(0,), save_output=True)
def logsumexp(xp, x, dim, keepdim=False):
    """``log(sum(exp(x)))`` over ``dim``, computed without overflow.

    >>> ember.tensor([1000., 1000.]).logsumexp(0)
    tensor(1000.6932)
    """
    axes = dims_of(dim, x.ndim, "logsumexp")
    if (dim == () or dim == []) and not keepdim and x.size and x.ndim:
        # PyTorch adds the kept-dims maxima into the reduced result, in place
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape "
                           f"{[1] * x.ndim}")
    # (the real parts' maximum for complex input: the log's imaginary part stays principal)
    shift = xp.max(x.real if x.dtype.kind == "c" else x, axis=axes, keepdims=True).astype(
        x.dtype) if x.size else xp.zeros((), x.dtype)
    shift = xp.where(xp.isinf(shift), 0, shift)  # all -inf (or an inf): nothing to shift by
    with np.errstate(divide="ignore"):  # log(0) = -inf for empty or all -inf slices
        out = xp.log(xp.sum(xp.exp(x - shift), axis=axes, keepdims=keepdim))
    return out + (shift if keepdim or not x.size else xp.reshape(shift, out.shape))


@logsumexp.derivative
def logsumexp(ctx, grad, dim, keepdim=False):
    x, y = ctx.saved_tensors
    shape = ctx.shapes[0]
    return expand_reduced(grad, shape, dim, keepdim) * (x - expand_reduced(y, shape, dim,
                                                                           keepdim)).exp()
