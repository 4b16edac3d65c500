"""The differential fuzzer's cases: random calls of every public function (and method-only
Tensor method) that Ember shares with PyTorch, built from PyTorch's own signatures.

A case picks one of PyTorch's overloads of a name, and for each parameter either leaves it
out (when it has a default) or draws a value from the parameter's stub type and name: tensors
of every dtype whose shapes include 0-d and zero-size ones and broadcast against each other,
dims that may be out of range, sizes, flags, scalars, dtypes, the documented strings. Each
argument goes by position or, from some point on, by keyword. `run` calls Ember and PyTorch
with the same values and reports a difference: one side raising and not the other, another
exception class (PyTorch's, up to its builtin base), another dtype, shape or values.

The choices come from a `Chooser`: hypothesis's in `tests/test_fuzz.py` (so that it shrinks
and reports failing examples), a seeded NumPy generator in the campaign
(``python -m tests.fuzzing``), which prints each failing case's seed.
"""
from __future__ import annotations

import argparse
import collections
import math
import re
import signal
import sys
import time
import warnings
from typing import Callable, NamedTuple

import numpy as np
import torch

import ember
from ember._signature_table import FUNCTIONS, METHODS

from .torch_signatures import annotations, parameters

# -------------------------------------------------------------------------- what is fuzzed

# Names left out of the fuzzer, each with its reason (docs/differences.md lists the ones that
# are differences from PyTorch).
NOT_FUZZED = {
    **dict.fromkeys(
        ["bernoulli", "multinomial", "normal", "poisson", "rand", "rand_like", "randint",
         "randint_like", "randn", "randn_like", "randperm", "dropout", "alpha_dropout",
         "feature_alpha_dropout", "feature_dropout", "rrelu", "rrelu_", "dropout_",
         "alpha_dropout_", "feature_alpha_dropout_", "feature_dropout_", "bernoulli_",
         "cauchy_", "exponential_", "geometric_", "log_normal_", "normal_", "random_",
         "uniform_", "_standard_gamma", "seed", "manual_seed", "initial_seed",
         "get_rng_state", "set_rng_state"],
        "random: its values are another generator's (shapes and dtypes are tested in "
        "tests/test_random.py)"),
    **dict.fromkeys(
        ["set_num_threads", "set_num_interop_threads", "get_num_threads",
         "get_num_interop_threads", "set_default_dtype", "get_default_dtype",
         "set_printoptions", "set_default_device", "get_default_device",
         "use_deterministic_algorithms", "set_deterministic_debug_mode",
         "set_float32_matmul_precision", "set_warn_always", "set_flush_denormal",
         "set_anomaly_enabled", "set_grad_enabled", "set_autocast_enabled",
         "set_autocast_dtype", "set_autocast_cache_enabled", "clear_autocast_cache", "save",
         "load", "from_numpy", "from_dlpack", "asarray", "as_tensor", "tensor",
         "as_strided", "as_strided_", "empty_strided", "vmap", "compile", "autocast",
         "is_autocast_enabled", "get_autocast_dtype", "is_autocast_cache_enabled"],
        "not a computation on tensors: process settings, I/O and conversions from Python "
        "data, tested in their own files (as_strided reads memory by strides, which NumPy "
        "and PyTorch lay out alike only for contiguous inputs)"),
    **dict.fromkeys(
        ["ctc_loss", "embedding_bag", "rnn_tanh", "rnn_relu", "lstm", "gru", "lstm_cell",
         "gru_cell", "rnn_tanh_cell", "rnn_relu_cell", "batch_norm", "instance_norm",
         "group_norm", "layer_norm", "native_layer_norm", "native_batch_norm",
         "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
         "conv_transpose3d", "conv_tbc", "convolution", "cudnn_convolution",
         "stft", "istft", "einsum", "histogramdd"],
        "structured arguments (weights of given shapes, sequences of lengths, equations) "
        "that random draws almost never fill validly: each has its own samples in tests/"),
}

# Ops whose index outputs may differ from PyTorch's where values tie (neither library
# promises which of equal elements comes first): only the values are compared.
TIE_INDICES = {"sort", "topk", "kthvalue", "median", "nanmedian", "mode", "msort", "max", "min",
               "cummax", "cummin"}
# Outputs that are uninitialized memory: only dtype and shape are compared.
UNINITIALIZED = {"empty", "empty_like", "new_empty", "new_empty_strided", "resize_",
                 "resize_as_"}


