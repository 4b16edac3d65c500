"""Linear-algebra functions composed from table ops: their gradients come for free.

Also the named-tuple results (``ember.linalg.slogdet(A).logabsdet``...) and PyTorch's older
top-level API (``ember.svd`` returning V rather than Vh, ``ember.qr(some=True)``...).
"""
from __future__ import annotations

from collections import namedtuple

from .._tensor import Tensor
from .._creation import eye, full, zeros, empty
from .. import _dtype as dt
from ._op import composite
from .contraction import contract
from .decompositions import (LinAlgError, linalg_cholesky, linalg_det, linalg_eig, linalg_eigh,
                             linalg_inv, linalg_matrix_rank, linalg_pinv, linalg_qr,
                             linalg_slogdet, linalg_solve, linalg_svd, linalg_svdvals, triangle)
from .linalg import adjoint, matmul, mm
from .shape import broadcast_shapes


def _result_type(name: str, fields: str):
    cls = namedtuple(name, fields)
    cls.__repr__ = lambda self: f"ember.return_types.{name}(" + ", ".join(
        f"\n{f}={v!r}" for f, v in zip(self._fields, self)) + ")"
    return cls


SlogdetResult = _result_type("linalg_slogdet", "sign logabsdet")
EighResult = _result_type("linalg_eigh", "eigenvalues eigenvectors")
EigResult = _result_type("linalg_eig", "eigenvalues eigenvectors")
QRResult = _result_type("linalg_qr", "Q R")
SVDResult = _result_type("linalg_svd", "U S Vh")
LstsqResult = _result_type("linalg_lstsq", "solution residuals rank singular_values")
InvExResult = _result_type("linalg_inv_ex", "inverse info")
CholeskyExResult = _result_type("linalg_cholesky_ex", "L info")
OldSVDResult = _result_type("svd", "U S V")
OldQRResult = _result_type("qr", "Q R")
OldSlogdetResult = _result_type("slogdet", "sign logabsdet")


# ----------------------------------------------------------------------------- ember.linalg

def slogdet(A: Tensor) -> SlogdetResult:
    """``(sign, logabsdet)`` of each square matrix: the determinant without overflow."""
    return SlogdetResult(*linalg_slogdet(A))


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and orthonormal eigenvectors of Hermitian matrices."""
    return EighResult(*linalg_eigh(A, UPLO))


def eig(A: Tensor) -> EigResult:
    """Complex eigenvalues and eigenvectors of general square matrices."""
    return EigResult(*linalg_eig(A))


def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """``A = Q R``: ``mode`` 'reduced', 'complete' or 'r'."""
    return QRResult(*linalg_qr(A, mode))


def svd(A: Tensor, full_matrices: bool = True, *, driver=None) -> SVDResult:
    """``A = U diag(S) Vh`` with ``S`` descending.

    >>> U, S, Vh = ember.linalg.svd(ember.randn(4, 3), full_matrices=False)
    """
    return SVDResult(*linalg_svd(A, full_matrices, driver=driver))


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices, multiplied in the cheapest order.

    The first and last may be 1-d (a row and a column vector).
    """
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    if first:
        tensors[0] = tensors[0].unsqueeze(0)
    if last:
        tensors[-1] = tensors[-1].unsqueeze(-1)
    for i, t in enumerate(tensors):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    out = _chain(tensors, _chain_order([t.shape[0] for t in tensors] + [tensors[-1].shape[1]]),
                 0, len(tensors) - 1)
    if first:
        out = out.squeeze(0)
    if last:
        out = out.squeeze(-1)
    return out


def _chain_order(dims):
    # The classic matrix-chain dynamic programme: split[i][j] is where to cut A_i..A_j.
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1], k)
                for k in range(i, j))
    return split


def _chain(tensors, split, i, j):
    if i == j:
        return tensors[i]
    k = split[i][j]
    return mm(_chain(tensors, split, i, k), _chain(tensors, split, k + 1, j))


