"""The multivariate normal with a low-rank-plus-diagonal covariance ``W W^T + diag(D)``.

Every quantity goes through the ``r x r`` capacitance matrix ``C = I + W^T D^-1 W``
(Woodbury's identity and the matrix determinant lemma), never an ``n x n`` factorization.
"""
from __future__ import annotations

import math

from .. import _creation, linalg
from .._tensor import Size
from . import constraints
from ._draw import standard_normal
from .distribution import Distribution, lazy_property
from .multivariate_normal import _broadcast_shape, mahalanobis


class LowRankMultivariateNormal(Distribution):
    """Mean ``loc``, covariance ``cov_factor @ cov_factor.mT + diag(cov_diag)``.

    >>> d = ember.distributions.LowRankMultivariateNormal(
    ...     ember.zeros(3), ember.ones(3, 1), ember.ones(3))
    >>> d.variance
    tensor([2., 2., 2.])
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        n = loc.shape[-1]
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if cov_factor.shape[-2] != n:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {n} x m")
        if cov_diag.dim() < 1 or cov_diag.shape[-1] != n:
            raise ValueError(f"cov_diag must be a batch of vectors with shape "
                             f"{tuple(loc.shape[-1:])}")
        batch_shape = _broadcast_shape(loc.shape[:-1], cov_factor.shape[:-2],
                                       cov_diag.shape[:-1])
        self.loc = loc.expand(batch_shape + (n,))
        self.cov_factor = cov_factor.expand(batch_shape + tuple(cov_factor.shape[-2:]))
        self.cov_diag = cov_diag.expand(batch_shape + (n,))
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        super().__init__(batch_shape, loc.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = tuple(batch_shape)
        n, r = self.cov_factor.shape[-2:]
        return self._expanded(batch_shape, _instance, LowRankMultivariateNormal,
                              loc=self.loc.expand(batch_shape + (n,)),
                              cov_factor=self.cov_factor.expand(batch_shape + (n, r)),
                              cov_diag=self.cov_diag.expand(batch_shape + (n,)),
                              _unbroadcasted_cov_factor=self._unbroadcasted_cov_factor,
                              _unbroadcasted_cov_diag=self._unbroadcasted_cov_diag)

    @lazy_property
    def _capacitance_tril(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        Wt_Dinv = W.mT / D.unsqueeze(-2)
        eye = _creation.eye(W.shape[-1], dtype=W.dtype, device=W.device)
        return linalg.cholesky(eye + Wt_Dinv @ W)

    def _matrix_shape(self) -> tuple:
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W.pow(2).sum(-1) + D).expand(self._extended_shape())

    @lazy_property
    def covariance_matrix(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W @ W.mT + D.diag_embed()).expand(self._matrix_shape())

    @lazy_property
    def scale_tril(self):
        return linalg.cholesky(self.covariance_matrix)

    @lazy_property
    def precision_matrix(self):
        # Woodbury: D^-1 - D^-1 W C^-1 W^T D^-1, with C^-1 through C's Cholesky factor
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        A = linalg.solve_triangular(self._capacitance_tril, W.mT / D.unsqueeze(-2),
                                    upper=False)
        return ((1 / D).diag_embed() - A.mT @ A).expand(self._matrix_shape())

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        eps_W = standard_normal(tuple(shape[:-1]) + (W.shape[-1],), self.loc)
        eps_D = standard_normal(shape, self.loc)
        return self.loc + (W @ eps_W.unsqueeze(-1)).squeeze(-1) + D.sqrt() * eps_D

    def _log_det(self):
        L = self._capacitance_tril
        return (2 * L.diagonal(dim1=-2, dim2=-1).log().sum(-1)
                + self._unbroadcasted_cov_diag.log().sum(-1))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        x = value - self.loc
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        # Woodbury: x^T D^-1 x - |L_C^-1 W^T D^-1 x|^2
        Wt_Dinv_x = (W.mT @ (x / D).unsqueeze(-1)).squeeze(-1)
        M = (x.pow(2) / D).sum(-1) - mahalanobis(self._capacitance_tril, Wt_Dinv_x)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + M + self._log_det())

    def entropy(self):
        n = self._event_shape[0]
        H = 0.5 * (n * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return H.expand(Size(self._batch_shape)) if self._batch_shape else H
