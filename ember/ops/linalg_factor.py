"""`linalg.householder_product` and the LU family (`lu_factor`, `lu`, `lu_solve`...),
written with other ops, so their gradients come from those."""
from __future__ import annotations

from .._tensor import Tensor
from .._creation import eye


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first ``n`` columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^H``, where
    ``v_i`` is column ``i`` of ``A`` below the diagonal with a 1 on it (LAPACK's orgqr).

    >>> linalg.householder_product(ember.zeros(3, 2), ember.zeros(2))
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
    k = tau.shape[-1] if tau.ndim else 0
    if tau.ndim != A.ndim - 1 or k > n:
        raise RuntimeError(f"torch.linalg.householder_product: tau must have shape "
                           f"input.shape[:-2] + (k,) with k <= input.shape[-1], got input "
                           f"{tuple(A.shape)} and tau {tuple(tau.shape)}")
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