@composite()
def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times; negative ``n`` powers the inverse.

    >>> ember.linalg.matrix_power(ember.eye(2) * 2, -1)
    tensor([[0.5000, 0.0000],
            [0.0000, 0.5000]])
    """
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but "
                           f"they are {' by '.join(map(str, A.shape[-2:]))} matrices")
    if n == 0:  # the identity, still connected to A's graph (with a zero gradient)
        return _zeros_from(A) + eye(A.shape[-1], dtype=A.dtype, device=A.device)
    if n == 1 or n > 0 and not A.numel():  # no product to compute (nor dtype to refuse)
        return A.clone()
    if n < 0:
        A, n = linalg_inv(A), -n
    result = None
    while n:
        if n & 1:
            result = A if result is None else matmul(result, A)
        n >>= 1
        if n:
            A = matmul(A, A)
    return result


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None) -> LstsqResult:
    """The least-squares solution of ``A X = B``, with PyTorch's extra results per driver.

    The default driver ('gelsy') gives the rank but no residuals or singular values;
    'gelsd' and 'gelss' give all three; 'gels' gives residuals only.
    """
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           f"gelsy, gelsd, gelss)")
    vector = B.ndim == A.ndim - 1
    if vector:
        B = B.unsqueeze(-1)
    if A.shape[-2] != B.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) "
                           f"({A.shape[-2]} and {B.shape[-2]})")
    m, n = A.shape[-2:]
    solution = matmul(linalg_pinv(A, rtol=rcond), B)
    rank = linalg_matrix_rank(A, rtol=rcond) if driver != "gels" else \
        empty(0, dtype=dt.int64, device=A.device)
    residuals = empty(0, dtype=A.dtype, device=A.device)
    full_rank = driver == "gels" or bool((rank._data == n).all())
    if driver != "gelsy" and m > n and full_rank:
        residuals = ((matmul(A, solution) - B).abs() ** 2).sum(-2)
    singular_values = linalg_svdvals(A) if driver in ("gelsd", "gelss") else \
        empty(0, dtype=A.dtype, device=A.device)
    if vector:
        solution = solution.squeeze(-1)
    return LstsqResult(solution, residuals, rank, singular_values)


def _info_on_failure(compute, A, check_errors, result_type):
    info = zeros(*A.shape[:-2], dtype=dt.int32, device=A.device)
    try:
        return result_type(compute(), info)
    except LinAlgError:
        if check_errors:
            raise
    return result_type(full(A.shape, float("nan"), dtype=A.dtype, device=A.device), info + 1)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """``(inverse, info)``: info is nonzero where ``A`` is singular (then no error unless
    ``check_errors``)."""
    return _info_on_failure(lambda: linalg_inv(A), A, check_errors, InvExResult)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    """``(L, info)``: info is nonzero where ``A`` is not positive-definite."""
    return _info_on_failure(lambda: linalg_cholesky(A, upper=upper), A, check_errors,
                            CholeskyExResult)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """Solve ``A X = B`` (``X A = B`` when not ``left``) reading only one triangle of ``A``.

    With ``unitriangular`` the diagonal of ``A`` is taken to be ones.
    """
    if B.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: The input tensor B must have at least 2 "
                           f"dimensions.")
    T = triangle(A, upper, diagonal=0.0 if unitriangular else 1.0)
    if unitriangular:
        T = T + eye(A.shape[-1], dtype=A.dtype, device=A.device)
    # B is always a matrix here, never linalg.solve's batch of vectors: batches broadcast
    batch = tuple(broadcast_shapes(T.shape[:-2], B.shape[:-2]))
    return linalg_solve(T.expand(*batch, *T.shape[-2:]), B.expand(*batch, *B.shape[-2:]),
                        left=left)


@composite()
def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """Solve ``A X = B`` given the Cholesky factor ``L`` of ``A`` (two triangular solves)."""
    if upper:
        return solve_triangular(L, solve_triangular(adjoint(L), B, upper=False), upper=True)
    return solve_triangular(adjoint(L), solve_triangular(L, B, upper=False), upper=True)


@composite()
def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """The inverse of ``A`` from its Cholesky factor ``L``."""
    identity = eye(L.shape[-1], dtype=L.dtype, device=L.device).expand(*L.shape)
    return cholesky_solve(identity, L, upper)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """Powers ``x**0 ... x**(N-1)`` of each element along a new last dimension."""
    return _powers(x, x.shape[-1] if N is None else N, increasing=True)


def _zeros_from(x: Tensor) -> Tensor:
    """Zeros of ``x``'s shape and dtype, in ``x``'s graph (not ``x * 0``: NaN at infinities)."""
    return x.clone().zero_()


def _powers(x, N, increasing):
    from .. import stack
    if N == 0:  # no columns (stack has nothing to stack)
        return (_zeros_from(x) + 1).unsqueeze(-1).narrow(-1, 0, 0)
    columns = [_zeros_from(x) + 1]
    for _ in range(N - 1):
        columns.append(columns[-1] * x)
    return stack(columns[:N] if increasing else columns[:N][::-1], -1)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along ``dim`` (conjugating ``x``), broadcasting."""
    return ((x.conj() if x.is_complex() else x) * y).sum(dim)


