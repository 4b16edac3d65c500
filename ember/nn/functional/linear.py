"""`linear`: the affine map of a fully connected layer."""
from __future__ import annotations

from ...ops import TABLE

__all__ = ["linear"]

_matmul = TABLE["matmul"].fn
_addmm = TABLE["addmm"].fn


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` with weight of shape (out_features, in_features).

    >>> F.linear(ember.randn(8, 4), ember.randn(3, 4)).shape
    ember.Size([8, 3])
    """
    if input.dim() == 2 and bias is not None:
        return _addmm(bias, input, weight.mT)  # one BLAS call with the bias folded in
    out = _matmul(input, weight.mT)
    return out if bias is None else out + bias
