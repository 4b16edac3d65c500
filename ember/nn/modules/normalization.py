"""Normalization layers: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm,
RMSNorm, LocalResponseNorm, CrossMapLRN2d and SyncBatchNorm (single-process)."""
from __future__ import annotations

import numpy as np

from ... import _creation
from ... import _dtype as dt
from .. import functional as F
from .. import init
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm",
           "CrossMapLRN2d", "SyncBatchNorm"]


def _optional_parameter(module: Module, name: str, wanted: bool, initial) -> None:
    module.register_parameter(name, Parameter(initial) if wanted else None)


def _reset_affine(module: Module) -> None:
    """The identity map: weight ones, bias zeros (where the module has them)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if getattr(module, "bias", None) is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """Per-channel affine parameters and running statistics, shared by batch and instance
    normalization."""

    _input_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        factory = {"dtype": dtype, "device": device}
        _optional_parameter(self, "weight", affine, _creation.empty(num_features, **factory))
        _optional_parameter(self, "bias", affine and bias,
                            _creation.empty(num_features, **factory))
        if track_running_stats:
            self.register_buffer("running_mean", _creation.zeros(num_features, **factory))
            self.register_buffer("running_var", _creation.ones(num_features, **factory))
            self.register_buffer("num_batches_tracked",
                                 _creation.tensor(0, dtype=dt.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Zero the running mean and batch count and set the running variance to ones (when
        ``track_running_stats``).
        """
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """`reset_running_stats`, then set the weight to ones and the bias to zeros (when
        ``affine``)."""
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input) -> None:
        if input.dim() not in self._input_dims:
            dims = " or ".join(f"{d}D" for d in self._input_dims)
            raise ValueError(f"expected {dims} input (got {input.dim()}D input)")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative average over all batches so far
                factor = 1.0 / int(self.num_batches_tracked)
        # Without running statistics, even evaluation uses the batch's.
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, per channel.

    >>> bn = ember.nn.BatchNorm1d(3)
    >>> bn(ember.randn(8, 3)).shape
    ember.Size([8, 3])
    """
    _input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs, per channel."""
    _input_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) inputs, per channel."""
    _input_dims = (5,)


class SyncBatchNorm(_BatchNorm):
    """Batch normalization of (N, C, ...) inputs whose batch statistics are those of the
    whole batch across the ranks of ``process_group`` (`ember.distributed`), so a model
    trained on 2 ranks of 32 samples normalizes as one on 64. Outside a process group, or
    in evaluation, it is ``BatchNorm``.

    >>> model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    >>> model = ember.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    >>> type(model[1]).__name__
    'SyncBatchNorm'
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input):
        from ... import distributed
        if not (self.training and distributed.is_initialized()
                and distributed.get_world_size(self.process_group) > 1):
            return super().forward(input)
        self._check_input_dim(input)
        return _sync_batch_norm(self, input)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every ``BatchNorm*d`` inside replaced by a ``SyncBatchNorm`` sharing
        its parameters and running statistics (a new module if ``module`` itself is one)."""
        converted = module
        if isinstance(module, _BatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group,
                            bias=module.bias is not None)
            if module.affine:
                converted.weight = module.weight
                converted.bias = module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
            if hasattr(module, "qconfig"):
                converted.qconfig = module.qconfig
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted


def _sync_batch_norm(bn: SyncBatchNorm, x):
    """Normalize ``x`` with the mean and (biased) variance of the batch of every rank; the
    statistics come from differentiable all-reduces, so the gradient flows across ranks."""
    from ... import cat
    from ...distributed.nn.functional import all_reduce
    channels = x.shape[1]
    dims = [0] + list(range(2, x.dim()))
    shape = [1, channels] + [1] * (x.dim() - 2)
    count = _creation.full((1,), x.numel() // channels, dtype=x.dtype)
    totals = all_reduce(cat([x.sum(dims), count]), group=bn.process_group)
    n = totals[channels]
    mean = totals[:channels] / n
    centered = x - mean.reshape(shape)
    var = all_reduce((centered * centered).sum(dims), group=bn.process_group) / n
    out = centered * (var + bn.eps).rsqrt().reshape(shape)
    if bn.weight is not None:
        out = out * bn.weight.reshape(shape)
    if bn.bias is not None:
        out = out + bn.bias.reshape(shape)
    if bn.track_running_stats:
        bn.num_batches_tracked.add_(1)
        factor = bn.momentum if bn.momentum is not None else 1.0 / int(bn.num_batches_tracked)
        with no_grad():
            unbiased = var.detach() * (n.detach() / (n.detach() - 1))
            bn.running_mean.mul_(1 - factor).add_(mean.detach() * factor)
            bn.running_var.mul_(1 - factor).add_(unbiased * factor)
    return out


class _InstanceNorm(_NormBase):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input):
        self._check_input_dim(input)
        unbatched = input.dim() == self._input_dims[0]
        if unbatched:
            input = input.unsqueeze(0)
        if self.affine and input.shape[1] != self.num_features:
            raise ValueError(f"expected input's size at dim=1 to match num_features "
                             f"({self.num_features}), but got: {input.shape[1]}.")
        y = F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            0.0 if self.momentum is None else self.momentum, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or unbatched (C, L) inputs."""
    _input_dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or unbatched (C, H, W) inputs."""
    _input_dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or unbatched (C, D, H, W) inputs."""
    _input_dims = (4, 5)


