"""Utilities for training: gradient clipping, parameter/vector conversion,
reparametrizations (`parametrize`, `parametrizations`, legacy weight/spectral norm hooks),
layer fusion and initialization helpers."""
from .clip_grad import clip_grad_norm_, clip_grad_norm, clip_grad_value_, get_total_norm, \
    clip_grads_with_norm_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .weight_norm import weight_norm, remove_weight_norm
from .spectral_norm import spectral_norm, remove_spectral_norm
from .init import skip_init
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, \
    fuse_linear_bn_weights
from .memory_format import convert_conv2d_weight_memory_format, \
    convert_conv3d_weight_memory_format
from . import rnn, parametrize, parametrizations, fusion, memory_format

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters", "rnn",
           "weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm",
           "parametrize", "parametrizations", "fusion", "memory_format", "skip_init",
           "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights", "convert_conv2d_weight_memory_format",
           "convert_conv3d_weight_memory_format"]
from . import stateless  # noqa: E402,F401  ember.nn.utils.stateless.functional_call
from ._finite import check_finite  # noqa: E402,F401  name the first non-finite module
