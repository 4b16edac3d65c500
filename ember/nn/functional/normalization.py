"""Normalization: batch, instance, layer, group, RMS and local response normalization.

Batch and layer normalization are fused ops (ember/ops/norm.py); instance and group
normalization reuse the batch-norm op on a reshaped input, as their statistics are a batch
norm's over a different grouping of the same numbers.
"""
from __future__ import annotations

from ... import _creation
from ... import _dtype as dt
from ...autograd.grad_mode import no_grad
from ...ops import TABLE

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "local_response_norm"]

_batch_norm = TABLE["batch_norm"].fn
_layer_norm = TABLE["layer_norm"].fn
_channel_affine = TABLE["channel_affine"].fn
_avg_pool = TABLE["avg_pool"].fn


def _affine_or_identity(weight, bias, size, x):
    """``weight`` and ``bias``, with ones and zeros standing in for missing ones."""
    if weight is None:
        weight = _creation.ones(size, dtype=x.dtype, device=x.device)
    if bias is None:
        bias = _creation.zeros(size, dtype=x.dtype, device=x.device)
    return weight, bias


def _check_channels(name, t, channels, fn):
    if t is not None and t.numel() != channels:
        raise RuntimeError(f"{fn}(): {name} should contain {channels} elements not {t.numel()}")


def _channel_view(t, ndim):
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _unbiased(var, count):
    return var * (count / (count - 1))


def _update_running(running_mean, running_var, mean, unbiased_var, momentum):
    """Move the running statistics towards the batch's by ``momentum`` (PyTorch keeps the
    unbiased variance)."""
    with no_grad():
        if running_mean is not None:
            running_mean.lerp_(mean.to(running_mean.dtype), momentum)
        if running_var is not None:
            running_var.lerp_(unbiased_var.to(running_var.dtype), momentum)


def batch_norm(input, running_mean, running_var, weight=None, bias=None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5):
    """Normalize each channel (dim 1) of ``input`` by the batch's statistics (``training``,
    which also updates the running ones) or by ``running_mean``/``running_var``.

    >>> F.batch_norm(ember.randn(8, 3), None, None, training=True).mean(0).abs().max() < 1e-6
    tensor(True)
    """
    if input.dim() < 2:
        raise ValueError(f"batch_norm(): expected an input of 2 or more dims (N, C, ...), got "
                         f"input of size {list(input.shape)}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_channels(name, t, channels, "batch_norm")
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm(): running_mean and running_var must be defined "
                               "in evaluation mode")
        return _normalize_with(input, running_mean, running_var, weight, bias, eps)
    per_channel = input.numel() // channels
    if per_channel == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {input.shape}")
    weight, bias = _affine_or_identity(weight, bias, channels, input)
    y, mean, var = _batch_norm(input, weight, bias, eps)
    if running_mean is not None or running_var is not None:
        _update_running(running_mean, running_var, mean, _unbiased(var, per_channel), momentum)
    return y


