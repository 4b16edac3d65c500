"""Zero-size and 0-d tensors through every reduction, normalization, scan, sort and index op:
Ember returns what PyTorch returns (values, dtype, shape) or raises PyTorch's exception
class, never a NumPy message."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .fuzzing import Case, case_dtypes, explained, run

SHAPES = [(), (0,), (2, 0), (0, 3), (3, 0, 2), (1,)]

# name: the extra arguments each call gets (after the tensor); "dim" is replaced by each dim
CALLS = {
    **dict.fromkeys(["sum", "nansum", "mean", "nanmean", "prod", "amax", "amin", "all", "any",
                     "count_nonzero", "var", "std", "var_mean", "std_mean", "norm",
                     "median", "nanmedian", "argmax", "argmin", "max", "min", "aminmax",
                     "msort", "unique", "unique_consecutive", "nonzero", "argwhere", "trace",
                     "flatten", "ravel", "diff", "sort", "argsort", "logsumexp", "cumsum",
                     "cumprod", "cummax", "cummin", "logcumsumexp", "softmax", "log_softmax",
                     "mode", "kthvalue", "flip", "trapezoid", "cumulative_trapezoid",
                     "histc", "bincount", "isin", "searchsorted", "bucketize", "gather",
                     "index_select", "take", "masked_select", "quantile", "nanquantile",
                     "topk", "roll", "cov", "corrcoef", "renorm", "tril", "triu", "diag",
                     "diagonal", "unbind", "chunk", "split", "tensor_split", "squeeze",
                     "unsqueeze", "narrow", "select", "movedim", "transpose", "t",
                     "repeat_interleave", "cross", "dist", "cdist", "sgn"], ()),
}
ARGS = {
    "logsumexp": [("dim",)], "cumsum": [("dim",)], "cumprod": [("dim",)],
    "cummax": [("dim",)], "cummin": [("dim",)], "logcumsumexp": [("dim",)],
    "softmax": [("dim",)], "log_softmax": [("dim",)], "kthvalue": [(1,), (1, "dim")],
    "flip": [((0,),), ("dims",)], "isin": [("self",)], "searchsorted": [("sorted",)],
    "bucketize": [("sorted",)], "gather": [("dim", "index")], "index_select":
    [("dim", "index1")], "take": [("index",)], "masked_select": [("mask",)],
    "quantile": [(0.5,), (0.5, "dim")], "nanquantile": [(0.5,), (0.5, "dim")],
    "topk": [(0,), (1,), (0, "dim")], "roll": [(1,), (1, "dim")], "renorm": [(2, 0, 1.0)],
    "diagonal": [(), (0, 0, 1)], "unbind": [(), ("dim",)], "chunk": [(2,), (2, "dim")],
    "split": [(1,), (1, "dim")], "tensor_split": [(2,), (2, "dim")], "unsqueeze": [("dim",)],
    "narrow": [("dim", 0, 0)], "select": [("dim", 0)], "movedim": [(0, -1)],
    "transpose": [(0, -1)], "repeat_interleave": [(2,), (2, "dim")], "cross": [("self",)],
    "dist": [("self",)], "cdist": [("self",)], "histc": [(4,)],
    "diff": [(), (1, "dim")], "unique_consecutive": [(), ("dim_kw",)], "trapezoid": [(), ("dim_kw",)],
    "cumulative_trapezoid": [(), ("dim_kw",)],
}
WITH_DIM = {"sum", "nansum", "mean", "nanmean", "prod", "amax", "amin", "all", "any",
            "count_nonzero", "var", "std", "var_mean", "std_mean", "norm", "median",
            "nanmedian", "argmax", "argmin", "max", "min", "mode", "sort", "argsort",
            "squeeze"}


def _extra(spec, x: np.ndarray, dim: int):
    out = []
    for s in spec:
        if s == "dim":
            out.append(dim)
        elif s == "dims":
            out.append((dim,))
        elif s == "self":
            out.append(x)
        elif s == "sorted":
            out.append(np.sort(x.reshape(-1)) if x.ndim else x)
        elif s == "index":
            out.append(np.zeros(x.shape, dtype=np.int64))
        elif s == "index1":
            out.append(np.zeros(min(x.shape[dim] if x.ndim else 1, 1), dtype=np.int64))
        elif s == "mask":
            out.append(x > 0)
        else:
            out.append(s)
    return out


def _cases():
    for name in CALLS:
        for shape in SHAPES:
            for dtype in ("float32", "int64"):
                yield pytest.param(name, shape, dtype, id=f"{name}-{shape}-{dtype}")


@pytest.mark.parametrize("name,shape,dtype", list(_cases()))
def test_empty_and_0d_match_torch(name, shape, dtype):
    rng = np.random.default_rng(0)
    x = np.asarray(rng.standard_normal(shape) * 3).astype(dtype)
    dims = sorted({0, -1, len(shape) - 1} if shape else {0, -1})
    calls = []
    for spec in ARGS.get(name, [()]):
        for dim in (dims if any(s in ("dim", "dims", "index1", "dim_kw") for s in spec)
                    else [None]):
            extra = _extra([s for s in spec if s != "dim_kw"], x, dim)
            kwargs = {"dim": dim} if "dim_kw" in spec else {}
            calls.append(Case(name, False, "", [x] + extra, kwargs))
    if name in WITH_DIM:
        for dim in dims:
            calls.append(Case(name, False, "", [x, dim], {}))
            calls.append(Case(name, False, "", [x], {"dim": dim, "keepdim": True})
                         if name not in ("squeeze", "unique_consecutive", "sort", "argsort")
                         else Case(name, False, "", [x], {"dim": dim}))
    problems = [f"{c!r}: {p}" for c in calls if (p := run(c)) is not None
                and explained(name, case_dtypes(c), p, c) is None]
    assert not problems, "\n".join(problems)
