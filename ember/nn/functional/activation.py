"""Activation functions: thin wrappers over the ops of `ember/ops/activation.py`.

``inplace=True`` (and the ``*_`` forms) write the result into the input, recorded for
autograd like any in-place op.
"""
from __future__ import annotations

import warnings

from ...ops import TABLE, COMPOSITES
from ...ops._inplace import make_method
from ...ops.activation import SELU_ALPHA, SELU_SCALE, celu_input_scale

__all__ = ["threshold", "threshold_", "relu", "relu_", "hardtanh", "hardtanh_", "relu6",
           "elu", "elu_", "selu", "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_",
           "prelu", "rrelu", "rrelu_", "glu", "gelu", "logsigmoid", "hardshrink",
           "tanhshrink", "softsign", "softplus", "softmin", "softmax", "log_softmax",
           "softshrink", "tanh", "sigmoid", "hardsigmoid", "hardswish", "silu", "mish",
           "gumbel_softmax"]


def _pair(name):
    """The op ``name`` and its in-place form."""
    entry = TABLE[name]
    return entry.fn, make_method(entry)


_relu, _relu_ = _pair("relu")
_threshold, _threshold_ = _pair("threshold")
_hardtanh, _hardtanh_ = _pair("hardtanh")
_elu, _elu_ = _pair("elu")
_leaky_relu, _leaky_relu_ = _pair("leaky_relu")
_gelu = TABLE["gelu"].fn
_silu, _silu_ = _pair("silu")
_mish, _mish_ = _pair("mish")
_softplus = TABLE["softplus"].fn
_log_sigmoid = TABLE["log_sigmoid"].fn
_hardsigmoid, _hardsigmoid_ = _pair("hardsigmoid")
_hardswish, _hardswish_ = _pair("hardswish")
_softshrink = TABLE["softshrink"].fn
_hardshrink = TABLE["hardshrink"].fn
_prelu = TABLE["prelu"].fn
_softmax = TABLE["softmax"].fn
_log_softmax = TABLE["log_softmax"].fn
_selu = COMPOSITES["selu"].fn
_celu = COMPOSITES["celu"].fn
_rrelu = COMPOSITES["rrelu"].fn


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """``input`` where it exceeds ``threshold``, else ``value``."""
    return (_threshold_ if inplace else _threshold)(input, threshold, value)


def threshold_(input, threshold: float, value: float):
    """In-place `threshold`."""
    return _threshold_(input, threshold, value)


def relu(input, inplace: bool = False):
    """``max(input, 0)`` elementwise.

    >>> F.relu(ember.tensor([-1., 2.]))
    tensor([0., 2.])
    """
    return _relu_(input) if inplace else _relu(input)


def relu_(input):
    """In-place `relu`."""
    return _relu_(input)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """``input`` clipped to ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return (_hardtanh_ if inplace else _hardtanh)(input, min_val, max_val)


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0):
    """In-place `hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace: bool = False):
    """``min(max(input, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """``input`` where positive, else ``alpha * (exp(input) - 1)``."""
    return (_elu_ if inplace else _elu)(input, alpha)


def elu_(input, alpha: float = 1.0):
    """In-place `elu`."""
    return _elu_(input, alpha)


def selu(input, inplace: bool = False):
    """``scale * elu(input, alpha)`` with the self-normalizing constants."""
    return _elu_(input, SELU_ALPHA, SELU_SCALE) if inplace else _selu(input)


def selu_(input):
    """In-place `selu`."""
    return selu(input, inplace=True)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if inplace:
        return _elu_(input, alpha, 1.0, celu_input_scale(alpha))
    return _celu(input, alpha)


def celu_(input, alpha: float = 1.0):
    """In-place `celu`."""
    return celu(input, alpha, inplace=True)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """``input`` where positive, else ``negative_slope * input``."""
    return (_leaky_relu_ if inplace else _leaky_relu)(input, negative_slope)


def leaky_relu_(input, negative_slope: float = 0.01):
    """In-place `leaky_relu`."""
    return _leaky_relu_(input, negative_slope)


def prelu(input, weight):
    """Leaky relu with a learned slope per channel (dim 1 of ``input``)."""
    return _prelu(input, weight)


def rrelu(input, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False,
          inplace: bool = False):
    """Leaky relu with random slopes in ``[lower, upper]`` while training, else their mean."""
    out = _rrelu(input, lower, upper, training)
    return input.copy_(out) if inplace else out


def rrelu_(input, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False):
    """In-place `rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