def _normalize_with(x, mean, var, weight, bias, eps):
    """``(x - mean) / sqrt(var + eps) * weight + bias`` per channel, as one scale and shift."""
    scale = (var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias
    if scale.dtype != x.dtype:
        return x * _channel_view(scale, x.dim()) + _channel_view(shift, x.dim())
    return _channel_affine(x, scale, shift)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Normalize each channel of each sample (N, C, *) over its own spatial dims."""
    if input.dim() < 3:
        raise ValueError(f"instance_norm(): expected an input of 3 or more dims (N, C, ...), "
                         f"got input of size {list(input.shape)}")
    n, channels = input.shape[:2]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_channels(name, t, channels, "instance_norm")
    if not use_input_stats:
        return _normalize_with(input, running_mean, running_var, weight, bias, eps)
    spatial = input.numel() // max(n * channels, 1)
    if spatial == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input "
                         f"size {input.shape}")
    # The instances as the channels of a batch of one: a batch norm's statistics.
    weight, bias = _affine_or_identity(weight, bias, channels, input)
    flat = input.reshape((1, n * channels) + tuple(input.shape[2:]))
    y, mean, var = _batch_norm(flat, weight.repeat(n), bias.repeat(n), eps)
    if running_mean is not None or running_var is not None:
        # (the mean over samples of each instance's unbiased variance, as PyTorch does)
        _update_running(running_mean, running_var, mean.reshape(n, channels).mean(0),
                        _unbiased(var, spatial).reshape(n, channels).mean(0), momentum)
    return y.reshape(input.shape)


def _normalized_ndim(input, normalized_shape, fn):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.dim() - k:]) != normalized_shape or input.dim() < k:
        raise RuntimeError(f"{fn}(): Given normalized_shape={list(normalized_shape)}, expected "
                           f"input with shape [*, {', '.join(map(str, normalized_shape))}], but "
                           f"got input of size {list(input.shape)}")
    return normalized_shape


def _check_param(name, t, shape, fn):
    if t is not None and tuple(t.shape) != shape:
        raise RuntimeError(f"{fn}(): Expected {name} to be of same shape as normalized_shape, "
                           f"but got {name} of shape {list(t.shape)} and normalized_shape = "
                           f"{list(shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalize over the last dims (``normalized_shape``) of ``input``, then ``* weight +
    bias``.

    >>> F.layer_norm(ember.randn(2, 5), (5,)).mean(-1).abs().max() < 1e-6
    tensor(True)
    """
    shape = _normalized_ndim(input, normalized_shape, "layer_norm")
    _check_param("weight", weight, shape, "layer_norm")
    _check_param("bias", bias, shape, "layer_norm")
    weight, bias = _affine_or_identity(weight, bias, shape, input)
    return _layer_norm(input, weight, bias, len(shape), eps)[0]


def rms_norm(input, normalized_shape, weight=None, eps: float | None = None):
    """Divide by the root mean square over the last dims (``normalized_shape``), then
    ``* weight``; ``eps`` defaults to the dtype's machine epsilon."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(normalized_shape)
    _check_param("weight", weight, shape, "rms_norm")  # PyTorch's order of the checks
    if input.dim() < len(shape):
        raise ValueError(f"rms_norm(): Input tensor must have at least {len(shape)} "
                         f"dimensions, but got {input.dim()}")
    _normalized_ndim(input, shape, "rms_norm")
    if not (input.is_floating_point() or input.is_complex()):
        raise NotImplementedError(f"\"rms_norm\" not implemented for '{input.dtype}'")
    if eps is None:
        eps = dt.finfo(input.dtype).eps
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    y = input * (input.square().mean(dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else (y * weight).to(input.dtype)  # (PyTorch's type_as)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """Normalize each group of ``num_groups`` channel groups of each sample, then scale and
    shift each channel."""
    if input.dim() < 2:
        raise RuntimeError(f"group_norm(): Expected at least 2 dimensions for input tensor but "
                           f"received {input.dim()}")
    n, channels = input.shape[:2]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(f"group_norm(): Expected number of channels in input to be divisible "
                           f"by num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    _check_channels("weight", weight, channels, "group_norm")
    _check_channels("bias", bias, channels, "group_norm")
    # Each (sample, group) as one channel of a batch of one: a batch norm's statistics.
    ones, zeros = _affine_or_identity(None, None, n * num_groups, input)
    flat = input.reshape(1, n * num_groups, -1)
    y = _batch_norm(flat, ones, zeros, eps)[0].reshape(input.shape)
    if weight is not None:
        y = y * _channel_view(weight, input.dim())
    if bias is not None:
        y = y + _channel_view(bias, input.dim())
    return y


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    """Divide each element by ``(k + alpha * mean of squares over `size` neighbouring
    channels) ** beta``."""
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.dim()} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    n, channels = input.shape[:2]
    # The squares as a one-channel image (N, 1, C, rest): a moving average down the channels,
    # zero-padded (size//2 before, (size-1)//2 after) and divided by size.
    squares = input.square().reshape(n, 1, channels, -1)
    pads = ((size // 2, (size - 1) // 2), (0, 0))
    window = _avg_pool(squares, (size, 1), (1, 1), pads, (0, 0), True, None)
    div = (window.reshape(input.shape) * alpha + k).pow(beta)
    return input / div