def fuzzed_names() -> list[tuple[str, bool]]:
    """(name, as_method) for every fuzzed public name: the functions, then the Tensor methods
    that have no function of the same name."""
    names = [(n, False) for n in FUNCTIONS
             if n not in NOT_FUZZED and not n.startswith("_") and hasattr(ember, n)]
    names += [(n, True) for n in METHODS
              if n not in FUNCTIONS and n not in NOT_FUZZED and not n.startswith("_")
              and n not in _NOT_COMPUTATIONS]
    return names


# Tensor methods that are not computations on values (memory, types, autograd, hooks).
_NOT_COMPUTATIONS = {
    "backward", "register_hook", "register_post_accumulate_grad_hook", "retain_grad",
    "requires_grad_", "data_ptr", "storage", "untyped_storage", "storage_offset", "stride",
    "is_contiguous", "is_pinned", "pin_memory", "share_memory_", "is_shared", "cpu", "cuda",
    "to", "type", "numpy", "tolist", "item", "apply_", "map_", "new", "new_tensor",
    "dim_order", "element_size", "get_device", "is_set_to", "set_", "detach_", "detach",
    "record_stream", "module_load", "dlpack", "__dlpack__", "__dlpack_device__", "to_dense",
    "to_sparse", "coalesce", "element_size", "nbytes", "itemsize", "is_inference",
    "contiguous", "clone", "copy_", "zero_", "fill_", "resize_as_", "_version",
    "new_empty_strided", "as_strided", "as_strided_", "as_strided_scatter", "untyped_storage",
    "is_nonzero", "is_signed", "tolist", "numel", "nelement", "ndimension", "size", "dim",
    "float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte", "bool",
    "cfloat", "cdouble", "type_as", "view_as", "expand_as", "reshape_as", "is_floating_point",
    "is_complex", "sum_to_size",
}

# -------------------------------------------------------------------- known differences


class Difference(NamedTuple):
    """A deliberate or known difference from PyTorch, explained under ``key`` in
    docs/differences.md; it covers a failing case that names one of ``names`` (None: any),
    has a tensor of one of ``dtypes`` (None: any), whose report matches ``pattern`` and,
    where ``when`` is given, for which ``when(case)`` holds."""
    key: str
    names: frozenset | None = None
    dtypes: frozenset | None = None
    pattern: str | None = None
    when: Callable | None = None


def _set(*items):
    return frozenset(items)


_BF16_GAPS = _set("std", "var", "std_mean", "var_mean", "norm", "dist",
                  "renorm", "corrcoef", "cov", "matrix_exp", "frexp", "histc", "histogram",
                  "histogramdd", "logcumsumexp", "clamp", "clip", "inner", "ldexp", "logit",
                  "renorm_", "ldexp_", "logit_", "svd", "pinverse", "cdist", "max_pool1d",
                  "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
                  "max_pool2d_with_indices", "max_pool3d_with_indices")

# The matrix products: PyTorch checks their operands' dtypes only where a kernel runs.
_MATMULS = _set("matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "addmm", "addmv", "addbmm",
                "baddbmm", "addr", "matrix_power", "cdist", "chain_matmul", "tensordot",
                "addmm_", "addmv_", "addbmm_", "baddbmm_", "addr_", "outer", "ger",
                "bilinear")
# Composites of mixed precision whose intermediate roundings differ (docs/differences.md).
_HALF_ROUNDING = _set("cosine_similarity", "pairwise_distance", "dist", "cdist",
                      "triplet_margin_loss", "binary_cross_entropy_with_logits", "ldexp",
                      "ldexp_", "renorm", "renorm_", "poisson_nll_loss", "histc", "round",
                      "round_")

def _non_finite_tensor(case) -> bool:
    """A tensor of the case holds an infinity or a NaN."""
    return any(isinstance(v, np.ndarray) and v.dtype.kind in "fc" and not np.isfinite(v).all()
               for v in list(case.args) + list(case.kwargs.values()))


def _zero_d_mask_among_indices(case) -> bool:
    """The case's index list holds a 0-d bool tensor."""
    return any(isinstance(v, list) and any(isinstance(i, np.ndarray) and i.ndim == 0
                                           and i.dtype == np.bool_ for i in v)
               for v in list(case.args) + list(case.kwargs.values()))


