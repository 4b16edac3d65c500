"""The LU family (`lu_factor_ex`, `lu_factor`, `lu`, `lu_unpack`, `lu_solve`, `solve_ex`),
`tensorinv`, `tensorsolve` and `householder_product`. Only the factorization is an op of
the table (its derivative beside it); the rest is written with other ops, so their
gradients come from those."""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .._tensor import Tensor
from .._dtype import int32 as _int32
from .._creation import eye, tensor
from ._op import composite, op
from .decompositions import LinAlgError, _check_matrices, linalg_inv, linalg_solve
from .linalg import adjoint, matmul
from .linalg_composite import solve_triangular

LUFactorResult = namedtuple("LUFactorResult", "LU pivots")
LUFactorExResult = namedtuple("LUFactorExResult", "LU pivots info")
LUResult = namedtuple("LUResult", "P L U")
LUUnpackResult = namedtuple("LUUnpackResult", "P L U")
SolveExResult = namedtuple("SolveExResult", "result info")


# ------------------------------------------------------------------------- factorization

@op(n_outputs=3, differentiable_outputs=(True, False, False), save_output=True,
    method=False, function=False)
def linalg_lu_factor_ex(xp, A, *, pivot=True, check_errors=False):
    """``P A = L U`` by Gaussian elimination with partial pivoting, packed as LAPACK's getrf
    packs it: ``L`` (unit diagonal) below, ``U`` on and above the diagonal; 1-based int32
    row swaps ``pivots``; ``info`` > 0 names the first zero pivot (1-based)."""
    _check_matrices(A, "lu_factor_ex", square=False)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the "
                           "CPU")
    *batch, m, n = A.shape
    k = min(m, n)
    LU = A.reshape((math.prod(batch), m, n)).copy()
    pivots = xp.empty((LU.shape[0], k), dtype=xp.int32)
    info = xp.zeros(LU.shape[0], dtype=xp.int32)
    rows = xp.arange(LU.shape[0])
    for j in range(k):
        column = LU[:, j:, j]
        # LAPACK picks the largest |re| + |im|, which is |x| for real numbers
        p = j + xp.argmax(xp.abs(column.real) + xp.abs(column.imag), axis=1)
        pivots[:, j] = p + 1
        row_p = LU[rows, p].copy()
        LU[rows, p] = LU[:, j]
        LU[:, j] = row_p
        diagonal = LU[:, j, j]
        zero = diagonal == 0
        info = xp.where(zero & (info == 0), j + 1, info).astype(xp.int32)
        # a zero pivot has only zeros below it: leave them (dividing by 1)
        LU[:, j + 1:, j] /= xp.where(zero, 1, diagonal)[:, None]
        LU[:, j + 1:, j + 1:] -= LU[:, j + 1:, j, None] * LU[:, j, None, j + 1:]
    if check_errors and info.any():
        raise LinAlgError(f"torch.linalg.lu_factor_ex: U[{int(info.max())},{int(info.max())}] "
                          "is zero and using it on lu_solve would result in a division by zero.")
    return (LU.reshape(A.shape), pivots.reshape(tuple(batch) + (k,)),
            info.reshape(tuple(batch)))


@linalg_lu_factor_ex.derivative
def linalg_lu_factor_ex(ctx, grad_LU, grad_pivots, grad_info, *, pivot=True,
                        check_errors=False):
    LU, pivots, _ = ctx.saved_tensors
    L, U = _unpack_LU(LU)
    k = min(LU.shape[-2:])
    grad_L, grad_U = grad_LU[..., :, :k].tril(-1), grad_LU[..., :k, :].triu()
    return matmul(_permutation_matrix(pivots, LU), _lu_pullback(L, U, grad_L, grad_U))


