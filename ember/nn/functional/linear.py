"""`linear`: the affine map of a fully connected layer."""
from __future__ import annotations

from ...ops import TABLE
from ...ops._op import _AUTOCAST, _PROFILER, _TRACER

__all__ = ["linear", "bilinear"]

_matmul = TABLE["matmul"].fn
_addmm = TABLE["addmm"].fn
_linear = TABLE["linear"].fn


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` with weight of shape (out_features, in_features).

    >>> F.linear(ember.randn(8, 4), ember.randn(3, 4)).shape
    ember.Size([8, 3])
    """
    if bias is None:
        return _matmul(input, weight.mT)
    x, w, b = (getattr(t, "_data", None) for t in (input, weight, bias))
    # One op and one graph node, where the composition records three or four. Profiled,
    # traced and autocast, a batch of rows is PyTorch's addmm (its profiler and graph show
    # that name, and graph mode knows it).
    if (x is not None and w is not None and b is not None and x.ndim >= 1
            and (x.ndim != 2 or not (_PROFILER or _TRACER or _AUTOCAST))
            and w.ndim == 2 and b.ndim == 1 and x.shape[-1] == w.shape[1]
            and b.shape[0] == w.shape[0] and x.dtype == w.dtype == b.dtype):
        return _linear(input, weight, bias)
    if input.dim() == 2:
        return _addmm(bias, input, weight.mT)  # one BLAS call with the bias folded in
    if input.dim() > 2 and bias.dim() == 1:
        # (*, in) as one (rows, in) matrix: one product and one bias gradient over all rows
        rows = _addmm(bias, input.reshape(-1, input.shape[-1]), weight.mT)
        return rows.view(*input.shape[:-1], rows.shape[-1])
    return _matmul(input, weight.mT) + bias


def _size(t, d: int) -> int:
    """``t.size(d)``, refused as PyTorch refuses it."""
    n = t.dim()
    if n == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {d})")
    return t.shape[d]


def _check_bilinear(input1, input2, weight, bias) -> None:
    """PyTorch's checks of bilinear's operands, in its order (and so its errors)."""
    given = [("input1", input1), ("input2", input2), ("weight", weight)] + \
        ([("bias", bias)] if bias is not None else [])
    if len({t.dtype for _, t in given}) > 1:
        raise RuntimeError("All tensors must have the same dtype, got " +
                           ", ".join(f"{n}: {t.dtype}" for n, t in given))
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and "
                           f"{input2.dim()}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape)} and {list(input2.shape)}")
    for i, x in ((1, input1), (2, input2)):
        if _size(x, x.dim() - 1) != _size(weight, i):
            raise RuntimeError(f"bilinear(): input{i} size does not match weight size: got "
                               f"{x.shape[-1]} but expected {weight.shape[i]}")
    if bias is not None and _size(bias, 0) != _size(weight, 0):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {weight.shape[0]}")


def bilinear(input1, input2, weight, bias=None):
    """``y_o = input1 @ weight[o] @ input2 + bias_o`` with weight (out, in1, in2); inputs
    (*, in1) and (*, in2) with the same leading dims.

    >>> ember.nn.functional.bilinear(ember.ones(5, 2), ember.ones(5, 3), ember.ones(4, 2, 3)).shape
    ember.Size([5, 4])
    """
    _check_bilinear(input1, input2, weight, bias)
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got "
                           f"{list(weight.shape)}")
    out, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or \
            tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input1 {list(input1.shape)} and input2 "
                           f"{list(input2.shape)} don't fit the weight {list(weight.shape)}: "
                           f"expected (*, {in1}) and (*, {in2}) with the same leading dims")
    # one BLAS call: input1 against every (in1, in2) slice at once, then a dot with input2
    left = _matmul(input1, weight.permute(1, 0, 2).reshape(in1, out * in2))
    y = (left.reshape(*input1.shape[:-1], out, in2) * input2.unsqueeze(-2)).sum(
        -1, dtype=left.dtype)  # (an integer sum stays in its type, as PyTorch's product does)
    return y if bias is None else y + bias