DIFFERENCES = [
    Difference("bfloat16", _BF16_GAPS, _set("bfloat16")),
    Difference("half-precision linear algebra", _set("matrix_exp", "ldexp", "histogram",
                                                     "histogramdd", "bincount"),
               _set("float16")),
    Difference("no complex32", _set("complex", "view_as_complex", "polar"), _set("float16")),
    Difference("no complex32", None, _set("float16"), r"complex32|ComplexHalf"),
    Difference("complex logaddexp", _set("logaddexp", "logaddexp2", "logcumsumexp", "bincount"),
               _set("complex64", "complex128")),
    Difference("0-d corner cases", _set("topk"), None, r"cannot reshape array of size 0"),
    Difference("half-precision linear algebra", None, _set("float16"),
               r"unsupported in linalg"),
    Difference("positional flags of unique_consecutive", _set("unique_consecutive"), None,
               r"^(\d outputs, torch has \d|output 1: shape \S+( \S+)*, torch's \(0,\))$"),
    Difference("argument types", None, None, r"^ember returned; torch raised TypeError"),
    Difference("error precedence", None, None,
               r"^ember raised \w+: [^;]*(not implemented for|does not support|Expected dtype|"
               r"expects floating point|only supports floating|Expected a floating point|"
               r"must be a \dD tensor|should have same dtype|expected a floating point)[^;]*; "
               r"torch raised"),
    Difference("functions of numbers", None, None,
               r"expected at least one Tensor argument; torch (returned|raised (?!TypeError))"),
    Difference("in-place result types", None, None,
               r"Bad in-place call|can't be cast to the desired output type|the base given to "
               r"\w+ has dtype|Trying to resize storage that is not resizable"),
    Difference("rank checks", None, None,
               r"^ember raised IndexError: [^;]*(tuple index out of range|Dimension out of "
               r"range)[^;]*; torch raised RuntimeError"),
    Difference("poles of trigamma", _set("polygamma", "polygamma_"), None,
               r"(?s)values differ:.*\binf\b.*torch:.*(e\+(1[3-9]|[2-9]\d)|\d{13,})"),
    Difference("non-finite SVD", _set("svd", "pinverse", "pinv", "svdvals", "matrix_rank",
                                      "norm", "nuclear_norm", "matrix_norm", "cond"),
               None, r"failed to converge because the input matrix contained non-finite"),
    Difference("non-finite factorizations", _set("cholesky_inverse", "cholesky_solve", "orgqr",
                                                 "householder_product", "qr", "ormqr",
                                                 "geqrf", "lu", "lu_factor", "slogdet",
                                                 "logdet", "det", "matrix_power"), None,
               r"^output \d+: values differ", when=_non_finite_tensor),
    Difference("singular vectors", _set("svd"), None, r"^output [02]: values differ"),
    Difference("complex infinities", None, None,
               r"(?s)values differ:.*((inf|nan)[+-]|[+-](inf|nan)j)"),
    Difference("factors with a complex diagonal", _set("cholesky_inverse", "cholesky_solve"),
               _set("complex64", "complex128"), r"values differ"),
    Difference("running means", _set("var_mean", "std_mean"), None,
               r"(?s)^output 1: values differ:.*(inf|nan)"),
    Difference("scalar overflow checks", None, None,
               r"value cannot be converted to type \S+ without overflow"),
    Difference("poles of trigamma", _set("polygamma", "polygamma_"),
               _set("float32", "float16", "bfloat16"), r"^output 0: values differ"),
    Difference("no complex32", _set("pairwise_distance", "dist", "cdist", "cosine_similarity",
                                    "triplet_margin_loss"), _set("float16"),
               r"dtype float32, torch's float16"),
    Difference("products of nothing", _MATMULS, None,
               r"^ember raised \w+: [^;]*(the same dtype|not implemented for 'Bool'|expected "
               r"scalar type \w+ but found|Expected both vectors)[^;]*; torch (returned|raised)"),
    Difference("products of nothing", _MATMULS, None,
               r"^ember returned; torch raised NotImplementedError: [^;]*not implemented for "
               r"'Bool'"),
    Difference("negative sizes", _set("resize_", "expand", "broadcast_to"), None,
               r"(negative dimension|non-negative)[^;]*; torch returned"),
    Difference("products of nothing", _set("bilinear"), None,
               r"^ember returned; torch raised RuntimeError: cannot reshape tensor of 0 "
               r"elements"),
    Difference("norms of tiny orders", _set("triplet_margin_loss", "pairwise_distance", "dist",
                                            "cdist", "renorm", "renorm_"), None,
               r"^output \d+: values differ"),
    Difference("strides of empty tensors", _set("view"), None,
               r"^ember returned; torch raised RuntimeError: self\.stride"),
    Difference("mode of NaN", _set("mode"), None, r"(?s)^output 0: values differ:.*nan"),
    Difference("histogram bin edges", _set("histogram"), None, r"^output 0: values differ"),
    Difference("half-precision intermediates", _HALF_ROUNDING, _set("float16", "bfloat16"),
               r"^output \d+: values differ"),
    Difference("half-precision intermediates", _set("poisson_nll_loss"),
               _set("uint8", "int8", "int16", "int32", "int64", "bool"),
               r"^output \d+: values differ"),
    Difference("bfloat16", None, _set("bfloat16"),
               r"(?s)values differ:.*torch:.*(9223372036854775807|-9223372036854775808)"),
    Difference("error precedence", _set("cosine_embedding_loss"), None,
               r"^ember raised RuntimeError: [^;]*; torch raised NotImplementedError"),
    Difference("infinities to integers", _set("sum", "nansum", "prod", "cumsum", "cumprod",
                                              "cumsum_", "cumprod_", "mean", "nanmean"),
               _set("float16", "bfloat16", "float32", "float64"),
               r"^output 0: values differ:\n[-\d\[\] \n]+\ntorch:\n[-\d\[\] \n]+$"),
    Difference("PyTorch's internal errors", None, None,
               r"^ember returned; torch raised RuntimeError: (sym_strides\(\) called on an "
               r"undefined Tensor|[^;]*INTERNAL ASSERT FAILED)"),
    Difference("sign of a NaN", _set("copysign", "copysign_"), _set("bfloat16"),
               r"(?s)^output 0: values differ"),
    Difference("degenerate covariance", _set("cov"), None,
               r"values differ:\s*\S+\s*torch:\s*nan$"),
    Difference("a 0-d mask in index_put", _set("index_put", "index_put_"),
               when=_zero_d_mask_among_indices),
    Difference("addbmm_ that resizes", _set("addbmm_"), None,
               r"^ember raised RuntimeError: addbmm_\(\): output with shape \[[^\]]*\] doesn't "
               r"match the broadcast shape \[[^\]]*\]; torch returned$"),
]