def _shape_tuple(normalized_shape) -> tuple:
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Normalization over the last dims (``normalized_shape``), with an elementwise affine map.

    >>> ember.nn.LayerNorm(5)(ember.randn(2, 5)).shape
    ember.Size([2, 5])
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        factory = {"dtype": dtype, "device": device}
        _optional_parameter(self, "weight", elementwise_affine,
                            _creation.ones(self.normalized_shape, **factory))
        _optional_parameter(self, "bias", elementwise_affine and bias,
                            _creation.zeros(self.normalized_shape, **factory))

    def reset_parameters(self) -> None:
        """Set the weight to ones and the bias to zeros (when ``elementwise_affine``)."""
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """Division by the root mean square over the last dims, with an elementwise scale."""

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _optional_parameter(self, "weight", elementwise_affine,
                            _creation.ones(self.normalized_shape, dtype=dtype, device=device))

    def reset_parameters(self) -> None:
        """Set the weight to ones (when ``elementwise_affine``)."""
        _reset_affine(self)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Normalization over groups of channels of each sample, with a per-channel affine map.

    >>> ember.nn.GroupNorm(2, 4)(ember.randn(3, 4, 5)).shape
    ember.Size([3, 4, 5])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        factory = {"dtype": dtype, "device": device}
        _optional_parameter(self, "weight", affine, _creation.ones(num_channels, **factory))
        _optional_parameter(self, "bias", affine and bias,
                            _creation.zeros(num_channels, **factory))

    def reset_parameters(self) -> None:
        """Set the weight to ones and the bias to zeros (when ``affine``)."""
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _ChannelWindowNorm(Module):
    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LocalResponseNorm(_ChannelWindowNorm):
    """Normalization of each element by the energy of its neighbouring channels."""

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)


class CrossMapLRN2d(_ChannelWindowNorm):
    """Lua Torch's cross-channel LRN of (N, C, H, W) inputs, with its exact (lopsided) channel
    windows and its hand-written gradient, as PyTorch keeps them."""

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D "
                             f"instead.")
        return _CrossMapLRN.apply(input, self.size, self.alpha, self.beta, self.k)


def _pad_channels(x, before: int, after: int):
    return F.pad(x, (0, 0, 0, 0, before, after))


class _CrossMapLRN(Function):
    @staticmethod
    def forward(ctx, input, size, alpha, beta, k):
        channels = np.arange(input.shape[1])
        square = input * input
        running = square.cumsum(1)
        # Channel c sums squares up to c+reach-1 but drops only channels 1..c-reach: channel 0
        # is never dropped (Lua Torch's running-sum quirk).
        reach = (size - 1) // 2 + 1
        last = _creation.tensor(np.minimum(channels + reach - 1, channels[-1]),
                                device=input.device)
        first = _creation.tensor(np.maximum(channels - reach, 0), device=input.device)
        drops = _creation.tensor((channels - reach >= 1)[:, None, None], dtype=input.dtype,
                                 device=input.device)
        window = (running.index_select(1, last)
                  - (running.index_select(1, first) - square[:, :1]) * drops)
        scale = window * (alpha / size) + k
        output = input * scale.pow(-beta)
        ctx.save_for_backward(input, output, scale)
        ctx.options = (size, alpha, beta)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, output, scale = ctx.saved_tensors
        size, alpha, beta = ctx.options
        channels = input.shape[1]
        # The gradient sums each channel's `size`-wide window starting (size+1)//2 before it.
        offset = (size + 1) // 2
        ratio = _pad_channels(grad_output * output / scale, offset, size - 1 - offset)
        running = _pad_channels(ratio.cumsum(1), 1, 0)
        window = running[:, size:size + channels] - running[:, :channels]
        grad = scale.pow(-beta) * grad_output - (2 * alpha * beta / size) * input * window
        return grad, None, None, None, None
