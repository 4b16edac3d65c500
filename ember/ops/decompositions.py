"""`ember.linalg`'s factorizations and solvers, each with its derivative.

Inputs are batches of matrices (``(..., m, n)``). Derivatives are the standard matrix-calculus
formulas, written with ember ops (matmul, solve, the factorizations themselves) so that they
can be differentiated again. Triangular parts are taken with constant 0/1 masks.
Failures of the factorization itself raise `LinAlgError`, a RuntimeError, as PyTorch does.
"""
from __future__ import annotations

from ._op import op
from .linalg import adjoint, conj, matmul, title_name


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (singular, not positive-definite...)."""


def _check_matrices(A, name: str, square: bool = True) -> None:
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if A.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {title_name(A)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _eye_like(x, n: int):
    from .._creation import eye
    return eye(n, dtype=x.dtype, device=x.device)


def _diag_embed(v):
    """A batch of diagonal matrices from a batch of vectors."""
    return v.unsqueeze(-1) * _eye_like(v, v.shape[-1])


def triangle(x, upper: bool, diagonal: float = 1.0):
    """The lower (or upper) triangle of ``x``, its diagonal scaled by ``diagonal``."""
    from .._creation import tensor
    xp = x._xp
    m, n = x.shape[-2:]
    mask = xp.tri(m, n, 0, dtype=x._data.dtype)
    if upper:
        mask = xp.ones((m, n), dtype=x._data.dtype) - xp.tri(m, n, -1, dtype=x._data.dtype)
    if diagonal != 1.0:
        k = min(m, n)
        mask[xp.arange(k), xp.arange(k)] = diagonal
    return x * tensor(mask, device=x.device)


def _factorize(xp, compute, failure: str):
    """Run ``compute()``, turning the backend's LinAlgError into ours with ``failure``."""
    try:
        return compute()
    except xp.linalg.LinAlgError:
        raise LinAlgError(failure) from None


def _svd(xp, A, **options):
    """The backend's SVD, refusing non-finite input first as PyTorch does (LAPACK's iteration
    may not end on NaNs)."""
    if not xp.isfinite(A).all():
        raise LinAlgError("linalg.svd: The algorithm failed to converge because the input "
                          "matrix contained non-finite values.")
    return _factorize(xp, lambda: xp.linalg.svd(A, **options), _SVD_FAILED)


# ----------------------------------------------------------------------------- inverse, det

@op(save_output=True, method=False, function=False)
def linalg_inv(xp, A):
    """The inverse of each square matrix in ``A``."""
    _check_matrices(A, "inv")
    return _factorize(xp, lambda: xp.linalg.inv(A), "linalg.inv: The inversion could not be "
                      "completed because the input matrix is singular.")


@linalg_inv.derivative
def linalg_inv(ctx, grad):
    (inverse,) = ctx.saved_tensors
    inverse_h = adjoint(inverse)
    return -matmul(matmul(inverse_h, grad), inverse_h)


@op(save=(0,), save_output=True, method=False, function=False)
def linalg_det(xp, A):
    """The determinant of each square matrix in ``A``."""
    _check_matrices(A, "det")
    return xp.linalg.det(A)


@linalg_det.derivative
def linalg_det(ctx, grad):
    # d det(A) = tr(adj(A) dA), and adj(A) = det(A) A^-1 when A is invertible.
    A, det = ctx.saved_tensors
    if not (det._data != 0).all():
        return _det_pullback_singular(A, grad)
    scale = (grad * conj(det)).unsqueeze(-1).unsqueeze(-1)
    return scale * adjoint(linalg_inv(A))


def _det_pullback_singular(A, grad):
    # With A = U diag(s) Vh, adj(A)^T = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh, which
    # stays finite when some s_i are 0.
    from .._creation import tensor
    xp = A._xp
    U, S, Vh = linalg_svd(A, False)
    s = S._data
    before = xp.cumprod(xp.concatenate([xp.ones_like(s[..., :1]), s[..., :-1]], -1), -1)
    after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([s[..., 1:], xp.ones_like(s[..., :1])],
                                                       -1), -1), -1), -1)
    others = tensor(before * after, device=A.device)
    sign = tensor(xp.linalg.det(U._data) * xp.linalg.det(Vh._data), device=A.device)
    cofactor = matmul(U * others.unsqueeze(-2), Vh)
    return (grad * sign).unsqueeze(-1).unsqueeze(-1) * conj(cofactor)


