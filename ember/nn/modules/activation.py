"""Activation layers: each holds its options and calls the function of the same name in
`ember.nn.functional`."""
from __future__ import annotations

from ... import _creation
from ..._package import aliases
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh",
           "SiLU", "Mish", "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink",
           "LeakyReLU", "LogSigmoid", "Softplus", "Softshrink", "PReLU", "Softsign",
           "Tanhshrink", "Softmin", "Softmax", "Softmax2d", "LogSoftmax"]


def _inplace_repr(inplace: bool, lead: str = "") -> str:
    if not lead:
        return "inplace=True" if inplace else ""
    return lead + (", inplace=True" if inplace else "")


class _Stateless(Module):
    """A layer that applies ``function`` with no options."""

    function = None

    def forward(self, input):
        return type(self).function(input)


class _InplaceOnly(Module):
    """A layer whose one option is ``inplace``."""

    function = None

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self).function(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class ReLU(_InplaceOnly):
    """``max(x, 0)`` elementwise."""

    function = F.relu


class SELU(_InplaceOnly):
    """Scaled elu with the self-normalizing constants."""

    function = F.selu


class SiLU(_InplaceOnly):
    """``x * sigmoid(x)``."""

    function = F.silu


class Mish(_InplaceOnly):
    """``x * tanh(softplus(x))``."""

    function = F.mish


class Hardsigmoid(_InplaceOnly):
    """``clip(x / 6 + 1/2, 0, 1)``."""

    function = F.hardsigmoid

    def extra_repr(self) -> str:
        return ""  # PyTorch's repr leaves inplace out here


class Hardswish(_InplaceOnly):
    """``x * clip(x + 3, 0, 6) / 6``."""

    function = F.hardswish

    def extra_repr(self) -> str:
        return ""  # PyTorch's repr leaves inplace out here


class Sigmoid(_Stateless):
    """The logistic function."""

    function = F.sigmoid


class Tanh(_Stateless):
    """The hyperbolic tangent."""

    function = F.tanh


class LogSigmoid(_Stateless):
    """``log(sigmoid(x)) = -softplus(-x)`` elementwise, computed without overflow for large
    ``|x|`` (the module form of `ember.nn.functional.logsigmoid`; no arguments).

    >>> ember.nn.LogSigmoid()(ember.tensor([0.0, -100.0]))
    tensor([  -0.6931, -100.0000])
    """

    function = F.logsigmoid


class Softsign(_Stateless):
    """``x / (1 + |x|)``."""

    function = F.softsign


class Tanhshrink(_Stateless):
    """``x - tanh(x)``."""

    function = F.tanhshrink


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"threshold={self.threshold}, value={self.value}")


class RReLU(Module):
    """Leaky relu with a random negative slope from U(lower, upper) while training."""

    def __init__(self, lower: float = 1 / 8, upper: float = 1 / 3, inplace: bool = False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"lower={self.lower}, upper={self.upper}")


class Hardtanh(Module):
    """``x`` clipped to ``[min_val, max_val]``."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if max_val <= min_val:
            raise AssertionError("max_val must be greater than min_val")

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class _WithAlpha(Module):
    """A layer with the options ``alpha`` and ``inplace``."""

    function = None

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return type(self).function(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class ELU(_WithAlpha):
    """``x`` where positive, else ``alpha * (exp(x) - 1)``."""

    function = F.elu


class CELU(_WithAlpha):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""

    function = F.celu


class LeakyReLU(Module):
    """``x`` where positive, else ``negative_slope * x``."""

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"negative_slope={self.negative_slope}")


class GELU(Module):
    """``x * Phi(x)``; ``approximate='tanh'`` for the tanh approximation."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class GLU(Module):
    """``a * sigmoid(b)`` for the two halves of ``dim``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class _Shrink(Module):
    """A layer with the option ``lambd``."""

    function = None

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return type(self).function(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(_Shrink):
    """``x`` where ``|x| > lambd``, else 0."""

    function = F.hardshrink


class Softshrink(_Shrink):
    """``x`` moved toward 0 by ``lambd``; 0 within ``lambd`` of 0."""

    function = F.softshrink


class PReLU(Module):
    """Leaky relu with learned negative slopes: one, or one per channel (dim 1).

    >>> ember.nn.PReLU(3)(ember.randn(2, 3)).shape
    ember.Size([2, 3])
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(_creation.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set every slope to ``init`` (0.25 by default), as the constructor does."""
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class _OverDim(Module):
    """A layer that normalizes over ``dim``."""

    function = None

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self).function(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_OverDim):
    """Softmax over ``dim``.

    >>> ember.nn.Softmax(dim=1)(ember.zeros(1, 2))
    tensor([[0.5000, 0.5000]])
    """

    function = F.softmax


class Softmin(_OverDim):
    """``softmax(-x)`` over ``dim``."""

    function = F.softmin


class LogSoftmax(_OverDim):
    """``log(softmax(x))`` over ``dim``."""

    function = F.log_softmax


class Softmax2d(Module):
    """Softmax over the channels of each pixel of a (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D "
                             "instead")
        return F.softmax(input, -3, _stacklevel=5)


__getattr__ = aliases(__name__, {"MultiheadAttention": "ember.nn.modules.attention"})
