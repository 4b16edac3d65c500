"""Special functions: the gamma family, Bessel I0/I1, sinc, zeta, erfcx, the normal CDF's
inverse, and the entropy terms of ``ember.special``.

Ops only PyTorch's ``torch.special`` offers are named ``special_<name>`` here (neither an
``ember.<name>`` function nor a Tensor method); `ember.special` exports them by their short
names. The forwards live on backend arrays in ``_gamma.py`` and ``_special.py``.
"""
from __future__ import annotations

import math

import numpy as np

from .._creation import arange
from . import _gamma, _special
from ._op import composite, op
from .numeric import bind_inplace
from .piecewise import where_op
from .pointwise import binary, refuse, unary
from .transcendental import erfc, times_log, xlogy

_LOG_PI = math.log(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)


def _real(name, forward):
    """``forward`` on backend arrays, refusing complex input as PyTorch does."""
    def checked(xp, x, *args):
        refuse(name, "c", x)
        return forward(xp, x, *args)
    return checked


lgamma = unary("lgamma", _real("lgamma", _gamma.lgamma), lambda g, x, y: g * digamma(x),
               doc="``log|Gamma(input)|`` (inf at the poles 0, -1, -2, ...).")
digamma = unary("digamma", _real("digamma", _gamma.digamma),
                lambda g, x, y: g * polygamma(1, x),
                doc="The derivative of lgamma, ``Gamma'(x) / Gamma(x)``.")


def _polygamma_order_first(a, b, *rest, **kwargs):
    # ember.polygamma(n, input) and Tensor.polygamma(n) both reach the forward as (input, n)
    return ((b, a) + rest, kwargs) if isinstance(a, int) else ((a, b) + rest, kwargs)


@op(promote="float", save=(0,), inplace=True,
    signature=_polygamma_order_first)
