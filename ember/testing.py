"""`ember.testing`: compare tensors the way ``torch.testing`` does, and make test inputs.

>>> ember.testing.assert_close(ember.tensor([1., 2.]), ember.tensor([1., 2.0000001]))
"""
from __future__ import annotations

import collections.abc as abc
import numbers

import numpy as np

from . import _dtype as dt
from ._tensor import Tensor

# PyTorch's default (rtol, atol) per dtype; exact for integers and bool.
_TOLERANCES = {dt.float16: (1e-3, 1e-5), dt.bfloat16: (1.6e-2, 1e-5),
               dt.float32: (1.3e-6, 1e-5), dt.float64: (1e-7, 1e-7),
               dt.complex64: (1.3e-6, 1e-5), dt.complex128: (1e-7, 1e-7)}


def _default_tolerances(dtype) -> tuple[float, float]:
    return _TOLERANCES.get(dtype, (0.0, 0.0))


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg=None) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close:
    ``|actual - expected| <= atol + rtol * |expected|`` elementwise, with PyTorch's default
    tolerances for the dtype (exact for integers). Tensors, NumPy arrays, numbers, and
    sequences or mappings of them are compared item by item.

    >>> ember.testing.assert_close(ember.tensor(1.), ember.tensor(1.5), atol=1, rtol=0)
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'atol' if atol is None else 'rtol'}.")
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                   check_dtype=check_dtype, check_stride=check_stride)
    failure = _compare(actual, expected, options, path="")
    if failure is None:
        return
    message, path = failure
    if path:
        message += f"\n\nThe failure occurred for item {path}"
    if callable(msg):
        message = msg(message)
    elif msg is not None:
        message = msg
    raise AssertionError(message)