def glu(input, dim: int = -1):
    """The gated linear unit: ``a * sigmoid(b)`` for the two halves ``a, b`` of ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
    a, b = input.split(n // 2, dim)
    return a * b.sigmoid()


def gelu(input, approximate: str = "none"):
    """``input * Phi(input)`` (Phi: the standard normal CDF); ``approximate='tanh'`` uses
    the tanh approximation.

    >>> F.gelu(ember.tensor([0., 1.]))
    tensor([0.0000, 0.8413])
    """
    return _gelu(input, approximate)


def logsigmoid(input):
    """``log(sigmoid(input))``, stable for large ``|input|``."""
    return _log_sigmoid(input)


def hardshrink(input, lambd: float = 0.5):
    """``input`` where ``|input| > lambd``, else 0."""
    return _hardshrink(input, lambd)


def tanhshrink(input):
    """``input - tanh(input)``."""
    return input - input.tanh()


def softsign(input):
    """``input / (1 + |input|)``."""
    return input / (input.abs() + 1)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """``log(1 + exp(beta * input)) / beta``, linear where ``beta * input > threshold``."""
    return _softplus(input, beta, threshold)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None):
    """``exp(input) / exp(input).sum(dim)``.

    >>> F.softmax(ember.tensor([0., 0.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax(input, dim, dtype)


def softmin(input, dim: int | None = None, _stacklevel: int = 3, dtype=None):
    """``softmax(-input, dim)``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return _softmax(-input, dim, dtype)


def log_softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None):
    """``log(softmax(input, dim))``, computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _log_softmax(input, dim, dtype)


def softshrink(input, lambd: float = 0.5):
    """``input`` moved toward 0 by ``lambd``; 0 within ``lambd`` of 0."""
    return _softshrink(input, lambd)


def tanh(input):
    """The hyperbolic tangent."""
    return input.tanh()


def sigmoid(input):
    """The logistic function ``1 / (1 + exp(-input))``."""
    return input.sigmoid()


def hardsigmoid(input, inplace: bool = False):
    """``clip(input / 6 + 1/2, 0, 1)``."""
    return (_hardsigmoid_ if inplace else _hardsigmoid)(input)


def hardswish(input, inplace: bool = False):
    """``input * clip(input + 3, 0, 6) / 6``."""
    return (_hardswish_ if inplace else _hardswish)(input)


def silu(input, inplace: bool = False):
    """``input * sigmoid(input)``."""
    return (_silu_ if inplace else _silu)(input)


def mish(input, inplace: bool = False):
    """``input * tanh(softplus(input))``."""
    return (_mish_ if inplace else _mish)(input)


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1):
    """A sample from the Gumbel-softmax distribution over ``dim``: ``softmax((logits + g) /
    tau)`` with Gumbel(0, 1) noise ``g``. With ``hard=True`` the value is one-hot (the
    arg max) while the gradient is the soft sample's (the straight-through estimator)."""
    gumbels = -logits.detach().new_empty(logits.shape).exponential_().log()
    soft = _softmax((logits + gumbels) / tau, dim)
    if not hard:
        return soft
    index = soft.argmax(dim, keepdim=True)
    one_hot = soft.detach().new_zeros(soft.shape).scatter_(dim, index, 1.0)
    return one_hot - soft.detach() + soft
