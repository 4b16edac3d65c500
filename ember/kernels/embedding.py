"""The embedding table's gradient: looked-up rows' gradients added into their rows."""
from __future__ import annotations

from . import kernel


@kernel()
def add_rows(out, rows, grad):
    """``out[rows[k]] += grad[k]`` for each lookup ``k`` in turn (a row looked up twice gets
    both gradients, summed in lookup order)."""
    dim = grad.shape[1]
    for k in range(rows.size):
        r = rows[k]
        for j in range(dim):
            out[r, j] += grad[k, j]