def _compare(actual, expected, options, path: str):
    """None when close, else (message, path to the failing item)."""
    kinds = (_kind(actual), _kind(expected))
    if kinds[0] != kinds[1] or kinds[0] is None:
        raise TypeError(f"No comparison pair was able to handle inputs of type "
                        f"{type(actual)} and {type(expected)}.")
    if kinds[0] == "sequence":
        if len(actual) != len(expected):
            return (f"The length of the sequences mismatch: {len(actual)} != "
                    f"{len(expected)}", path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            failure = _compare(a, e, options, f"{path}[{i}]")
            if failure is not None:
                return failure
        return None
    if kinds[0] == "mapping":
        if set(actual) != set(expected):
            return (f"The keys of the mappings do not match:\nMissing keys in the actual "
                    f"mapping: {sorted(map(repr, set(expected) - set(actual)))}\nExtra keys "
                    f"in the actual mapping: {sorted(map(repr, set(actual) - set(expected)))}",
                    path)
        for key in expected:
            failure = _compare(actual[key], expected[key], options, f"{path}[{key!r}]")
            if failure is not None:
                return failure
        return None
    message = (_compare_numbers(actual, expected, options) if kinds[0] == "number"
               else _compare_tensors(actual, expected, options))
    return None if message is None else (message, path)


def _kind(x):
    if isinstance(x, (Tensor, np.ndarray)):
        return "tensor"
    if isinstance(x, numbers.Number):
        return "number"
    if isinstance(x, abc.Mapping):
        return "mapping"
    if isinstance(x, abc.Sequence) and not isinstance(x, str):
        return "sequence"
    return None


def _scalar_dtype(x):
    if isinstance(x, bool):
        return dt.bool_
    return dt.int64 if isinstance(x, numbers.Integral) else (
        dt.float64 if isinstance(x, numbers.Real) else dt.complex128)


def _compare_numbers(actual, expected, options, dtype=None):
    rtol, atol = _tolerances(options, dtype or _scalar_dtype(expected))
    if _close(np.asarray(actual), np.asarray(expected), rtol, atol, options["equal_nan"]):
        return None
    abs_diff = abs(actual - expected)
    rel_diff = abs_diff / abs(expected) if expected != 0 else float("inf") if abs_diff else 0.0
    equality = rtol == 0 and atol == 0
    head = f"Scalars are not {'equal' if equality else 'close'}!\n\n"
    return (head + f"Expected {expected} but got {actual}.\n"
            + _diff_line("Absolute difference", abs_diff, atol, equality) + "\n"
            + _diff_line("Relative difference", rel_diff, rtol, equality))


def _compare_tensors(actual, expected, options):
    a, e = _host(actual), _host(expected)
    same_device = _device(actual) == _device(expected)
    for attr, ok in (("shape", a.shape == e.shape),
                     ("device", not options["check_device"] or same_device),
                     ("dtype", not options["check_dtype"] or a.dtype == e.dtype),
                     ("stride()", not options["check_stride"] or a.strides == e.strides)):
        if not ok:
            return (f"The values for attribute '{attr}' do not match: "
                    f"{_attr(actual, attr)} != {_attr(expected, attr)}.")
    if a.dtype != e.dtype:
        common = np.result_type(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    dtype = dt.from_numpy_dtype(a.dtype)
    if a.ndim == 0:
        return _compare_numbers(a.item(), e.item(), options, dtype)
    rtol, atol = _tolerances(options, dtype)
    close = _close(a, e, rtol, atol, options["equal_nan"])
    if close.all():
        return None
    exact = dtype.category < dt._FLOAT
    wide = np.int64 if exact else a.dtype
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a.astype(wide) - e.astype(wide))
        # integers' relative difference is a float32 quotient, as PyTorch reports it
        real = np.float32 if exact else abs_diff.dtype
        rel_diff = abs_diff.astype(real) / np.abs(e.astype(wide)).astype(real)
    # the greatest differences are reported among the mismatched elements only
    abs_diff, rel_diff = np.where(close, 0, abs_diff), np.where(close, 0, rel_diff)
    mismatches = int(close.size - close.sum())
    equality = rtol == 0 and atol == 0
    lines = [f"Tensor-likes are not {'equal' if equality else 'close'}!", "",
             f"Mismatched elements: {mismatches} / {close.size} ({mismatches / close.size:.1%})"]
    for name, diff, tol in (("absolute", abs_diff, atol), ("relative", rel_diff, rtol)):
        index = np.unravel_index(int(np.argmax(diff)), diff.shape)
        where = tuple(int(i) for i in index)
        lines.append(_diff_line(f"Greatest {name} difference", diff[index].item(), tol,
                                equality, f" at index {where}"))
    return "\n".join(lines)


def _diff_line(label: str, diff, tol: float, equality: bool, where: str = "") -> str:
    return f"{label}: {diff}{where}" + ("" if equality else f" (up to {tol} allowed)")


def _close(a, e, rtol, atol, equal_nan):
    if a.dtype == np.bool_:
        return a == e
    with np.errstate(all="ignore"):
        finite = np.isfinite(a) & np.isfinite(e)
        close = (a == e) | finite & (np.abs(a - e) <= atol + rtol * np.abs(e))
    if equal_nan and a.dtype.kind in "fc":
        close |= np.isnan(a) & np.isnan(e)
    return close


def _tolerances(options, dtype):
    if options["rtol"] is not None:
        return options["rtol"], options["atol"]
    return _default_tolerances(dtype)


def _host(x) -> np.ndarray:
    return x.detach()._host() if isinstance(x, Tensor) else x


def _device(x):
    return x.device if isinstance(x, Tensor) else "cpu"


def _attr(x, attr: str):
    if attr == "stride()":
        return x.stride() if isinstance(x, Tensor) else tuple(
            s // x.itemsize for s in x.strides)
    return getattr(x, attr)


def make_tensor(*shape, dtype, device=None, low: float | None = None,
                high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """A tensor of ``shape`` with random values in ``[low, high)`` (default ``[-9, 9]``,
    clipped to what ``dtype`` holds; bool: random True/False), drawn from Ember's default
    generator (so ``ember.manual_seed`` makes it repeatable).

    >>> ember.testing.make_tensor(2, 3, dtype=ember.float32, low=0, high=1)
    """
    from . import _functions, _sampling
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dtype = dt.as_dtype(dtype)
    if dtype == dt.bool_:
        t = _sampling.randint(0, 2, shape, device=device).bool()
    elif dtype.category == dt._INT:
        low, high = _range(dtype, low, high)
        t = _sampling.randint(int(np.ceil(low)), int(np.ceil(high)) + (low == high), shape,
                              dtype=dtype, device=device)
    else:
        low, high = _range(dtype, low, high)
        t = _sampling.rand(shape, dtype=dt.float64, device=device) * (high - low) + low
        if dtype.category == dt._COMPLEX:
            t = _functions.complex(t, _sampling.rand(shape, dtype=dt.float64, device=device)
                                  * (high - low) + low)
        t = t.to(dtype)
    if exclude_zero:
        tiny = 1 if dtype.category == dt._INT else float(np.finfo(np.float32).tiny)
        t = t.masked_fill(t == 0, tiny)
    if noncontiguous and t.numel() > 1:
        t = _functions.stack([t, t], -1)[..., 0]
    elif memory_format is not None:
        t = t.contiguous(memory_format=memory_format)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _range(dtype, low, high) -> tuple[float, float]:
    for name, bound in (("low", low), ("high", high)):
        if bound is not None and bound != bound:
            raise ValueError(f"`{name}` cannot be NaN, but got {name}={bound}")
    low = -9 if low is None else low
    high = 9 if high is None else high
    if low > high:
        raise ValueError(f"`low` must be less than or equal to `high`, but got "
                         f"low={low} and high={high}")
    if dtype.category == dt._INT:
        info = np.iinfo(dtype.np)
        return max(low, info.min), min(high, info.max)
    return low, high
