"""Lazy layers: ``in_features`` / ``in_channels`` / ``num_features`` are read from the first
input. Until then their weights are `UninitializedParameter`s; the first call materializes
them in place (so an optimizer built earlier holds the real parameters), initializes them as
the eager layer would, and turns the module into that eager layer."""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ..parameter import UninitializedBuffer, UninitializedParameter, UninitializedTensorMixin
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .module import Module
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d,
                            InstanceNorm2d, InstanceNorm3d)

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """Mixed in before an eager layer class: subclasses define ``initialize_parameters``
    (materialize from the first input) and name the eager class as ``cls_to_become``."""

    cls_to_become: type | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._register_lazy_hooks()

    def _register_lazy_hooks(self) -> None:
        self._load_hook = self.register_load_state_dict_pre_hook(_lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters,
                                                               with_kwargs=True)

    def __getstate__(self) -> dict:
        # The two hooks are made again on load, so that a pickle names no private function.
        state = self.__dict__.copy()
        for handle_name, registries in _LAZY_HOOKS:
            handle = state.pop(handle_name, None)
            for registry in registries if handle is not None else ():
                state[registry] = type(state[registry])(
                    (k, v) for k, v in state[registry].items() if k != handle.id)
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if "_initialize_hook" not in state and self.has_uninitialized_params():
            self._register_lazy_hooks()

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer still waits for the first input."""
        tensors = list(self._parameters.values()) + list(self._buffers.values())
        return any(isinstance(t, UninitializedTensorMixin) for t in tensors)

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Give the uninitialized parameters their shapes from the first input (subclasses
        define it); it runs once, from a forward pre-hook, then the module becomes its
        non-lazy class.
        """
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")


_LAZY_HOOKS = (("_load_hook", ("_load_state_dict_pre_hooks",)),
               ("_initialize_hook", ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs")))


def _infer_parameters(module: Module, args: tuple, kwargs: dict) -> None:
    module.initialize_parameters(*args, **kwargs)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    module._load_hook.remove()
    del module._initialize_hook, module._load_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


def _lazy_load_hook(module: Module, state_dict, prefix, local_metadata, strict, missing_keys,
                    unexpected_keys, error_msgs) -> None:
    """Loading a checkpoint gives uninitialized tensors the checkpoint's shapes."""
    for registry in (module._parameters, module._buffers):
        for name, t in registry.items():
            key = prefix + name
            if isinstance(t, UninitializedTensorMixin) and key in state_dict:
                with no_grad():
                    t.materialize(tuple(state_dict[key].shape))


def _uninitialized_like(module: Module, names: tuple[str, ...], make) -> None:
    """Replace the (optional) tensors ``names`` of ``module`` by uninitialized ones."""
    for name in names:
        current = getattr(module, name)
        if current is not None:
            setattr(module, name, make(device=current.device, dtype=current.dtype))


# ------------------------------------------------------------------------------------ linear

class LazyLinear(LazyModuleMixin, Linear):
    """A `Linear` whose ``in_features`` is taken from its first input.

    >>> m = ember.nn.LazyLinear(3)
    >>> m(ember.randn(8, 5)).shape, m.in_features
    (ember.Size([8, 3]), 5)
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, out_features, bias, device, dtype)
        _uninitialized_like(self, ("weight", "bias"), UninitializedParameter)

    def reset_parameters(self) -> None:
        """Initialize the parameters as `Linear` does, once their shapes are known (before that,
        nothing to do).
        """
        if not self.has_uninitialized_params() and self.in_features:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        """Set ``in_features`` from ``input``'s last dimension and materialize the weight and
        bias (called by the first forward).
        """
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


# -------------------------------------------------------------------------------- convolution

class _LazyConv(LazyModuleMixin):
    def __init__(self, out_channels: int, kernel_size, *args, **kwargs):
        super().__init__(0, out_channels, kernel_size, *args, **kwargs)
        _uninitialized_like(self, ("weight", "bias"), UninitializedParameter)

    def reset_parameters(self) -> None:
        """Initialize the parameters as the convolution does, once their shapes are known."""
        if not self.has_uninitialized_params() and self.in_channels:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        """Set ``in_channels`` from ``input``'s channel dimension and materialize the weight
        and bias (called by the first forward).
        """
        if not self.has_uninitialized_params():
            return
        unbatched, batched = self._dims + 1, self._dims + 2
        if input.dim() not in (unbatched, batched):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {batched}D (batched) "
                               f"input to {type(self).__name__}, but got input of size: "
                               f"{input.shape}")
        self.in_channels = input.shape[1 if input.dim() == batched else 0]
        if self.in_channels % self.groups:
            raise ValueError("in_channels must be divisible by groups")
        out = self.out_channels
        shape = ((self.in_channels, out // self.groups) if self._transposed
                 else (out, self.in_channels // self.groups)) + self.kernel_size
        with no_grad():
            self.weight.materialize(shape)
            if self.bias is not None:
                self.bias.materialize((out,))
            self.reset_parameters()


def _lazy_conv(eager: type, doc: str) -> type:
    return type(f"Lazy{eager.__name__}", (_LazyConv, eager),
                {"cls_to_become": eager, "__doc__": doc, "__module__": __name__})


LazyConv1d = _lazy_conv(Conv1d, "A `Conv1d` whose ``in_channels`` comes from its first input.")
LazyConv2d = _lazy_conv(Conv2d, """A `Conv2d` whose ``in_channels`` comes from its first input.

    >>> m = ember.nn.LazyConv2d(6, 3)
    >>> m(ember.randn(2, 4, 8, 8)).shape, m.in_channels
    (ember.Size([2, 6, 6, 6]), 4)
    """)
LazyConv3d = _lazy_conv(Conv3d, "A `Conv3d` whose ``in_channels`` comes from its first input.")
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, "A `ConvTranspose1d` whose ``in_channels`` "
                                 "comes from its first input.")
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, "A `ConvTranspose2d` whose ``in_channels`` "
                                 "comes from its first input.")
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, "A `ConvTranspose3d` whose ``in_channels`` "
                                 "comes from its first input.")


# ------------------------------------------------------------------------------ normalization

class _LazyNorm(LazyModuleMixin):
    # Unlike the eager InstanceNorm layers, even the lazy ones default to affine and tracking
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None):
        super().__init__(0, eps, momentum, affine, track_running_stats, device, dtype)
        _uninitialized_like(self, ("weight", "bias"), UninitializedParameter)
        _uninitialized_like(self, ("running_mean", "running_var"), UninitializedBuffer)

    def reset_parameters(self) -> None:
        """Initialize parameters and running statistics as batch norm does, once their shapes are
        known.
        """
        if not self.has_uninitialized_params() and self.num_features:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        """Set ``num_features`` from ``input``'s channel dimension and materialize the affine
        parameters and running statistics (called by the first forward).
        """
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        with no_grad():
            for name in ("weight", "bias", "running_mean", "running_var"):
                t = getattr(self, name)
                if isinstance(t, UninitializedTensorMixin):
                    t.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(eager: type) -> type:
    doc = f"A `{eager.__name__}` whose ``num_features`` comes from its first input."
    return type(f"Lazy{eager.__name__}", (_LazyNorm, eager),
                {"cls_to_become": eager, "__doc__": doc, "__module__": __name__})


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
