"""The dtypes PyTorch refuses, op by op, and the exception it refuses them with.

PyTorch raises NotImplementedError where its kernel has no loop for a dtype
(``"trace" not implemented for 'Bool'``) and RuntimeError where the op checks its input
explicitly (``argmax(): does not support complex input``). NumPy would compute most of
these, so an Ember program could do what a PyTorch one can't; each op named here checks its
operands' common dtype before computing (`Op` and `composite` read this table). Groups:
``b`` bool, ``i`` integers, ``h`` float16, ``B`` bfloat16, ``c`` complex.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import _dtype as dt

N, R = NotImplementedError, RuntimeError

REFUSED: dict[str, dict[str, type]] = {
    # products: no bool loops
    **dict.fromkeys(["matmul", "mm", "bmm", "mv", "dot", "vdot", "addmm", "addbmm", "baddbmm", "addmv",
                     "tensordot", "trace", "addcmul"], {"b": N}),
    # orderings of complex numbers (and of bools, for some)
    **dict.fromkeys(["amax", "amin", "aminmax", "_max_all", "_min_all", "cummax", "cummin",
                     "mode"], {"c": N}),
    **dict.fromkeys(["kthvalue", "median", "nanmedian", "_median_all", "_nanmedian_all"],
                    {"b": N, "c": N}),
    **dict.fromkeys(["max", "min", "sort", "argsort", "msort"], {"c": R}),
    **dict.fromkeys(["argmax", "argmin", "topk", "isin"], {"b": R, "c": R}),
    # math defined on reals only
    **dict.fromkeys(["deg2rad", "rad2deg", "isposinf", "isneginf", "heaviside"], {"c": R}),
    **dict.fromkeys(["igamma", "igammac"], {"b": N, "i": N}),
    "prelu": {"b": N, "i": N, "c": N},
    "threshold": {"b": N},
    **dict.fromkeys(["unique", "unique_consecutive"], {"c": N}),
    "mvlgamma": {"b": R, "c": N},
    **dict.fromkeys(["nansum", "nanmean"], {"c": R}),
    **dict.fromkeys(["quantile", "nanquantile"], {"h": R, "B": R}),
    **dict.fromkeys(["cov", "corrcoef"], {"b": R}),
    # bit operations of bfloat16, shifts of bools
    **dict.fromkeys(["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "gcd", "lcm"],
                    {"B": N}),
    **dict.fromkeys(["bitwise_left_shift", "bitwise_right_shift"], {"b": N, "B": N}),
    "clamp": {"b": N},  # with both bounds (one bound of a bool tensor is allowed)
    # half precision where PyTorch's CPU kernels have none
    "cdist": {"h": N, "B": N},
    "polar": {"h": N},
    "lu": {"b": N, "i": N, "h": N, "B": N},
    "lu_solve": {"b": R, "i": R, "h": N, "B": N},
    "orgqr": {"b": N, "i": N, "h": N, "B": N},
}

# Ops whose kernel (and so its dtype check) doesn't run on an empty input, or on a 0-d one
# (a scan or selection of one element is that element): PyTorch returns for those.
UNCHECKED_EMPTY = frozenset({"amax", "amin", "cummax", "cummin", "mode", "_median_all",
                             "_nanmedian_all", "lu", "cdist"})
UNCHECKED_SCALAR = frozenset({"cummax", "cummin", "kthvalue", "mode"})
# In-place variants refusing what their function computes: group -> PyTorch's message.
INPLACE_REFUSED = {"abs": {"c": "In-place abs is not supported for complex tensors."}}


def check_inplace(name: str, rules: dict, dtype) -> None:
    """Raise PyTorch's RuntimeError if ``name_`` refuses a tensor of ``dtype``."""
    message = rules.get(_group(dtype))
    if message is not None:
        raise RuntimeError(f"{name}_(): {message}")


def _group(dtype) -> str:
    kind = dtype.kind
    if kind in "iu":
        return "i"
    if kind == "f" and dtype.itemsize == 2:
        return "h"
    if dtype.name == "bfloat16":
        return "B"
    return kind  # b, c, f


def check(name: str, rules: dict, dtype, data=None) -> None:
    """Raise PyTorch's exception if ``name`` refuses ``dtype`` (of the array ``data``)."""
    error = rules.get(_group(dtype))
    if error is None or data is not None and (
            name in UNCHECKED_EMPTY and data.size == 0 or
            name in UNCHECKED_SCALAR and data.ndim == 0):
        return
    type_name = dt.scalar_type_name(dtype)
    if error is N:
        raise N(f'"{name}" not implemented for \'{type_name}\'')
    kind = {"b": "bool", "c": "complex"}.get(_group(dtype), type_name)
    raise R(f"{name}(): does not support {kind} input")


# Ops that check each operand's own dtype (a Python bool counting as a bool tensor), not
# the operands' common one.
EACH_OPERAND = {"isin"}


def check_operands(name: str, rules: dict, operands) -> None:
    """Raise PyTorch's exception if ``name`` refuses its tensor operands' common dtype (or,
    for `EACH_OPERAND`, the dtype of any of them)."""
    if name in EACH_OPERAND:
        for x in operands:
            data = getattr(x, "_data", None)
            if data is not None or isinstance(x, (bool, complex)):
                check(name, rules, data.dtype if data is not None else np.dtype(type(x)))
        return
    if len(operands) == 1:
        if hasattr(operands[0], "_data"):
            check(name, rules, operands[0]._data.dtype, operands[0]._data)
    elif any(hasattr(x, "_data") for x in operands):
        if name in UNCHECKED_EMPTY and any(x._data.size == 0 for x in operands
                                           if hasattr(x, "_data")):
            return
        check(name, rules, dt.result_dtype(operands).np)


def refusing(name: str, fn):
    """Composite ``name`` (on tensors), checking its first tensor argument's dtype."""
    rules = REFUSED.get(name)
    if rules is None:
        return fn

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        for a in args + tuple(kwargs.values()):
            data = getattr(a, "_data", None)
            if data is not None:
                check(name, rules, data.dtype, data)
                break
        return fn(*args, **kwargs)
    return checked
