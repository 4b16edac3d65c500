"""``ember.nn.parallel.data_parallel``: `DataParallel` as PyTorch programs write it.

On a machine without GPUs PyTorch's DataParallel keeps no devices and simply calls the
wrapped module; so does Ember's. With GPUs, Ember runs the module on the first of
``device_ids`` (inputs moved there): it does not split batches across several GPUs.
Multi-process data parallelism is `DistributedDataParallel`'s job, on `ember.distributed`.
"""
from __future__ import annotations

from ... import cuda
from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Wrap ``module`` so that ``model.module`` is the original and state-dict keys read
    ``"module.<name>"``, as in PyTorch.

    >>> model = ember.nn.DataParallel(ember.nn.Linear(2, 3))
    >>> list(model.state_dict())
    ['module.weight', 'module.bias']
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        if not cuda.is_available():
            self.device_ids = []
            return
        self.device_ids = [_index(d) for d in (device_ids if device_ids is not None
                                               else range(cuda.device_count()))]
        self.output_device = _index(output_device if output_device is not None
                                    else self.device_ids[0])
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        device = f"cuda:{self.device_ids[0]}"
        inputs = tuple(_to(x, device) for x in inputs)
        kwargs = {k: _to(v, device) for k, v in kwargs.items()}
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim: int = 0,
                  module_kwargs=None):
    """Evaluate ``module(*inputs)`` the way `DataParallel` would (functional form)."""
    if not cuda.is_available():
        raise RuntimeError("device type could not be determined")
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    wrapper = DataParallel(module, device_ids, output_device, dim)
    return wrapper(*inputs, **(module_kwargs or {}))


def _index(device) -> int:
    if isinstance(device, int):
        return device
    index = getattr(device, "index", None)
    if index is None and isinstance(device, str):
        index = int(device.split(":")[1]) if ":" in device else 0
    return index or 0


def _to(x, device):
    return x.to(device) if isinstance(x, Tensor) else x
