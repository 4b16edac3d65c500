"""Cumulative ops along one dimension: running sums, products, extrema and logsumexp."""
from __future__ import annotations

from .. import _dtype as dt
from .. import return_types
from .._creation import zeros
from ._op import op
from .reduce import acc_dtype, one_dim, readable, returning


def along(xp, x, dim):
    """``x`` with at least one dimension, and ``dim`` checked (0-d tensors scan as one element)."""
    return xp.reshape(x, x.shape or (1,)), one_dim(dim, x.ndim)


def scan_dtype(x, dtype, name: str):
    """The dtype a running sum or product accumulates in; PyTorch's kernels have no bool one
    (a 0-d or empty input runs no kernel)."""
    if dtype is not None and dt.as_dtype(dtype) is dt.bool_ and x.ndim and x.size:
        raise NotImplementedError(f'"{name}_out_cpu" not implemented for \'Bool\'')
    return acc_dtype(x, dtype)


def _along_in(xp, x, dim, dtype):
    """`along`, reading bfloat16 as PyTorch converts it to an integer ``dtype``."""
    return along(xp, readable(x, dtype), dim)


def reverse_cumsum(t, dim: int):
    """``sum_{j >= i} t_j`` along ``dim``: the derivative of a cumulative sum."""
    return t.flip(dim).cumsum(dim).flip(dim) if t.ndim else t


@op(inplace=True)
def cumsum(xp, x, dim, *, dtype=None):
    """Running sum along ``dim``; integers sum into int64.

    >>> ember.tensor([1, 2, 3]).cumsum(0)
    tensor([1, 3, 6])
    """
    flat, d = _along_in(xp, x, dim, dtype)
    return xp.reshape(xp.cumsum(flat, axis=d, dtype=scan_dtype(x, dtype, "cumsum")), x.shape)


@cumsum.derivative
def cumsum(ctx, grad, dim, *, dtype=None):
    return reverse_cumsum(grad, one_dim(dim, grad.ndim))


@op(save=(0,), save_output=True, inplace=True)
def cumprod(xp, x, dim, *, dtype=None):
    """Running product along ``dim``; integers multiply in int64."""
    flat, d = _along_in(xp, x, dim, dtype)
    return xp.reshape(xp.cumprod(flat, axis=d, dtype=scan_dtype(x, dtype, "cumprod")),
                      x.shape)


@cumprod.derivative
def cumprod(ctx, grad, dim, *, dtype=None):
    x, y = ctx.saved_tensors
    if x.ndim == 0:
        return grad
    d = one_dim(dim, x.ndim)
    zero = x == 0
    if not zero.any():
        return reverse_cumsum(grad * y, d) / x
    # Before a slice's first zero the usual sum_{j>=i} g_j y_j / x_i holds (y is 0 from that
    # zero on, so the sum is 0 there too). At the first zero itself, the gradient is that sum
    # over the running product with the zero replaced by one; after it, every product
    # has a zero factor other than x_i, and the gradient is 0.
    first_zero = zero.logical_and(zero.cumsum(d) == 1)
    at_first_zero = reverse_cumsum(grad * x.masked_fill(first_zero, 1).cumprod(d), d)
    return (reverse_cumsum(grad * y, d) / x.masked_fill(zero, 1)
            + at_first_zero.masked_fill(first_zero.logical_not(), 0))


def _running_extreme(name: str, pick: str):
    def running(xp, x, dim):
        if not x.size:  # nothing to scan, whatever the dim (as PyTorch)
            return x.copy(), xp.zeros(x.shape, xp.int64)
        flat, d = along(xp, x, dim)
        values = getattr(xp, pick).accumulate(flat, axis=d)
        # The index of the last element equal to the running extreme so far (PyTorch moves
        # the index on ties), where a NaN, once seen, stays the extreme.
        hits = flat == values
        if flat.dtype.kind in "fc":
            hits |= xp.isnan(flat)
        shape = [1] * flat.ndim
        shape[d] = flat.shape[d]
        positions = xp.reshape(xp.arange(flat.shape[d]), shape)
        indices = xp.maximum.accumulate(xp.where(hits, positions, 0), axis=d)
        return xp.reshape(values, x.shape), xp.reshape(indices, x.shape)
    running.__name__ = name
    running.__doc__ = f"""``(values, indices)`` of the running {pick}imum along ``dim``.

    >>> ember.tensor([1., 3., 2., 5.]).{name}(0).values
    tensor({"[1., 3., 3., 5.]" if pick == "maximum" else "[1., 1., 1., 1.]"})
    """
    entry = op(n_outputs=2, differentiable_outputs=(True, False), save_output=True)(running)

    @entry.derivative
    def _(ctx, grad, grad_indices, dim):
        indices = ctx.saved_tensors[1]
        if grad.ndim == 0:
            return grad
        return zeros(grad.shape, dtype=grad.dtype, device=grad.device).scatter_add(
            one_dim(dim, grad.ndim), indices, grad)
    return returning(entry, getattr(return_types, name))


cummax = _running_extreme("cummax", "maximum")
cummin = _running_extreme("cummin", "minimum")


@op(save=(0,), save_output=True)
def logcumsumexp(xp, x, dim):
    """``log(cumsum(exp(x)))`` along ``dim``, without overflow or underflow."""
    if x.dtype.kind not in "fc":
        raise NotImplementedError(f"not implemented for integer or bool dtype {x.dtype}")
    flat, d = along(xp, x, dim)
    return xp.reshape(xp.logaddexp.accumulate(flat, axis=d), x.shape)


@logcumsumexp.derivative
def logcumsumexp(ctx, grad, dim):
    # grad_i = sum_{j>=i} g_j exp(x_i - y_j). Summed in log space, positive and negative
    # parts of g apart, so that no exp overflows (the scheme TensorFlow uses).
    x, y = ctx.saved_tensors
    if x.ndim == 0:
        return grad
    d = one_dim(dim, x.ndim)

    def part(g):
        log_g = g.masked_fill(g <= 0, 1).log().masked_fill(g <= 0, float("-inf"))
        return (log_g - y).flip(d).logcumsumexp(d).flip(d).add(x).exp()
    return part(grad) - part(-grad)