def _lu_pullback(L: Tensor, U: Tensor, grad_L: Tensor, grad_U: Tensor) -> Tensor:
    """The gradient of ``A = L U`` (no pivoting) from those of the factors; for wide
    matrices ``U = [U1 U2]``: ``[L^-H (tril_-1(L^H gL - gU U^H) U1^-H + gU1), L^-H gU2]``,
    and the transposed reasoning for tall ones."""
    from .. import cat
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m <= n:
        U1 = U[..., :, :k]
        inner = (matmul(adjoint(L), grad_L) - matmul(grad_U, adjoint(U))).tril(-1)
        inner = solve_triangular(adjoint(U1), inner, upper=False, left=False)
        inner = cat([inner + grad_U[..., :, :k], grad_U[..., :, k:]], dim=-1)
        return solve_triangular(adjoint(L), inner, upper=True, unitriangular=True)
    L1 = L[..., :k, :]
    inner = (matmul(grad_U, adjoint(U)) - matmul(adjoint(L), grad_L)).triu()
    inner = solve_triangular(adjoint(L1), inner, upper=True, unitriangular=True)
    inner = cat([inner + grad_L[..., :k, :], grad_L[..., k:, :]], dim=-2)
    return solve_triangular(adjoint(U), inner, upper=False, left=False)


def _unpack_LU(LU: Tensor) -> tuple[Tensor, Tensor]:
    m, n = LU.shape[-2:]
    k = min(m, n)
    L = LU[..., :, :k].tril(-1) + eye(m, k, dtype=LU.dtype, device=LU.device)
    return L, LU[..., :k, :].triu()


def _permutation_matrix(pivots: Tensor, like: Tensor) -> Tensor:
    """``P`` with ``P^T A`` = ``A`` with the rows swapped as ``pivots`` says, in order."""
    pivots_np = np.asarray(pivots._host()) - 1
    m = like.shape[-2]
    perm = np.broadcast_to(np.arange(m), pivots_np.shape[:-1] + (m,)).copy()
    for j in range(pivots_np.shape[-1]):
        p = pivots_np[..., j:j + 1]
        row_j, row_p = perm[..., j:j + 1].copy(), np.take_along_axis(perm, p, -1)
        perm[..., j:j + 1] = row_p
        np.put_along_axis(perm, p, row_j, -1)
    P_T = eye(m, dtype=like.dtype, device=like.device)[tensor(perm, device=like.device)]
    return P_T.mT


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False):
    """``(LU, pivots, info)``: the packed LU factorization with partial pivoting; ``info``
    is nonzero where a pivot is zero (no error unless ``check_errors``)."""
    return LUFactorExResult(*linalg_lu_factor_ex(A, pivot=pivot, check_errors=check_errors))


def lu_factor(A: Tensor, *, pivot: bool = True):
    """``(LU, pivots)`` of ``A`` (see `lu_factor_ex`); singular matrices raise.

    >>> LU, pivots = ember.linalg.lu_factor(ember.tensor([[1., 2.], [3., 4.]]))
    >>> pivots
    tensor([2, 2], dtype=ember.int32)
    """
    LU, pivots, info = linalg_lu_factor_ex(A, pivot=pivot)
    failed = info.flatten().nonzero()
    if failed.numel():
        b = int(failed[0, 0])
        i = int(info.flatten()[b])
        where = f"(Batch element {b}): " if info.ndim else ""
        raise LinAlgError(f"torch.linalg.lu_factor: {where}U[{i},{i}] is zero and using it on "
                          "lu_solve would result in a division by zero. If you still want to "
                          "perform the factorization, consider calling linalg.lu(A, pivot) or "
                          "linalg.lu_factor_ex(A, pivot)")
    return LUFactorResult(LU, pivots)


def _check_pivots(name: str, LU: Tensor, pivots: Tensor) -> None:
    """Refuse pivots that aren't `lu_factor`'s: int32, one per column of each factor,
    each a row number from 1 (PyTorch reads the pivots of a wrong shape out of bounds)."""
    if pivots.dtype != _int32:
        raise RuntimeError(f"{name}: LU_pivots is expected to be a contiguous tensor of "
                           f"torch.int32 dtype, got {pivots.dtype}")
    m, n = LU.shape[-2:]
    if tuple(pivots.shape) != tuple(LU.shape[:-2]) + (min(m, n),):
        raise RuntimeError(f"{name}: expected pivots of shape "
                           f"{list(LU.shape[:-2]) + [min(m, n)]}, got {list(pivots.shape)}")
    if pivots.numel() and bool(((pivots < 1) | (pivots > m)).any()):
        raise RuntimeError(f"{name}: pivots passed to lu_unpack must be between 1 and "
                           f"LU.size(-2) inclusive.")


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True):
    """``(P, L, U)`` from the packed factorization of `lu_factor`."""
    if LU_data.ndim < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(LU_data.shape)} instead")
    if unpack_pivots:
        _check_pivots("torch.lu_unpack", LU_data, LU_pivots)
    P = _permutation_matrix(LU_pivots, LU_data) if unpack_pivots else \
        LU_data.new_empty(0)
    L, U = _unpack_LU(LU_data) if unpack_data else (LU_data.new_empty(0),) * 2
    return LUUnpackResult(P, L, U)


