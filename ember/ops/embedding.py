"""Embedding lookup: rows of a weight table picked by integer indices.

The forward is one ``take`` along the rows. The derivative adds each looked-up row's
gradient back into its row of the table (`embedding_backward`), leaving the padding row
at zero and, with ``scale_grad_by_freq``, dividing by how often each row was looked up.
"""
from __future__ import annotations

import numpy as np

from .._tensor import wrap
from ._op import op
from .index import check_select_bounds


def _rows(indices, shape):
    """The flat row indices, checked against the table's ``shape`` as PyTorch's
    ``index_select`` checks them."""
    flat = indices.reshape(-1)
    check_select_bounds(shape, 0, flat, f"a table of {shape[0]} rows")
    return flat


@op(nin=2, save=(1,), method=False)
def embedding(xp, weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """The rows of ``weight`` (num_embeddings, dim) at ``indices``: shape (*indices, dim).

    >>> ember.embedding(ember.eye(3), ember.tensor([2, 0]))
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if indices.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {indices.dtype} "
                           f"instead (while checking arguments for embedding)")
    rows = _rows(indices, weight.shape)
    return xp.take(weight, rows, axis=0).reshape(indices.shape + weight.shape[1:])


@embedding.derivative
def embedding(ctx, grad, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    (indices,) = ctx.saved_tensors
    return embedding_backward.fn(grad, indices, ctx.shapes[0][0], padding_idx,
                                 scale_grad_by_freq), None


@embedding.onnx
def embedding(g, weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    return g.op("Gather", weight, indices, axis=0)


@op(nin=2, save=(1,), method=False, function=False)
def embedding_backward(xp, grad, indices, num_weights, padding_idx, scale_grad_by_freq):
    """The gradient of `embedding` for its table: each lookup's gradient added to its row."""
    rows = indices.reshape(-1)
    dim = grad.shape[-1]
    g = grad.reshape(-1, dim)
    weights = _row_weights(xp, rows, num_weights, padding_idx, scale_grad_by_freq, g.dtype)
    if weights is not None:
        g = g * weights[:, None]
    out = xp.zeros((num_weights, dim), dtype=grad.dtype)
    if xp is np and out.dtype.kind == "f" and out.dtype.itemsize >= 4:
        from ..kernels.embedding import add_rows
        # one pass over the lookups, summed in np.add.at's order
        add_rows(out, rows, np.ascontiguousarray(g, dtype=out.dtype))
    else:
        xp.add.at(out, rows, g)
    return out


def _row_weights(xp, rows, num_weights, padding_idx, scale_grad_by_freq, dtype):
    """Per-lookup factors: 0 at the padding row, 1/count with ``scale_grad_by_freq``."""
    if not scale_grad_by_freq and padding_idx < 0:
        return None
    weights = xp.ones(rows.shape, dtype=dtype)
    if scale_grad_by_freq:
        weights /= xp.bincount(rows, minlength=num_weights)[rows].astype(dtype)
    if padding_idx >= 0:
        weights[rows == padding_idx] = 0
    return weights


@embedding_backward.derivative
def embedding_backward(ctx, grad_weight, num_weights, padding_idx, scale_grad_by_freq):
    (indices,) = ctx.saved_tensors
    rows = indices._data.reshape(-1)
    looked_up = embedding.fn(grad_weight, indices)
    weights = _row_weights(indices._xp, rows, num_weights, padding_idx, scale_grad_by_freq,
                           grad_weight._data.dtype)
    if weights is not None:
        looked_up = looked_up * wrap(weights.reshape(tuple(indices.shape) + (1,)))
    return looked_up, None