# Names where the campaigns (make fuzz) still find failures that no difference above explains:
# open bugs (each listed in docs/differences.md, "open"), reported as expected failures by
# tests/test_fuzz.py until fixed.
OPEN: frozenset = frozenset()


def explained(name: str, dtypes, problem: str, case=None) -> str | None:
    """The key of the known difference that explains ``problem`` (of ``case``), or None."""
    for d in DIFFERENCES:
        if (d.names is None or name in d.names) and \
                (d.dtypes is None or d.dtypes & set(dtypes)) and \
                (d.pattern is None or re.search(d.pattern, problem)) and \
                (d.when is None or (case is not None and d.when(case))):
            return d.key
    return None


def case_dtypes(case) -> set:
    """The dtypes of the tensors in a case."""
    found = set()
    for v in list(case.args) + list(case.kwargs.values()):
        for a in (v if isinstance(v, list) else [v]):
            if isinstance(a, np.ndarray):
                found.add(a.dtype.name)
    return found


# --------------------------------------------------------------------------------- choices

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]
_MAIN_DTYPES = ["float32", "float32", "float64", "int64", "int32", "bool", "complex64",
                "float16", "uint8"]


class Chooser:
    """Random choices from a seeded NumPy generator (the campaign's chooser)."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def integers(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return int(self.rng.integers(low, high + 1))

    def choice(self, options):
        return options[self.integers(0, len(options) - 1)]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def seed(self) -> int:
        return self.integers(0, 2**31 - 1)


class _Skip(Exception):
    """This overload can't be drawn (a parameter of a kind the fuzzer doesn't make)."""


_DIM_NAMES = {"dim", "dim0", "dim1", "dim2", "start_dim", "end_dim", "axis0", "axis1",
              "axis", "source", "destination", "dimension"}
_DIMS_NAMES = {"dims", "dim", "axis"}
_SIZE_NAMES = {"size", "shape", "sizes", "repeats", "output_size", "normalized_shape"}
_TENSOR_NAMES = {"input", "other", "self", "tensor", "tensor1", "tensor2", "mat", "mat1",
                 "mat2", "vec", "vec1", "vec2", "batch1", "batch2", "end", "weight", "A", "B",
                 "x", "y", "x1", "x2", "exponent", "values", "source", "src", "elements",
                 "test_elements", "sorted_sequence", "boundaries", "condition", "mask", "index",
                 "indices", "target", "LU_data", "LU_pivots", "b", "u", "a", "other_"}
_STRINGS = {
    "rounding_mode": [None, "trunc", "floor"], "reduce": ["sum", "prod", "mean", "amax",
                                                           "amin", "add", "multiply"],
    "side": ["left", "right"], "indexing": ["ij", "xy"], "approximate": ["none", "tanh"],
    "UPLO": ["L", "U"], "interpolation": ["linear", "lower", "higher", "midpoint", "nearest"],
    "reduction": ["mean", "sum", "none"], "mode": ["reduced", "complete", "r"],
    "driver": [None], "padding_mode": ["zeros"], "compute_mode": [None],
    "p": ["fro", "nuc"], "ord": ["fro", "nuc"],
}


class Case:
    """One drawn call: the arrays of its tensors and the Python values around them."""

    def __init__(self, name: str, method: bool, overload: str, args: list, kwargs: dict):
        self.name, self.method, self.overload = name, method, overload
        self.args, self.kwargs = args, kwargs

    def __repr__(self) -> str:
        def show(v):
            if isinstance(v, np.ndarray):
                return f"tensor({v.tolist()!r}, dtype={v.dtype})" if v.size <= 12 else \
                    f"<{v.dtype} array of shape {v.shape}>"
            if isinstance(v, list):
                return "[" + ", ".join(show(x) for x in v) + "]"
            return repr(v)
        parts = [show(a) for a in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs.items()]
        owner = "Tensor." if self.method else ""
        return f"{owner}{self.name}({', '.join(parts)})  # overload ({self.overload})"


def _array(ch: Chooser, shape: tuple, dtype: str, rng: np.random.Generator) -> np.ndarray:
    # NumPy makes 0-d results scalars; the cases hold arrays (0-d ones too).
    return np.asarray(_values(ch, shape, dtype, rng))


def _values(ch: Chooser, shape: tuple, dtype: str, rng: np.random.Generator):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in ("uint8",):
        return rng.integers(0, 10, size=shape).astype(dtype)
    if dtype.startswith("int"):
        return rng.integers(-5, 6, size=shape).astype(dtype)
    values = rng.standard_normal(shape) * 2
    if ch.chance(0.1):  # special values
        flat = values.reshape(-1)
        if flat.size:
            flat[rng.integers(0, flat.size)] = rng.choice([np.inf, -np.inf, np.nan, 0.0])
    if dtype.startswith("complex"):
        values = values + 1j * rng.standard_normal(shape)
        return values.astype(dtype)
    if dtype == "bfloat16":
        import ml_dtypes
        return np.asarray(values, dtype=ml_dtypes.bfloat16)
    return values.astype(dtype)


class _Draw:
    """The drawing of one case: a base shape and dtype that the tensors share mostly."""

    def __init__(self, ch: Chooser):
        self.ch = ch
        self.rng = np.random.default_rng(ch.seed())
        ndim = ch.choice([0, 1, 1, 2, 2, 2, 3, 3, 4])
        if ch.chance(0.4):
            side = ch.choice([1, 2, 3, 3])
            self.shape = (side,) * ndim
        else:
            self.shape = tuple(ch.choice([0, 1, 2, 3, 4]) if ch.chance(0.9) else 0
                               for _ in range(ndim))
        if ch.chance(0.15) and ndim:
            dims = list(self.shape)
            dims[ch.integers(0, ndim - 1)] = 0
            self.shape = tuple(dims)
        self.dtype = ch.choice(_MAIN_DTYPES) if ch.chance(0.85) else ch.choice(DTYPES)
        self.ndim = ndim

    def tensor(self, name: str) -> np.ndarray:
        ch = self.ch
        if name in ("index", "indices"):
            size = max(self.shape[0] if self.shape else 1, 1)
            shape = self.shape if ch.chance(0.7) else self.variant()
            dtype = "int64" if ch.chance(0.9) else ch.choice(["int32", "float32", "bool"])
            values = self.rng.integers(-size, size, size=shape)
            return np.asarray(values.astype(dtype))
        if name in ("mask", "condition"):
            return np.asarray(self.rng.random(self.variant()) < 0.5)
        dtype = self.dtype if ch.chance(0.75) else ch.choice(DTYPES)
        return _array(ch, self.variant(), dtype, self.rng)

    def variant(self) -> tuple:
        """The base shape, or one that broadcasts against it, or (rarely) another one."""
        ch, shape = self.ch, list(self.shape)
        kind = ch.choice(["same", "same", "same", "broadcast", "drop", "other", "scalar"])
        if kind == "broadcast" and shape:
            shape[ch.integers(0, len(shape) - 1)] = 1
        elif kind == "drop" and shape:
            shape = shape[ch.integers(1, len(shape)):]
        elif kind == "other":
            shape = [ch.choice([0, 1, 2, 3]) for _ in range(ch.integers(0, 3))]
        elif kind == "scalar":
            shape = []
        return tuple(shape)

    def dim(self) -> int:
        n = max(self.ndim, 1)
        return self.ch.integers(-n, n - 1) if self.ch.chance(0.9) else \
            self.ch.choice([n, -n - 1, 5])

    def value(self, name: str, annotation: str, required: bool):
        ch = self.ch
        a = annotation.replace(" | None", "") if annotation else ""
        if name == "out" or name in ("generator", "layout", "device", "memory_format",
                                     "pin_memory", "names", "requires_grad", "out_dtype",
                                     "non_blocking", "implicit", "sparse_grad"):
            raise _Skip(name)
        if a == "Tensor" or a.startswith("Tensor |") and "tuple" not in a or \
                not a and name in _TENSOR_NAMES:
            if a.startswith("Tensor | Number") and ch.chance(0.3):
                return ch.choice([2, -1.5, 0.5, True])
            return self.tensor(name)
        if "tuple[Tensor" in a or "list[Tensor" in a or not a and name == "tensors":
            return [self.tensor(name) for _ in range(ch.integers(0, 3))]
        if a in ("_bool",) or not a and name.startswith(("keepdim", "return_", "unbiased",
                                                         "descending", "stable", "largest")):
            return ch.chance(0.5)
        if a == "_dtype":
            return ch.choice(DTYPES)
        if a == "str" or not a and name in _STRINGS:
            options = _STRINGS.get(name)
            if options is None:
                raise _Skip(name)
            return ch.choice(options)
        if "Sequence[_int" in a or a in ("_size", "_int | _size") or \
                not a and name in _SIZE_NAMES | _DIMS_NAMES:
            if name in _DIMS_NAMES and not (a in ("_int | _size",) and ch.chance(0.5)):
                return tuple(self.dim() for _ in range(ch.integers(0, min(self.ndim, 3))))
            if name in _DIMS_NAMES:
                return self.dim()
            sizes = tuple(ch.choice([-1, 0, 1, 2, 3, 4]) if ch.chance(0.2)
                          else ch.choice(self.shape or (1,)) for _ in range(ch.integers(0, 3)))
            if a.startswith("_int") and len(sizes) == 1 and ch.chance(0.5):
                return sizes[0]
            return sizes
        if a.startswith("_int") or not a and name in _DIM_NAMES | {"k", "n", "diagonal",
                                                                     "offset", "chunks"}:
            if name in _DIM_NAMES:
                return self.dim()
            return ch.choice([-1, 0, 1, 1, 2, 2, 3, 4])
        if a.startswith(("Number", "_float", "_complex")) or not a and name in (
                "p", "alpha", "beta", "value", "eps", "min", "max", "rtol", "atol",
                "fill_value", "start", "end", "step"):
            return ch.choice([0, 1, 2, -1, 0.5, -1.5, 2.5, 1e-3] +
                             ([1 + 2j] if "complex" in a and ch.chance(0.1) else []))
        if a == "Literal[False]":
            return False
        if a == "Literal[True]":
            return True
        raise _Skip(f"{name}: {annotation}")


def _parameters(overload: str):
    return parameters(overload)


def draw_case(ch: Chooser, name: str, method: bool) -> Case:
    """One random call of ``name``; raises _Skip when the drawn overload can't be filled."""
    table = METHODS if method else FUNCTIONS
    overload = ch.choice(table[name])
    types = annotations(name, overload, method)
    d = _Draw(ch)
    args, kwargs = ([d.tensor("self")] if method else []), {}
    by_keyword = False
    for p in _parameters(overload):
        optional = p.default is not p.empty
        if p.kind == p.VAR_KEYWORD:
            continue
        if optional and ch.chance(0.5):
            by_keyword = by_keyword or p.kind == p.POSITIONAL_OR_KEYWORD
            continue
        try:
            if p.kind == p.VAR_POSITIONAL:
                kind = types.get(p.name, "")
                if "Tensor" in kind or not kind and p.name in ("tensors", "operands"):
                    args += [d.tensor("input") for _ in range(ch.integers(0, 3))]
                else:
                    args += list(d.value(p.name, "Sequence[_int]", True) or ())
                continue
            value = d.value(p.name, types.get(p.name, ""), not optional)
        except _Skip:
            if optional:
                by_keyword = by_keyword or p.kind == p.POSITIONAL_OR_KEYWORD
                continue
            raise
        if p.kind == p.KEYWORD_ONLY or by_keyword or ch.chance(0.3):
            by_keyword = True
            kwargs[p.name] = value
        else:
            args.append(value)
    if ch.chance(0.03):  # a keyword PyTorch doesn't have
        kwargs["bogus"] = 1
    case = Case(name, method, overload, args, kwargs)
    unsafe = _TORCH_UNSAFE.get(name)
    if unsafe is not None and unsafe(_bound(case)):
        raise _Skip(f"{name}: a call that crashes PyTorch")
    return case