def lu(A: Tensor, *, pivot: bool = True):
    """``(P, L, U)`` with ``A = P L U``: ``L`` unit lower-trapezoidal, ``U``
    upper-trapezoidal, ``P`` a permutation matrix.

    >>> P, L, U = ember.linalg.lu(ember.tensor([[1., 2.], [3., 4.]]))
    >>> U
    tensor([[3.0000, 4.0000],
            [0.0000, 0.6667]])
    """
    LU, pivots, _ = linalg_lu_factor_ex(A, pivot=pivot)
    return LUResult(*lu_unpack(LU, pivots))


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
             adjoint: bool = False) -> Tensor:
    """Solve ``A X = B`` from the factorization ``(LU, pivots)`` of ``A``
    (``X A = B`` when not ``left``; ``A^H`` in place of ``A`` with ``adjoint``)."""
    from .linalg import adjoint as adj
    if LU.ndim < 2 or B.ndim < 2:
        raise RuntimeError(f"torch.linalg.lu_solve: Expected LU and B to have at least 2 "
                           f"dimensions, got {tuple(LU.shape)} and {tuple(B.shape)}")
    if not (LU.is_floating_point() or LU.is_complex()):
        raise RuntimeError(f"torch.linalg.lu_solve: Expected a floating point or complex "
                           f"tensor as input. Got {LU.dtype}")
    if LU.dtype != B.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but "
                           f"found LU of type {LU.dtype} and B of type {B.dtype} instead")
    if pivots.dtype != _int32:
        raise RuntimeError(f"linalg.lu_solve: pivots should be a Tensor of scalar type "
                           f"torch.int32, got {pivots.dtype}")
    n = LU.shape[-1]
    if LU.shape[-2] != n:
        raise RuntimeError(f"torch.linalg.lu_solve: Expected LU to be square, got "
                           f"{tuple(LU.shape)}")
    if B.shape[-2 if left else -1] != n:
        raise RuntimeError(f"torch.linalg.lu_solve: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if pivots.ndim == 0:  # (PyTorch reads the pivots' last size here)
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    P, L, U = lu_unpack(LU, pivots)
    if not left:  # X A = B  <=>  A^H X^H = B^H
        return adj(lu_solve(LU, pivots, adj(B), adjoint=not adjoint))
    if adjoint:  # A^H = U^H L^H P^T
        Y = solve_triangular(adj(U), B, upper=False)
        return matmul(P, solve_triangular(adj(L), Y, upper=True, unitriangular=True))
    Y = solve_triangular(L, matmul(adj(P), B), upper=False, unitriangular=True)
    return solve_triangular(U, Y, upper=True)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False):
    """``(result, info)``: `linalg.solve` that reports singular matrices in ``info``
    (nonzero: the first zero pivot) instead of raising, unless ``check_errors``."""
    LU, pivots, info = linalg_lu_factor_ex(A.detach())
    if not bool(info.any()):
        return SolveExResult(linalg_solve(A, B, left=left), info)
    if check_errors:
        raise LinAlgError("torch.linalg.solve_ex: The solver failed because the input matrix "
                          "is singular.")
    # no solution exists: NaN, in the shape a solution would have (as `inv_ex` does)
    identity = eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(*A.shape)
    return SolveExResult(linalg_solve(identity, B, left=left).fill_(float("nan")), info)


# ------------------------------------------------------------------------- tensor inverses

