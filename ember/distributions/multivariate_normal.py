"""The multivariate normal distribution, by covariance, precision or Cholesky factor."""
from __future__ import annotations

import math

from .. import _creation, linalg
from .._tensor import Size
from . import constraints
from ._draw import standard_normal
from .distribution import Distribution, lazy_property


def _broadcast_shape(*shapes) -> tuple:
    from .. import broadcast_shapes
    return tuple(broadcast_shapes(*shapes))


def _solve_lower(L, B):
    """``L^-1 B`` for lower-triangular ``L`` (batches broadcast)."""
    batch = _broadcast_shape(L.shape[:-2], B.shape[:-2])
    return linalg.solve_triangular(L.expand(batch + tuple(L.shape[-2:])),
                                   B.expand(batch + tuple(B.shape[-2:])), upper=False)


def mahalanobis(L, x):
    """``x^T (L L^T)^-1 x`` for lower-triangular ``L``, batched over both."""
    return _solve_lower(L, x.unsqueeze(-1)).squeeze(-1).pow(2).sum(-1)


def _precision_to_scale_tril(P):
    # The Cholesky factor of P^-1 without inverting P: with flip() reversing rows and
    # columns, flip(chol(flip(P)))^-T is lower triangular and its square is P^-1.
    Lf = linalg.cholesky(P.flip((-2, -1)))
    L_inv = Lf.flip((-2, -1)).mT
    eye = _creation.eye(P.shape[-1], dtype=P.dtype, device=P.device)
    return _solve_lower(L_inv, eye)


class MultivariateNormal(Distribution):
    """The normal distribution on vectors with mean ``loc`` and one of
    ``covariance_matrix``, ``precision_matrix`` or lower-triangular ``scale_tril``."""

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = {k: v for k, v in (("covariance_matrix", covariance_matrix),
                                   ("precision_matrix", precision_matrix),
                                   ("scale_tril", scale_tril)) if v is not None}
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        ((name, matrix),) = given.items()
        if matrix.dim() < 2:
            label = "scale_tril matrix" if name == "scale_tril" else name
            raise ValueError(f"{label} must be at least two-dimensional, with optional "
                             f"leading batch dimensions")
        batch_shape = _broadcast_shape(matrix.shape[:-2], loc.shape[:-1])
        setattr(self, name, matrix.expand(batch_shape + (-1, -1)))
        self.loc = loc.expand(batch_shape + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = scale_tril
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        batch_shape = tuple(batch_shape)
        n = self._event_shape[0]
        params = {k: self.__dict__[k].expand(batch_shape + (n, n))
                  for k in ("covariance_matrix", "precision_matrix", "scale_tril")
                  if k in self.__dict__}
        return self._expanded(batch_shape, _instance, MultivariateNormal,
                              loc=self.loc.expand(batch_shape + (n,)),
                              _unbroadcasted_scale_tril=self._unbroadcasted_scale_tril,
                              **params)

    def _matrix_shape(self) -> tuple:
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        eye = _creation.eye(self._event_shape[0], dtype=self.loc.dtype, device=self.loc.device)
        L_inv = _solve_lower(self._unbroadcasted_scale_tril, eye)
        return (L_inv.mT @ L_inv).expand(self._matrix_shape())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=()):
        eps = standard_normal(self._extended_shape(sample_shape), self.loc)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        M = mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + M) - self._half_log_det()

    def entropy(self):
        n = self._event_shape[0]
        H = 0.5 * n * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return H.expand(Size(self._batch_shape)) if self._batch_shape else H