@op(save=(0,), n_outputs=2, method=False, function=False)
def linalg_slogdet(xp, A):
    """``(sign, log|det|)`` of each square matrix: the determinant without overflow."""
    _check_matrices(A, "slogdet")
    sign, logabsdet = xp.linalg.slogdet(A)
    # PyTorch's sign of a NaN determinant is 0 (NumPy's LU pivots past the NaN)
    return xp.where(xp.isnan(logabsdet), sign.dtype.type(0), sign), logabsdet


@linalg_slogdet.derivative
def linalg_slogdet(ctx, grad_sign, grad_logabsdet):
    (A,) = ctx.saved_tensors
    if grad_logabsdet is None:
        return None
    return grad_logabsdet.unsqueeze(-1).unsqueeze(-1) * adjoint(linalg_inv(A))


# ----------------------------------------------------------------------------- solve

def _is_vector_rhs(A_shape, B_shape) -> bool:
    # PyTorch's rule: B is a (batch of) vector(s) when it is 1-d or A's shape less one dim.
    return len(B_shape) == 1 or (len(B_shape) == len(A_shape) - 1 and
                                 tuple(B_shape) == tuple(A_shape[:-1]))


@op(nin=2, save=(0,), save_output=True, broadcasts=True, method=False, function=False)
def linalg_solve(xp, A, B, *, left=True):
    """The solution ``X`` of ``A X = B`` (``X A = B`` when not ``left``), batched."""
    _check_matrices(A, "solve")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {title_name(A)} and B of type {title_name(B)} instead")
    vector = _is_vector_rhs(A.shape, B.shape)
    B = B[..., None] if vector else B
    if not left:
        A, B = xp.swapaxes(A, -1, -2), xp.swapaxes(B, -1, -2)
    if A.shape[-1] != B.shape[-2]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({_by(A.shape)} and {_by(B.shape)})")
    X = _factorize(xp, lambda: xp.linalg.solve(A, B), "linalg.solve: The solver failed "
                   "because the input matrix is singular.")
    if not left:
        X = xp.swapaxes(X, -1, -2)
    return X[..., 0] if vector else X


def _by(shape) -> str:
    return "x".join(str(s) for s in shape[-2:])


@linalg_solve.derivative
def linalg_solve(ctx, grad, *, left=True):
    A, X = ctx.saved_tensors
    grad_B = linalg_solve(adjoint(A), grad, left=left)
    grad_A = None
    if ctx.needs_input_grad[0]:
        if _is_vector_rhs(ctx.shapes[0], ctx.shapes[1]):
            grad_A = -matmul(grad_B.unsqueeze(-1), conj(X).unsqueeze(-2))
        else:
            grad_A = -matmul(grad_B, adjoint(X)) if left else -matmul(adjoint(X), grad_B)
    return grad_A, grad_B


# ----------------------------------------------------------------------------- cholesky

@op(save_output=True, method=False, function=False)
def linalg_cholesky(xp, A, *, upper=False):
    """The Cholesky factor of each Hermitian positive-definite matrix (lower by default)."""
    _check_matrices(A, "cholesky")
    not_pd = ("linalg.cholesky: The factorization could not be completed because the input is "
              "not positive-definite.")
    L = _factorize(xp, lambda: xp.linalg.cholesky(A), not_pd)
    if xp.isnan(L).any():  # LAPACK lets NaN through: it is no positive-definite input either
        raise LinAlgError(not_pd)
    if upper:
        L = xp.swapaxes(L, -1, -2)
        L = xp.conj(L) if L.dtype.kind == "c" else L
    return L


@linalg_cholesky.derivative
def linalg_cholesky(ctx, grad, *, upper=False):
    # A = L L^H: grad_A = L^-H phi(L^H grad_L) L^-1, symmetrized, where phi takes the lower
    # triangle with half the diagonal.
    (L,) = ctx.saved_tensors
    if upper:
        L, grad = adjoint(L), adjoint(grad)
    L_h = adjoint(L)
    phi = triangle(matmul(L_h, grad), upper=False, diagonal=0.5)
    grad_A = adjoint(linalg_solve(L_h, adjoint(linalg_solve(L_h, phi))))
    return (grad_A + adjoint(grad_A)) * 0.5


# ----------------------------------------------------------------------------- QR