def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of ``A`` seen as a linear map from its last ``A.ndim - ind`` dimensions to
    its first ``ind``: the result has shape ``A.shape[ind:] + A.shape[:ind]``."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement "
                           f"prod(self.shape[ind:]) == prod(self.shape[:ind]), but got "
                           f"{cols} != {rows}")
    inverse = linalg_inv(A.reshape(rows, cols))
    return inverse.reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """``X`` with ``tensordot(A, X, X.ndim) = B`` (``dims``: dimensions of ``A`` moved to the
    end first); ``X`` has shape ``A.shape[B.ndim:]``."""
    if dims is not None:
        dims = [dims] if isinstance(dims, int) else list(dims)
        A = A.movedim(dims, list(range(A.ndim - len(dims), A.ndim)))
    result_shape = tuple(A.shape[B.ndim:])
    rows, cols = math.prod(B.shape), math.prod(result_shape)
    if tuple(A.shape[:B.ndim]) != tuple(B.shape) or rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement "
                           f"prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
                           f"but got {cols} != {rows}")
    return linalg_solve(A.reshape(rows, cols), B.reshape(rows)).reshape(result_shape)


# ------------------------------------------------------------------------ householder

def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first ``n`` columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^H``, where
    ``v_i`` is column ``i`` of ``A`` below the diagonal with a 1 on it (LAPACK's orgqr).

    >>> ember.linalg.householder_product(ember.zeros(3, 2), ember.zeros(2))
    tensor([[1., 0.],
            [0., 1.],
            [0., 0.]])
    """
    if A.ndim < 2:
        raise RuntimeError(f"torch.linalg.householder_product: input must have at least 2 "
                           f"dimensions, got a tensor of shape {tuple(A.shape)}")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(f"torch.linalg.householder_product: input.shape[-2] must be greater "
                           f"than or equal to input.shape[-1] (got {tuple(A.shape)})")
    if tau.ndim == 0:  # PyTorch reads tau.size(-1) next
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    if tau.shape[-1] > n:
        raise RuntimeError(f"torch.linalg.householder_product: input.shape[-1] must be greater "
                           f"than or equal to tau.shape[-1] (got input {tuple(A.shape)} and tau "
                           f"{tuple(tau.shape)})")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(f"torch.linalg.householder_product: Expected tau to have one "
                           f"dimension less than input, but got tau.ndim equal to {tau.ndim} "
                           f"and input.ndim is equal to {A.ndim}")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"torch.linalg.householder_product: Expected batch dimensions of "
                           f"tau to be equal to input.shape[:-2], but got "
                           f"{list(tau.shape[:-1])}")
    k = tau.shape[-1]
    if A.dtype != tau.dtype:
        raise RuntimeError(f"torch.linalg.householder_product: tau dtype {tau.dtype} does not "
                           f"match input dtype {A.dtype}")
    identity = eye(m, n, dtype=A.dtype, device=A.device)
    V = A.tril(-1) + identity
    Q = identity.expand(*A.shape)
    for i in reversed(range(k)):
        v = V[..., :, i:i + 1]
        Q = Q - tau[..., i, None, None] * v * (v.mH @ Q)
    return Q


# ------------------------------------------------------------------- PyTorch's older API

@composite("lu")
def lu_legacy(A: Tensor, pivot: bool = True, get_infos: bool = False):
    """``ember.lu``: ``(LU, pivots)`` (plus ``infos`` with ``get_infos``); singular
    matrices are factored, as in PyTorch (whose ``check_errors`` doesn't cover them)."""
    if A.ndim >= 2 and not A.numel():  # no kernel runs: any dtype, an empty factorization
        from .._creation import zeros
        batch = tuple(A.shape[:-2])
        found = (A.clone(), zeros(batch + (min(A.shape[-2:]),), dtype=_int32,
                                  device=A.device))
        return found + (zeros(batch, dtype=_int32, device=A.device),) * get_infos
    found = tuple(linalg_lu_factor_ex(A, pivot=pivot))
    return found if get_infos else found[:2]


@composite("lu_solve")
def lu_solve_legacy(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """``ember.lu_solve``: `linalg.lu_solve` with the right-hand side first."""
    return lu_solve(LU_data, LU_pivots, b)


composite("lu_unpack", method=False)(lu_unpack)
composite("orgqr")(householder_product)
