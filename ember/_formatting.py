"""`repr` of tensors, laid out exactly as PyTorch prints them, and `ember.set_printoptions`.

One formatter per tensor decides, from the values that will be shown, between integer-valued
(``1.``), fixed (``1.2500``) and scientific (``1.2500e+08``) notation and a common width;
rows wrap at the line width, and tensors over the threshold show only their edges.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _dtype as dt


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


OPTIONS = _PrintOptions()
_PROFILES = {"default": _PrintOptions(), "short": _PrintOptions(2, 1000, 2, 80),
             "full": _PrintOptions(4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Change how tensors print: digits, summarization threshold, edge items, line width.

    >>> ember.set_printoptions(precision=2); ember.tensor([1.2345])
    tensor([1.23])
    >>> ember.set_printoptions(profile="default")  # back to 4 digits
    """
    if profile is not None:
        base = _PROFILES[profile]
        OPTIONS.precision, OPTIONS.threshold = base.precision, base.threshold
        OPTIONS.edgeitems, OPTIONS.linewidth = base.edgeitems, base.linewidth
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(OPTIONS, name, value)
    OPTIONS.sci_mode = sci_mode


class _Formatter:
    """Formats every element of one tensor (or one part of a complex tensor) alike."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        precision = OPTIONS.precision
        if not self.floating:
            self.width = max((len(str(v)) for v in values.reshape(-1).tolist()), default=1)
            return
        shown = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if shown.size:
            magnitude = np.abs(shown)
            lo, hi = magnitude.min(), magnitude.max()
            self.int_mode = bool((shown == np.ceil(shown)).all())
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
            if self.sci_mode:
                texts = [f"{v:.{precision}e}" for v in shown.tolist()]
            elif self.int_mode:
                texts = [f"{v:.0f}." for v in shown.tolist()]
            else:
                texts = [f"{v:.{precision}f}" for v in shown.tolist()]
            self.width = max(len(t) for t in texts)
        if OPTIONS.sci_mode is not None:
            self.sci_mode = OPTIONS.sci_mode

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{OPTIONS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{OPTIONS.precision}f}"
        return text.rjust(self.width)


class _ComplexFormatter:
    def __init__(self, values: np.ndarray):
        self.real, self.imag = _Formatter(values.real), _Formatter(values.imag)
        self.width = self.real.width + self.imag.width + 1

    def format(self, value) -> str:
        imag = (self.imag.format(value.imag) + "j").lstrip()
        return self.real.format(value.real) + ("" if imag[0] in "+-" else "+") + imag


def _summarized(a: np.ndarray) -> np.ndarray:
    """The values a summarized print shows: the edges of every dimension."""
    edge = OPTIONS.edgeitems
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * edge:
        a = np.concatenate([a[:edge], a[-edge:]])
    if a.ndim == 1:
        return a
    return np.stack([_summarized(row) for row in a])


def _body(a: np.ndarray, fmt, indent: int, summarize: bool) -> str:
    edge = OPTIONS.edgeitems
    if a.ndim == 0:
        return fmt.format(a.item())
    cut = summarize and a.shape[0] > 2 * edge
    if a.ndim == 1:
        if cut:
            items = ([fmt.format(v) for v in a[:edge].tolist()] + [" ..."] +
                     [fmt.format(v) for v in a[-edge:].tolist()])
        else:
            items = [fmt.format(v) for v in a.tolist()]
        per_line = max(1, (OPTIONS.linewidth - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(a.shape[0])
    parts = [_body(a[i], fmt, indent + 1, summarize) for i in rows]
    if cut:
        parts = parts[:edge] + ["..."] + parts[-edge:]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _values_str(a: np.ndarray, indent: int) -> str:
    if a.dtype.kind == "V" or a.dtype == np.float16:  # half types print through float32
        a = a.astype(np.float32)
    summarize = a.size > OPTIONS.threshold
    shown = _summarized(a) if summarize else a
    fmt = _ComplexFormatter(shown) if a.dtype.kind == "c" else _Formatter(shown)
    return _body(a, fmt, indent, summarize)


def tensor_repr(t) -> str:
    """``tensor([...], dtype=..., grad_fn=<...>)`` as PyTorch writes it."""
    prefix = "tensor(" if type(t).__name__ in ("Tensor", "Parameter") else \
        type(t).__name__ + "("
    indent = len(prefix)
    a = t._host()
    dtype = t.dtype
    default = dt.get_default_dtype()
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if dtype is not default:
            suffixes.append(f"dtype=ember.{dtype.name}")
    else:
        body = _values_str(a, indent)
        if dtype not in (default, default.to_complex(), dt.int64, dt.bool_):
            suffixes.append(f"dtype=ember.{dtype.name}")
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"