@op(n_outputs=2, save_output=True, method=False, function=False)
def linalg_qr(xp, A, mode="reduced"):
    """``Q, R`` with ``A = Q R``, ``Q`` orthonormal, ``R`` upper triangular.

    ``mode`` is 'reduced' (k = min(m, n) columns of Q), 'complete' (square Q) or 'r'
    (an empty Q).
    """
    _check_matrices(A, "qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    if mode == "r":
        return xp.empty((0,), dtype=A.dtype), xp.linalg.qr(A, mode="r")
    return tuple(xp.linalg.qr(A, mode=mode))


@linalg_qr.derivative
def linalg_qr(ctx, grad_Q, grad_R, mode="reduced"):
    Q, R = ctx.saved_tensors
    m, n = ctx.shapes[0][-2:]
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                           "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                           "going to differentiate through linalg.qr.")
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                           "and nrows > ncols.")
    grad_Q = Q * 0 if grad_Q is None else grad_Q
    grad_R = R * 0 if grad_R is None else grad_R
    if m >= n:
        return _qr_pullback(Q, R, grad_Q, grad_R)
    # A = Q [U | V] with U square: the first m columns are a square QR, and V = Q^H A_2.
    first, rest = _selector(R, n, 0, m), _selector(R, n, m, n)
    U, V = matmul(R, first), matmul(R, rest)
    grad_U, grad_V = matmul(grad_R, first), matmul(grad_R, rest)
    grad_A1 = _qr_pullback(Q, U, grad_Q + matmul(matmul(Q, V), adjoint(grad_V)), grad_U)
    return matmul(grad_A1, adjoint(first)) + matmul(matmul(Q, grad_V), adjoint(rest))


def _selector(like, n: int, start: int, stop: int):
    """The (n, stop - start) 0/1 matrix whose product with ``x`` keeps columns start:stop."""
    from .._creation import tensor
    xp = like._xp
    return tensor(xp.eye(n, dtype=like._data.dtype)[:, start:stop], device=like.device)


def _qr_pullback(Q, R, grad_Q, grad_R):
    # grad_A = (grad_Q + Q copyutl(M)) R^-H with M = grad_R R^H - Q^H grad_Q, where copyutl
    # mirrors the upper triangle onto the lower one.
    M = matmul(grad_R, adjoint(R)) - matmul(adjoint(Q), grad_Q)
    M = triangle(M, upper=True) + adjoint(triangle(M, upper=True, diagonal=0.0))
    B = grad_Q + matmul(Q, M)
    return adjoint(linalg_solve(R, adjoint(B)))


# ----------------------------------------------------------------------------- SVD

@op(n_outputs=3, save_output=True, method=False, function=False)
def linalg_svd(xp, A, full_matrices=True, *, driver=None):
    """``U, S, Vh`` with ``A = U diag(S) Vh`` and ``S`` descending."""
    _check_matrices(A, "svd", square=False)
    U, S, Vh = _svd(xp, A, full_matrices=full_matrices)
    return U, S, Vh


@linalg_svd.derivative
def linalg_svd(ctx, grad_U, grad_S, grad_Vh, full_matrices=True, *, driver=None):
    U, S, Vh = ctx.saved_tensors
    m, n = ctx.shapes[0][-2:]
    k = min(m, n)
    if full_matrices and m != n:
        # Only the first k singular vectors are determined by A.
        keep_u, keep_v = _selector(U, m, 0, k), _selector(U, n, 0, k)
        U, Vh = matmul(U, keep_u), matmul(adjoint(keep_v), Vh)
        grad_U = None if grad_U is None else matmul(grad_U, keep_u)
        grad_Vh = None if grad_Vh is None else matmul(adjoint(keep_v), grad_Vh)
    return svd_pullback(U, S, Vh, grad_U, grad_S, grad_Vh)


def svd_pullback(U, S, Vh, grad_U, grad_S, grad_Vh):
    """The gradient of ``A`` from those of its reduced SVD (distinct singular values)."""
    m, n = U.shape[-2], Vh.shape[-1]
    if grad_U is None and grad_Vh is None:
        return matmul(U * grad_S.unsqueeze(-2), Vh)
    S2 = S * S
    # E[i, j] = S[j]^2 - S[i]^2, with ones on the diagonal (where the skew parts vanish).
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye_like(S, S.shape[-1])
    inner = None
    if grad_U is not None:
        UhgU = matmul(adjoint(U), grad_U)
        inner = (UhgU - adjoint(UhgU)) / E * S.unsqueeze(-2)
    if grad_Vh is not None:
        VhgV = matmul(Vh, adjoint(grad_Vh))
        term = S.unsqueeze(-1) * ((VhgV - adjoint(VhgV)) / E)
        inner = term if inner is None else inner + term
    if grad_S is not None:
        inner = inner + _diag_embed(grad_S)
    if m > n and grad_U is not None:
        grad_A = matmul(U, inner)
        grad_U_Sinv = grad_U / S.unsqueeze(-2)
        grad_A = grad_A + grad_U_Sinv - matmul(U, matmul(adjoint(U), grad_U_Sinv))
        return matmul(grad_A, Vh)
    if m < n and grad_Vh is not None:
        grad_A = matmul(inner, Vh)
        Sinv_grad_Vh = grad_Vh / S.unsqueeze(-1)
        grad_A = grad_A + Sinv_grad_Vh - matmul(matmul(Sinv_grad_Vh, adjoint(Vh)), Vh)
        return matmul(U, grad_A)
    return matmul(matmul(U, inner), Vh)