def polygamma(xp, x, n):
    """The ``n``-th derivative of digamma: ``ember.polygamma(n, input)``."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    refuse("polygamma", "c", x)
    if not x.size:  # the series' bounds are maxima over the input
        return x.copy()
    return _gamma.polygamma(xp, x, n)


@polygamma.derivative
def polygamma(ctx, grad, n):
    x, = ctx.saved_tensors
    return grad * polygamma(n + 1, x)


@composite()
def mvlgamma(input, p: int):
    """The multivariate log-gamma of dimension ``p``:
    ``p(p-1)/4 log(pi) + sum over i < p of lgamma(input - i/2)``."""
    if p < 1:
        raise RuntimeError(f"mvlgamma: p has to be greater than or equal to 1, got {p}")
    x = input if input.is_floating_point() else input.float()
    x = x.unsqueeze(-1) - arange(p, dtype=x.dtype) / 2
    return lgamma(x).sum(-1) + p * (p - 1) / 4 * _LOG_PI


composite("special_multigammaln", method=False, function=False)(mvlgamma)
bind_inplace(mvlgamma)

# ----------------------------------------------------------------------------- Bessel

i0 = unary("i0", _real("i0", _gamma.i0), lambda g, x, y: g * special_i1(x),
           doc="The modified Bessel function of the first kind, "
                                        "order 0.")
special_i0e = unary("special_i0e", _real("i0e", _gamma.i0e),
                    lambda g, x, y: g * (special_i1e(x) - x.sign() * y), saves="xy",
                    method=False, function=False, inplace=False,
                    doc="``exp(-|x|) * i0(x)``.")


def _i1_grad(g, x, y):
    # d/dx I1 = I0 - I1/x, which tends to 1/2 at 0
    at_zero = x == 0
    safe = where_op(at_zero, 1, x)
    return g * where_op(at_zero, 0.5, i0(x) - y / safe)


def _i1e_grad(g, x, y):
    at_zero = x == 0
    safe = where_op(at_zero, 1, x)
    return g * where_op(at_zero, 0.5, special_i0e(x) - y * (x.sign() + 1 / safe))


special_i1 = unary("special_i1", _real("i1", _gamma.i1), _i1_grad, saves="xy", method=False,
                   function=False, inplace=False,
                   doc="The modified Bessel function of the first kind, order 1.")
special_i1e = unary("special_i1e", _real("i1e", _gamma.i1e), _i1e_grad, saves="xy",
                    method=False, function=False, inplace=False, doc="``exp(-|x|) * i1(x)``.")

# ----------------------------------------------------------------------------- others


def _sinc(xp, x):
    pix = math.pi * x
    at_zero = x == 0
    return xp.where(at_zero, 1, xp.sin(pix) / xp.where(at_zero, 1, pix)).astype(x.dtype)


def _sinc_grad(g, x, y):
    at_zero = x == 0
    safe = where_op(at_zero, 1, x)
    return g * where_op(at_zero, 0, ((math.pi * x).cos() - y) / safe)


sinc = unary("sinc", _sinc, _sinc_grad, saves="xy",
             doc="``sin(pi x) / (pi x)``, 1 at 0.")

special_erfcx = unary("special_erfcx", _real("erfcx", _special.erfcx),
                      lambda g, x, y: g * (2 * x * y - _TWO_OVER_SQRT_PI), saves="xy",
                      method=False, function=False, inplace=False,
                      doc="``exp(x**2) * erfc(x)``, without underflow for large x.")
special_ndtri = unary("special_ndtri", _real("ndtri", _special.ndtri),
                      lambda g, x, y: g * (_SQRT_2PI * (0.5 * y * y).exp()), saves="y",
                      method=False, function=False, inplace=False,
                      doc="The inverse of the standard normal CDF.")


def _zeta(xp, s, q):
    refuse("zeta", "c", s, q)
    like = s if hasattr(s, "dtype") else q
    s, q = (v if hasattr(v, "dtype") else xp.asarray(v, dtype=like.dtype) for v in (s, q))
    return _gamma.zeta(xp, s, q)


def _zeta_order_grad(g, s, q, y):
    raise NotImplementedError("the derivative of zeta with respect to its order (input) is "
                              "not implemented")


special_zeta = binary("special_zeta", _zeta, _zeta_order_grad,
                      lambda g, s, q, y: g * (-s) * special_zeta(s + 1, q), promote="float",
                      inplace=False, method=False,
                      doc="The Hurwitz zeta function ``sum over k of (other + k) ** -input``.")


special_xlog1py = times_log("special_xlog1py", "log1p", np.log1p, -1,
                            "``input * log1p(other)``, with 0 where ``input`` is 0.",
                            inplace=False, method=False, function=False)


@composite("special_entr", method=False, function=False)
def entr(input):
    """The entropy term ``-input * log(input)``: 0 at 0, -inf below."""
    return where_op(input < 0, -math.inf, -xlogy(input, input))


@composite("special_ndtr", method=False, function=False)
def ndtr(input):
    """The standard normal CDF, ``(1 + erf(input / sqrt(2))) / 2``."""
    return 0.5 * erfc(-input * _INV_SQRT_2)


@composite("special_log_ndtr", method=False, function=False)
def log_ndtr(input):
    """``log(ndtr(input))``, accurate far into the lower tail."""
    # each branch sees only inputs inside its own range, so neither leaks NaN gradients
    low = input.clamp(max=-1) * -_INV_SQRT_2
    tail = (0.5 * special_erfcx(low)).log() - low * low
    body = (-0.5 * erfc(input.clamp(min=-1) * _INV_SQRT_2)).log1p()
    return where_op(input < -1, tail, body)


def _incomplete_gamma(name, upper):
    def forward(xp, a, x):
        refuse(name, "c", a, x)
        like = a if hasattr(a, "dtype") else x
        a, x = (v if hasattr(v, "dtype") else xp.asarray(v, dtype=like.dtype) for v in (a, x))
        return _gamma.gamma_incomplete(xp, a, x, upper)

    def shape_grad(g, a, x, y):
        raise NotImplementedError(f"the derivative of {name} with respect to its first input "
                                  f"is not implemented")

    def x_grad(g, a, x, y):
        density = ((a - 1) * x.log() - x - lgamma(a)).exp()
        return g * (-density if upper else density)

    return binary(name, forward, shape_grad, x_grad, promote="float",
                  doc=f"The regularized {'upper' if upper else 'lower'} incomplete gamma "
                      f"function of shape ``input`` at ``other``.")


igamma = _incomplete_gamma("igamma", upper=False)
igammac = _incomplete_gamma("igammac", upper=True)