# ----------------------------------------------------------------------------- top level

@composite()
def cholesky(A: Tensor, upper: bool = False) -> Tensor:
    """The Cholesky factor of each positive-definite matrix (``linalg.cholesky``)."""
    if not A.numel():  # PyTorch returns an empty input as it is, of any dtype and rank
        return A.clone()
    if A.ndim < 2:
        raise RuntimeError(f"cholesky: The input tensor A must have at least 2 dimensions, "
                           f"got {A.ndim}")
    if not (A.is_floating_point() or A.is_complex()) or A.dtype == dt.bfloat16:
        raise NotImplementedError(f"\"cholesky_cpu\" not implemented for '{A.dtype}'")
    # the factor of the triangle it names (linalg.cholesky always reads the lower one)
    return linalg_cholesky(A.mH, upper=True) if upper else linalg_cholesky(A)


composite("det")(linalg_det.fn)
composite("inverse")(linalg_inv.fn)


@composite("svd")
def old_svd(A: Tensor, some: bool = True, compute_uv: bool = True) -> OldSVDResult:
    """PyTorch's older SVD: ``A = U diag(S) V^H``, returning ``V`` (not ``Vh``)."""
    if A.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has "
                           f"{A.ndim} dimensions instead")
    if not compute_uv:
        m, n = A.shape[-2:]
        return OldSVDResult(zeros(*A.shape[:-2], m, m, dtype=A.dtype, device=A.device),
                            linalg_svdvals(A),
                            zeros(*A.shape[:-2], n, n, dtype=A.dtype, device=A.device))
    U, S, Vh = linalg_svd(A, not some)
    return OldSVDResult(U, S, adjoint(Vh))


@composite("qr")
def old_qr(A: Tensor, some: bool = True) -> OldQRResult:
    """PyTorch's older QR: ``some`` chooses the reduced (True) or complete factorization."""
    return OldQRResult(*linalg_qr(A, "reduced" if some else "complete"))


@composite("slogdet")
def old_slogdet(A: Tensor) -> OldSlogdetResult:
    """``(sign, logabsdet)`` of each square matrix."""
    return OldSlogdetResult(*linalg_slogdet(A))


@composite()
def pinverse(A: Tensor, rcond: float = 1e-15) -> Tensor:
    """The pseudo-inverse, dropping singular values below ``rcond`` times the largest."""
    return linalg_pinv(A, rtol=rcond)


@composite()
def logdet(A: Tensor) -> Tensor:
    """``log(det(A))``: NaN where the determinant is negative, -inf where it is 0."""
    sign, logabsdet = linalg_slogdet(A)
    return logabsdet + sign.log()


@composite(method=False)
def chain_matmul(*matrices) -> Tensor:
    """The product of 2-d matrices (``linalg.multi_dot`` without vector ends)."""
    for i, m in enumerate(matrices):
        if not isinstance(m, Tensor):
            raise TypeError(f"chain_matmul(): expected Tensor as element {i} in argument 0, "
                            f"but got {type(m).__name__}")
    if len(matrices) == 1:
        return matrices[0]
    return multi_dot(matrices)


@composite(method=False)
def einsum(equation, *operands) -> Tensor:
    """Sum products of the operands' elements over the labels an equation names.

    >>> ember.einsum('ij,jk->ik', ember.randn(2, 3), ember.randn(3, 4)).shape
    ember.Size([2, 4])

    Also the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.
    """
    from .contraction import from_sublists
    if not isinstance(equation, str):
        equation, operands = from_sublists((equation,) + operands)
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return contract(equation, *operands)


@composite("vander", method=False)
def vander_decreasing(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """``ember.vander``: powers of a 1-d ``x`` as columns, decreasing unless ``increasing``."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if not (x.is_floating_point() or x.is_complex()):
        x = x.long()  # integer powers in int64, as PyTorch computes them
    return _powers(x, x.shape[0] if N is None else N, increasing)
