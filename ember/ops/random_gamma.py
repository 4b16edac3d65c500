"""Standard gamma draws with an implicit reparameterization gradient.

A draw ``x`` of Gamma(alpha, 1) is differentiated holding its CDF fixed:
``dx/dalpha = -(dP/dalpha) / (dP/dx)`` with ``P`` the regularized lower incomplete gamma
function. Up to the bulk of the distribution that ratio is summed as the series of
``P``; in the upper tail, where that series cancels catastrophically, it is the integral
``int_0^inf (log(x + s) - digamma(alpha)) (1 + s/x)^(alpha - 1) e^(-s) ds`` of the upper
function ``Q = 1 - P``, by Gauss-Laguerre quadrature.
"""
from __future__ import annotations

import functools

import numpy as np

from .._tensor import wrap
from ._gamma import digamma
from ._op import op

_SERIES_TOL = 1e-17
_SERIES_MAX_TERMS = 20000


def _lower_series(xp, alpha, x):
    # -sum_n r_n (log x - digamma(alpha + n + 1)) with r_n = x^(n+1) / (alpha)_(n+1)
    r = x / alpha
    psi = digamma(xp, alpha) + 1 / alpha
    log_x = xp.log(x)
    total = r * (log_x - psi)
    for n in range(1, _SERIES_MAX_TERMS):
        r = r * x / (alpha + n)
        psi = psi + 1 / (alpha + n)
        term = r * (log_x - psi)
        total += term
        if bool((xp.abs(term) <= _SERIES_TOL * xp.abs(total)).all()):
            break
    return -total


def _upper_quadrature(xp, alpha, x):
    alpha, x = alpha[:, None], x[:, None]
    nodes, weights = _laguerre_rule()
    s = xp.asarray(nodes)
    shape = xp.exp((alpha - 1) * xp.log1p(s / x))
    return ((xp.log(x + s) - digamma(xp, alpha)) * shape) @ xp.asarray(weights)


@functools.cache
def _laguerre_rule():
    """64-point Gauss-Laguerre nodes and weights (computed at first use, not at import)."""
    return np.polynomial.laguerre.laggauss(64)


def implicit_gamma_grad(xp, alpha, x):
    """``dx/dalpha`` of Gamma(alpha, 1) draws ``x`` at a fixed CDF (0 where x is 0)."""
    shape, dtype = x.shape, x.dtype
    alpha = xp.broadcast_to(alpha, x.shape).astype("float64").reshape(-1)
    x = x.astype("float64").reshape(-1)
    tail = x > alpha + 4 * xp.sqrt(alpha) + 4
    bulk = ~tail & (x > 0)
    out = xp.zeros_like(x)
    if bool(bulk.any()):
        out[bulk] = _lower_series(xp, alpha[bulk], x[bulk])
    if bool(tail.any()):
        out[tail] = _upper_quadrature(xp, alpha[tail], x[tail])
    return out.reshape(shape).astype(dtype, copy=False)


@op(save=(0,), save_output=True, method=False, function=False)
def _standard_gamma(xp, concentration, rng):
    """Gamma(concentration, 1) draws from ``rng``, one per entry of ``concentration``; like
    PyTorch's, at least the dtype's smallest normal number (which an invalid concentration,
    <= 0 or NaN, also gets)."""
    valid = concentration > 0
    draws = rng.standard_gamma(xp.where(valid, concentration, 1))
    tiny = xp.finfo(concentration.dtype).tiny
    return xp.where(valid, xp.maximum(draws, tiny), tiny).astype(concentration.dtype)


@_standard_gamma.derivative
def _standard_gamma(ctx, grad, rng):
    alpha, x = ctx.saved_tensors
    return grad * _standard_gamma_grad(alpha, x)


@op(nin=2, method=False, function=False, differentiable=False)
def _standard_gamma_grad(xp, concentration, sample):
    """The implicit derivative of Gamma(concentration, 1) draws ``sample`` w.r.t.
    ``concentration``."""
    return implicit_gamma_grad(xp, concentration, sample)