def _bound(case: Case) -> dict:
    """The case's arguments by parameter name."""
    named = [p.name for p in _parameters(case.overload)
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return {**dict(zip((["self"] if case.method else []) + named, case.args)), **case.kwargs}


def _bad_lu_pivots(a: dict) -> bool:
    lu, pivots = a.get("LU_data"), a.get("LU_pivots")
    if not isinstance(lu, np.ndarray) or not isinstance(pivots, np.ndarray) or lu.ndim < 2:
        return False
    return pivots.shape != lu.shape[:-2] + (min(lu.shape[-2:]),)


def _negative_counts(a: dict) -> bool:
    return a.get("output_size") is not None and any(
        isinstance(v, np.ndarray) and v.dtype.kind in "iu" and (v < 0).any() for v in a.values())


# Calls that PyTorch doesn't check and that crash it (a read out of bounds, a corrupted heap,
# a segmentation fault): the fuzzer doesn't draw them. Ember refuses them (tests/test_fuzz_fixes.py).
_TORCH_UNSAFE = {"lu_unpack": _bad_lu_pivots, "repeat_interleave": _negative_counts}


# ------------------------------------------------------------------------------- running


def _convert(value, lib):
    if isinstance(value, np.ndarray):
        if value.dtype.name == "bfloat16":  # PyTorch reads no ml_dtypes arrays
            return _convert(value.astype(np.float32), lib).to(lib.bfloat16)
        if lib is torch and value.size == 0:
            # NumPy's empty arrays have zero strides, PyTorch's own (torch.zeros(2, 0)) don't;
            # some of its checks read the strides
            return lib.from_numpy(value).clone(memory_format=torch.contiguous_format)
        return lib.from_numpy(value.copy())
    if isinstance(value, list):
        return [_convert(v, lib) for v in value]
    if isinstance(value, str) and value in DTYPES and lib is not None:
        return getattr(lib, value)
    return value


def _call(case: Case, lib):
    args = [_convert(a, lib) for a in case.args]
    kwargs = {k: _convert(v, lib) for k, v in case.kwargs.items()}
    if case.method:
        return getattr(args[0], case.name)(*args[1:], **kwargs)
    return getattr(lib, case.name)(*args, **kwargs)


def _exception_class(e: BaseException) -> type:
    """The builtin class an exception is (PyTorch's LinAlgError is a RuntimeError)."""
    for cls in type(e).__mro__:
        if cls.__module__ == "builtins":
            return cls
    return type(e)


_TOL = {"float16": (2e-2, 2e-2), "bfloat16": (5e-2, 5e-2), "float32": (1e-4, 1e-4),
        "float64": (1e-7, 1e-7), "complex64": (1e-4, 1e-4), "complex128": (1e-7, 1e-7)}


def _flatten(out):
    if isinstance(out, (tuple, list)) and not isinstance(out, (torch.Size, ember.Size)):
        return [y for o in out for y in _flatten(o)]
    return [out]


def _compare(case: Case, e_out, t_out) -> str | None:
    e_flat, t_flat = _flatten(e_out), _flatten(t_out)
    if len(e_flat) != len(t_flat):
        return f"{len(e_flat)} outputs, torch has {len(t_flat)}"
    for i, (e, t) in enumerate(zip(e_flat, t_flat)):
        where = f"output {i}"
        if isinstance(t, torch.Tensor):
            if not isinstance(e, ember.Tensor):
                return f"{where}: {type(e).__name__}, torch gives a Tensor"
            t_dtype = str(t.dtype).removeprefix("torch.")
            if e.dtype.name != t_dtype:
                return f"{where}: dtype {e.dtype.name}, torch's {t_dtype}"
            if tuple(e.shape) != tuple(t.shape):
                return f"{where}: shape {tuple(e.shape)}, torch's {tuple(t.shape)}"
            if case.name in UNINITIALIZED or case.name in TIE_INDICES and i > 0 and \
                    t_dtype == "int64":
                continue
            a = np.asarray(e.detach()._host(), dtype=np.float64 if t_dtype == "bfloat16"
                           else None)
            b = (t.detach().float() if t_dtype == "bfloat16" else t.detach()).resolve_conj().resolve_neg().numpy()
            if a.dtype.kind in "fc":
                rtol, atol = _TOL[t_dtype]
                scale = max(1.0, float(np.nanmax(np.abs(b[np.isfinite(b)]), initial=0)))
                if not np.allclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=True):
                    return f"{where}: values differ:\n{a}\ntorch:\n{b}"
            elif not np.array_equal(a, b):
                return f"{where}: values differ:\n{a}\ntorch:\n{b}"
        elif isinstance(t, (torch.Size, tuple)):
            if tuple(e) != tuple(t):
                return f"{where}: {tuple(e)}, torch's {tuple(t)}"
        elif isinstance(t, torch.dtype):
            if str(e).removeprefix("ember.") != str(t).removeprefix("torch."):
                return f"{where}: {e}, torch's {t}"
        elif isinstance(t, float) and isinstance(e, (float, int)):
            if not (math.isclose(e, t, rel_tol=1e-5, abs_tol=1e-6) or e != e and t != t):
                return f"{where}: {e!r}, torch's {t!r}"
        elif e != t:
            return f"{where}: {e!r}, torch's {t!r}"
    return None


