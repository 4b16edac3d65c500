"""`repr` of tensors, laid out as PyTorch prints them."""
from __future__ import annotations

import numpy as np

from . import _dtype as dt

_PRECISION = 4
_THRESHOLD = 1000
_EDGEITEMS = 3


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.{_PRECISION}f}"
    absolute = np.abs(finite)
    if np.all(finite == np.round(finite)):
        if absolute.max() > 1e8:
            return lambda v: _special(v) or f"{v:.{_PRECISION}e}"
        return lambda v: _special(v) or f"{v:.0f}."
    nonzero = absolute[absolute != 0]
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8
                         or nonzero.min() < 1e-4):
        return lambda v: _special(v) or f"{v:.{_PRECISION}e}"
    return lambda v: _special(v) or f"{v:.{_PRECISION}f}"


def _special(v) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _formatter(values: np.ndarray, dtype: dt.dtype):
    if dtype is dt.bool_:
        return str
    if dtype.category == dt._INT:
        return str
    if dtype.category == dt._COMPLEX:
        real = _float_formatter(values.real.astype(np.float64))
        imag = _float_formatter(values.imag.astype(np.float64))
        return lambda v: f"{real(v.real)}{'+' if v.imag >= 0 or np.isnan(v.imag) else '-'}" \
                         f"{imag(abs(v.imag))}j"
    return _float_formatter(values.astype(np.float64))


def format_values(a: np.ndarray, dtype: dt.dtype, indent: int) -> str:
    summarize = a.size > _THRESHOLD
    sample = _summary_values(a) if summarize else a.reshape(-1)
    fmt = _formatter(sample, dtype)
    width = max((len(fmt(v)) for v in sample), default=1)
    return _format_nested(a, lambda v: fmt(v).rjust(width), indent, summarize)


def _summary_values(a: np.ndarray) -> np.ndarray:
    if a.ndim == 0:
        return a.reshape(-1)
    parts = []
    if a.shape[0] > 2 * _EDGEITEMS:
        rows = list(a[:_EDGEITEMS]) + list(a[-_EDGEITEMS:])
    else:
        rows = list(a)
    for r in rows:
        parts.append(_summary_values(np.asarray(r)))
    return np.concatenate(parts) if parts else a.reshape(-1)


def _format_nested(a, fmt, indent, summarize) -> str:
    if a.ndim == 0:
        return fmt(a.item() if a.dtype.kind != "V" else float(a))
    if a.ndim == 1:
        items = [fmt(v) for v in _edge(a, summarize)]
        return "[" + _join_row(items, indent + 1) + "]"
    rows = []
    for r in _edge(a, summarize):
        rows.append("..." if r is None else _format_nested(r, fmt, indent + 1, summarize))
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def _edge(a, summarize):
    if summarize and a.shape[0] > 2 * _EDGEITEMS:
        head = [a[i] for i in range(_EDGEITEMS)]
        tail = [a[i] for i in range(a.shape[0] - _EDGEITEMS, a.shape[0])]
        return head + [None] + tail if a.ndim > 1 else head + ["..."] + tail
    return [a[i] for i in range(a.shape[0])]


def _join_row(items, indent, line_width=80) -> str:
    items = [str(i) if not isinstance(i, str) else i for i in items]
    lines, line = [], ""
    for item in items:
        candidate = item if not line else line + ", " + item
        if line and len(candidate) + indent > line_width:
            lines.append(line + ",")
            line = item
        else:
            line = candidate
    lines.append(line)
    return ("\n" + " " * indent).join(lines)


def tensor_repr(t) -> str:
    prefix = "tensor("
    a = t._host()
    dtype = t.dtype
    if a.dtype.kind == "V":  # bfloat16 prints through float32
        a = a.astype(np.float32)
    suffixes = []
    if a.size == 0 and a.ndim == 1:
        body = "[]"
    elif a.size == 0:
        body = "[]"
        suffixes.append(f"size={tuple(a.shape)}")
    else:
        body = format_values(a, dtype, len(prefix))
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default_int = dtype is dt.int64
    default_float = dtype is dt.get_default_dtype()
    default_complex = dtype is dt.get_default_dtype().to_complex()
    if not (default_int or default_float or default_complex or dtype is dt.bool_) or \
            (a.size == 0 and not default_float):
        suffixes.append(f"dtype=ember.{dtype.name}")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + ", ".join([body] + suffixes) + ")"
