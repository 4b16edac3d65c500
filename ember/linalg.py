"""`ember.linalg`: PyTorch's linear-algebra namespace.

Everything here is an op of the table (`ember/ops/decompositions.py`, `norms.py`,
`linalg.py`) or composed from them (`ember/ops/linalg_composite.py`); this module only names
them. The top-level ``ember.det``, ``ember.svd`` (PyTorch's older API)... are registered as
composites in `ember/ops/linalg_composite.py`.
"""
from __future__ import annotations

from ._tensor import Tensor
from .ops import TABLE
from .ops.decompositions import LinAlgError
from .ops.linalg_composite import (slogdet, eigh, eig, qr, svd, multi_dot, matrix_power,
                                   lstsq, inv_ex, cholesky_ex, vander, vecdot,
                                   solve_triangular)
from .ops.norms import matrix_norm, norm, cond
from .ops.linalg_factor import (householder_product, lu_factor, lu_factor_ex, lu, lu_solve,
                                 solve_ex, tensorinv, tensorsolve)

inv = TABLE["linalg_inv"].fn
det = TABLE["linalg_det"].fn
solve = TABLE["linalg_solve"].fn
cholesky = TABLE["linalg_cholesky"].fn
svdvals = TABLE["linalg_svdvals"].fn
eigvalsh = TABLE["linalg_eigvalsh"].fn
eigvals = TABLE["linalg_eigvals"].fn
pinv = TABLE["linalg_pinv"].fn
matrix_rank = TABLE["linalg_matrix_rank"].fn
vector_norm = TABLE["linalg_vector_norm"].fn
matmul = TABLE["matmul"].fn
matrix_exp = TABLE["matrix_exp"].fn


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the last by default), broadcasting."""
    return TABLE["cross"].fn(input, other, dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of a batch of matrices (a view)."""
    return A.diagonal(offset, dim1, dim2)