def run(case: Case) -> str | None:
    """None when Ember agrees with PyTorch on ``case``, else what differs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            t_out, t_err = _call(case, torch), None
        except Exception as e:  # noqa: BLE001 - any exception is an outcome to compare
            t_out, t_err = None, e
        try:
            e_out, e_err = _call(case, ember), None
        except Exception as e:  # noqa: BLE001
            e_out, e_err = None, e
    if t_err is not None or e_err is not None:
        if t_err is None:
            return f"ember raised {type(e_err).__name__}: {e_err}; torch returned"
        if e_err is None:
            return f"ember returned; torch raised {type(t_err).__name__}: {t_err}"
        te, ee = _exception_class(t_err), _exception_class(e_err)
        if te is not ee:
            return (f"ember raised {type(e_err).__name__}: {e_err}; torch raised "
                    f"{type(t_err).__name__}: {t_err}")
        return None
    arguments = _bound(case)
    if case.name == "topk" and not arguments.get("sorted", True):
        # the order of unsorted results is unspecified (PyTorch's follows its partial sort):
        # the values are compared as sorted
        dim = arguments.get("dim", -1)
        e_out, t_out = e_out[0].sort(dim).values, t_out[0].sort(dim).values
    return _compare(case, e_out, t_out)


# ------------------------------------------------------------------------------ campaign


class _Timeout(BaseException):  # not an outcome of the call: it passes `run`'s handlers
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _loop(cases, everything, master, failures, known, progress, start) -> int:
    """The campaign's cases, until ``cases`` ran (`_loop.ran` counts them as they go)."""
    ran = skipped = 0
    while ran < cases:
        name, method = everything[int(master.integers(len(everything)))]
        case_seed = int(master.integers(2**31))
        try:
            case = draw_case(Chooser(case_seed), name, method)
        except _Skip:
            skipped += 1
            if skipped > 50 * cases:
                break
            continue
        ran += 1
        _loop.ran = ran
        signal.alarm(20)  # a case that computes for ages is a failure of its own
        try:
            problem = run(case)
        except _Timeout:
            problem = "timed out (20 s)"
        finally:
            signal.alarm(0)
        if progress and ran % progress == 0:
            print(f"... {ran} cases, {sum(map(len, failures.values()))} unexplained failures, "
                  f"{time.time() - start:.0f} s", flush=True)
        if problem is None:
            continue
        reason = explained(name, case_dtypes(case), problem, case)
        if reason is not None:
            known[reason] += 1
        else:
            failures[(name, method)].append((case_seed, case, problem))
    return ran


