"""Folding an evaluation-mode batch norm into the convolution or linear layer before it."""
from __future__ import annotations

import copy

from ..._tensor import Tensor
from ..._creation import ones_like, zeros_like
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _check_eval(*modules: Module) -> None:
    if any(m.training for m in modules):
        raise AssertionError("Fusion only for eval!")


def fuse_conv_bn_eval(conv: Module, bn: Module, transpose: bool = False) -> Module:
    """A copy of ``conv`` computing ``bn(conv(x))`` (both in eval mode) in one convolution.

    >>> conv, bn = nn.Conv2d(3, 8, 3).eval(), nn.BatchNorm2d(8).eval()
    >>> fused = nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
    >>> x = ember.randn(1, 3, 5, 5)
    >>> bool(ember.allclose(fused(x), bn(conv(x)), atol=1e-6))
    True
    """
    _check_eval(conv, bn)
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn must track running statistics to be fused")
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """The weight and bias of one convolution equal to the convolution followed by the
    batch norm (``transpose``: the output channels are the weight's dimension 1)."""
    bias_dtype = conv_w.dtype if conv_b is None else conv_b.dtype
    conv_b = zeros_like(bn_rm) if conv_b is None else conv_b
    scale = _bn_scale(bn_rm, bn_rv, bn_eps, bn_w)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.ndim - 2)
    fused_w = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
    fused_b = _fused_bias(conv_b, bn_rm, bn_b, scale).to(bias_dtype)
    return Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, conv_b.requires_grad)


def fuse_linear_bn_eval(linear: Module, bn: Module) -> Module:
    """A copy of ``linear`` computing ``bn(linear(x))`` (both in eval mode) in one layer."""
    _check_eval(linear, bn)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features or "
                             "bn.num_features must equal 1")
    fused = copy.deepcopy(linear)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn must track running statistics to be fused")
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor,
                           bn_rv: Tensor, bn_eps: float, bn_w: Tensor | None,
                           bn_b: Tensor | None) -> tuple[Parameter, Parameter]:
    """The weight and bias of one linear layer equal to the layer followed by the batch
    norm."""
    linear_b = zeros_like(bn_rm) if linear_b is None else linear_b
    scale = _bn_scale(bn_rm, bn_rv, bn_eps, bn_w)
    fused_w = linear_w * scale.unsqueeze(-1)
    fused_b = _fused_bias(linear_b, bn_rm, bn_b, scale)
    return Parameter(fused_w, linear_w.requires_grad), Parameter(fused_b, linear_b.requires_grad)


def _bn_scale(bn_rm: Tensor, bn_rv: Tensor, bn_eps: float, bn_w: Tensor | None) -> Tensor:
    """``gamma / sqrt(var + eps)``: what the batch norm multiplies each channel by."""
    bn_w = ones_like(bn_rm) if bn_w is None else bn_w
    return bn_w * (bn_rv + bn_eps).rsqrt()


def _fused_bias(bias: Tensor, bn_rm: Tensor, bn_b: Tensor | None, scale: Tensor) -> Tensor:
    bn_b = zeros_like(bn_rm) if bn_b is None else bn_b
    return (bias - bn_rm) * scale + bn_b
