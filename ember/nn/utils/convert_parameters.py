"""Parameters as one flat vector, and back (for second-order methods, model averaging)."""
from __future__ import annotations

from typing import Iterable

from ..._tensor import Tensor


def _check_same_device(param: Tensor, device):
    if device is not None and param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return param.device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All ``parameters`` flattened and concatenated into one 1-d tensor (differentiable).

    >>> nn.utils.parameters_to_vector(nn.Linear(3, 2).parameters()).shape
    ember.Size([8])
    """
    from ... import cat
    device = None
    flat = []
    for p in parameters:
        device = _check_same_device(p, device)
        flat.append(p.reshape(-1))
    return cat(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-d ``vec`` into ``parameters`` (replacing their data)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device = None
    offset = 0
    for p in parameters:
        device = _check_same_device(p, device)
        n = p.numel()
        p.data = vec[offset:offset + n].view_as(p).data
        offset += n