def campaign(cases: int, seed: int, names=None, show: int = 3, progress: int = 0) -> int:
    """Run ``cases`` random cases over the fuzzed names; print each failing case with its seed
    and a summary by name. Returns the number of failures."""
    everything = fuzzed_names()
    if names:
        everything = [(n, m) for n, m in everything if n in names]
    signal.signal(signal.SIGALRM, _alarm)
    failures = collections.defaultdict(list)
    known = collections.Counter()
    master = np.random.default_rng(seed)
    start = time.time()
    try:
        ran = _loop(cases, everything, master, failures, known, progress, start)
    except KeyboardInterrupt:  # an interrupted campaign still reports what it found
        ran = _loop.ran
    for (name, method), found in sorted(failures.items()):
        print(f"== {'Tensor.' if method else ''}{name}: {len(found)} failing cases")
        for case_seed, case, problem in found[:show]:
            print(f"   seed {case_seed}: {case!r}\n      {problem[:600]}")
    total = sum(len(f) for f in failures.values())
    for reason, count in known.most_common():
        print(f"known difference '{reason}' (docs/differences.md): {count} cases")
    print(f"{ran} cases over {len(everything)} names in {time.time() - start:.0f} s: "
          f"{total} unexplained failures in {len(failures)} names")
    return total


def replay(name: str, method: bool, seed: int) -> None:
    case = draw_case(Chooser(seed), name, method)
    print(case)
    print(run(case))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=3)
    parser.add_argument("--progress", type=int, default=0, help="report every N cases")
    parser.add_argument("names", nargs="*")
    options = parser.parse_args()
    sys.exit(1 if campaign(options.cases, options.seed, options.names, options.show,
                           options.progress) else 0)