@op(save=(0,), method=False, function=False)
def linalg_svdvals(xp, A, *, driver=None):
    """The singular values of each matrix, descending."""
    _check_matrices(A, "svdvals", square=False)
    return _svd(xp, A, compute_uv=False)


@linalg_svdvals.derivative
def linalg_svdvals(ctx, grad, *, driver=None):
    (A,) = ctx.saved_tensors
    U, _, Vh = linalg_svd(A, False)
    return matmul(U * grad.unsqueeze(-2), Vh)


# ----------------------------------------------------------------------------- eigen

@op(n_outputs=2, save_output=True, method=False, function=False)
def linalg_eigh(xp, A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of Hermitian matrices.

    Only the ``UPLO`` ('L' or 'U') triangle of ``A`` is read.
    """
    _check_matrices(A, "eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    values, vectors = xp.linalg.eigh(A, UPLO=UPLO)
    return values, vectors


@linalg_eigh.derivative
def linalg_eigh(ctx, grad_values, grad_vectors, UPLO="L"):
    values, Q = ctx.saved_tensors
    return eigh_pullback(values, Q, grad_values, grad_vectors)


def eigh_pullback(values, Q, grad_values, grad_vectors):
    """grad_A = Q (diag(grad_values) + skew(Q^H grad_Q) / 2E) Q^H, E[i, j] = l[j] - l[i]."""
    inner = None
    if grad_vectors is not None:
        QhgQ = matmul(adjoint(Q), grad_vectors)
        E = values.unsqueeze(-2) - values.unsqueeze(-1) + _eye_like(values, values.shape[-1])
        inner = (QhgQ - adjoint(QhgQ)) / (E * 2)
    if grad_values is not None:
        diag = _diag_embed(grad_values)
        inner = diag if inner is None else inner + diag
    return matmul(matmul(Q, inner), adjoint(Q))


@op(save=(0,), method=False, function=False)
def linalg_eigvalsh(xp, A, UPLO="L"):
    """The eigenvalues (ascending) of Hermitian matrices."""
    _check_matrices(A, "eigvalsh")
    return xp.linalg.eigvalsh(A, UPLO=UPLO)


@linalg_eigvalsh.derivative
def linalg_eigvalsh(ctx, grad, UPLO="L"):
    (A,) = ctx.saved_tensors
    values, Q = linalg_eigh(A, UPLO)
    return eigh_pullback(values, Q, grad, None)


def _complex_dtype(xp, A):
    return xp.complex64 if A.dtype in (xp.float32, xp.complex64) else xp.complex128


@op(n_outputs=2, differentiable=False, method=False, function=False)
def linalg_eig(xp, A):
    """Eigenvalues and eigenvectors of general square matrices, always complex."""
    _check_matrices(A, "eig")
    values, vectors = _factorize(xp, lambda: xp.linalg.eig(A), _EIG_FAILED)
    complex_dtype = _complex_dtype(xp, A)
    return values.astype(complex_dtype), vectors.astype(complex_dtype)


@op(differentiable=False, method=False, function=False)
def linalg_eigvals(xp, A):
    """Eigenvalues of general square matrices, always complex."""
    _check_matrices(A, "eigvals")
    return _factorize(xp, lambda: xp.linalg.eigvals(A), _EIG_FAILED).astype(
        _complex_dtype(xp, A))


_EIG_FAILED = "linalg.eig: The algorithm failed to converge (is the input finite?)"
_SVD_FAILED = ("linalg.svd: The algorithm failed to converge because the input matrix is "
               "ill-conditioned or has too many repeated singular values.")


# ----------------------------------------------------------------------------- pinv, rank

def _tolerance(xp, A, S, atol, rtol):
    # PyTorch's default: rtol = eps * max(m, n) unless an atol is given.
    if rtol is None:
        rtol = xp.finfo(S.dtype).eps * max(A.shape[-2:]) if atol is None else 0.0
    largest = S.max(axis=-1, keepdims=True) if S.shape[-1] else xp.zeros(S.shape[:-1] + (1,),
                                                                          S.dtype)
    return xp.maximum(atol or 0.0, rtol * largest).astype(S.dtype)


@op(save=(0,), save_output=True, method=False, function=False)
def linalg_pinv(xp, A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse, dropping singular values below the tolerance."""
    _check_matrices(A, "pinv", square=False)
    if hermitian:
        values, Q = xp.linalg.eigh(A)
        keep = xp.abs(values) > _tolerance(xp, A, xp.abs(values), atol, rtol)
        inverse = xp.where(keep, 1 / xp.where(keep, values, 1), 0).astype(values.dtype)
        return xp.matmul(Q * inverse[..., None, :], xp.conj(xp.swapaxes(Q, -1, -2)))
    U, S, Vh = _svd(xp, A, full_matrices=False)
    keep = S > _tolerance(xp, A, S, atol, rtol)
    inverse = xp.where(keep, 1 / xp.where(keep, S, 1), 0).astype(S.dtype)
    return xp.matmul(xp.conj(xp.swapaxes(Vh, -1, -2)) * inverse[..., None, :],
                     xp.conj(xp.swapaxes(U, -1, -2)))


@linalg_pinv.derivative
def linalg_pinv(ctx, grad, *, atol=None, rtol=None, hermitian=False):
    # For P = pinv(A) of constant rank:
    # grad_A = -P^H G P^H + (I - A P) G^H P P^H + P^H P G^H (I - P A)
    A, P = ctx.saved_tensors
    P_h, G_h = adjoint(P), adjoint(grad)
    m, n = A.shape[-2:]
    left = _eye_like(A, m) - matmul(A, P)
    right = _eye_like(A, n) - matmul(P, A)
    return (-matmul(matmul(P_h, grad), P_h) + matmul(matmul(left, G_h), matmul(P, P_h))
            + matmul(matmul(P_h, P), matmul(G_h, right)))


@op(differentiable=False, method=False, function=False)
def linalg_matrix_rank(xp, A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values above the tolerance, per matrix (int64)."""
    _check_matrices(A, "matrix_rank", square=False)
    S = _factorize(xp, lambda: xp.abs(xp.linalg.eigvalsh(A)) if hermitian else
                   xp.linalg.svd(A, compute_uv=False), _SVD_FAILED)
    return (S > _tolerance(xp, A, S, atol, rtol)).sum(axis=-1).astype(xp.int64)


# ----------------------------------------------------------------------------- matrix_exp

# Higham's degree-13 Pade approximant of exp, good after scaling to a 1-norm below theta.
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


@op(save=(0,))
def matrix_exp(xp, A):
    """The matrix exponential ``sum_k A^k / k!`` of each square matrix (scaling and squaring).

    >>> ember.matrix_exp(ember.zeros(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    _check_matrices(A, "matrix_exp")
    if A.size == 0:
        return A.copy()
    if A.shape[-1] == 1:  # (PyTorch's answer for 1 x 1 matrices, infinities included)
        return xp.exp(A)
    finite = xp.isfinite(A).all(axis=(-2, -1), keepdims=True)
    if not finite.all():  # no scaling makes those finite: PyTorch's answer for them is NaN
        R = matrix_exp.forward(xp, xp.where(finite, A, 0))
        nan = float("nan")
        return xp.where(finite, R, A.dtype.type(complex(nan, nan) if A.dtype.kind == "c"
                                                else nan))
    norm = float(xp.abs(A).sum(axis=-2).max())
    squarings = max(0, int(xp.ceil(xp.log2(norm / _THETA13)))) if norm > _THETA13 else 0
    A = A / A.dtype.type(2.0 ** squarings)
    b = [A.dtype.type(c) for c in _PADE13]
    identity = xp.eye(A.shape[-1], dtype=A.dtype)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2
             + b[1] * identity)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 \
        + b[0] * identity
    R = xp.linalg.solve(V - U, V + U)
    for _ in range(squarings):
        R = R @ R
    return R


@matrix_exp.derivative
def matrix_exp(ctx, grad):
    # The derivative of exp at A in direction E is the top-right block of exp([[A, E], [0, A]]);
    # the gradient is that of A^H in the direction of the output gradient.
    from .. import cat
    (A,) = ctx.saved_tensors
    n = A.shape[-1]
    A_h = adjoint(A)
    block = cat([cat([A_h, grad], -1), cat([A_h * 0, A_h], -1)], -2)
    return matrix_exp(block)[..., :n, n:]
