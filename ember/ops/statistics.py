"""Statistics and numerical calculus composed from other ops: diff, cov, corrcoef, quantiles,
msort, renorm, dist, and trapezoidal integration. Their gradients come from the ops they use.
"""
from __future__ import annotations

import warnings

from .._creation import zeros
from .._dtype import bool_ as _bool
from .._tensor import Tensor
from ._op import composite
from .join import cat
from .norms import linalg_vector_norm
from .numeric import bind_inplace
from .piecewise import where_op
from .reduce import one_dim

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


@composite()
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim``, after joining ``prepend`` and ``append``.

    >>> ember.diff(ember.tensor([1, 4, 9, 16]))
    tensor([3, 5, 7])
    """
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    for other in (prepend, append):
        if other is None:
            continue
        dim = one_dim(dim, input.dim())
        if other.dim() != input.dim():
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
        if any(a != b for d, (a, b) in enumerate(zip(other.shape, input.shape)) if d != dim):
            raise RuntimeError(f"diff expects the shape of tensor to prepend or append to "
                               f"match that of input except along the differencing dimension; "
                               f"input.size({dim}) = {input.shape[dim]}, but got "
                               f"tensor.size({dim}) = {other.shape[dim]}")
    if n == 0:  # no difference taken: the input itself (nothing joined, no dim read)
        return input.clone()
    dim = one_dim(dim, input.dim())
    parts = [p for p in (prepend, input, append) if p is not None]
    x = cat(parts, dim) if len(parts) > 1 else input
    step = (lambda hi, lo: hi.logical_xor(lo)) if x.dtype == _bool else \
        (lambda hi, lo: hi - lo)
    for _ in range(n):
        length = x.shape[dim]
        if length == 0:
            break
        x = step(x.narrow(dim, 1, length - 1), x.narrow(dim, 0, length - 1))
    return x


@composite()
def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in
    columns), with optional integer frequency and float observation weights."""
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    if not x.is_floating_point() and not x.is_complex():
        x = x.float()
    observations = x.shape[1]
    weights = None
    for name, w in (("fweights", fweights), ("aweights", aweights)):
        if w is None:
            continue
        if w.dim() > 1 or w.numel() != observations:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions and "
                               f"{observations} elements but got shape {tuple(w.shape)}")
        integral = not (w.is_floating_point() or w.is_complex() or w.dtype == _bool)
        if name == "fweights" and not integral:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got "
                               f"fweights with {w.dtype} dtype")
        if name == "aweights" and not w.is_floating_point():
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {w.dtype} dtype")
        if not bool((w >= 0).all()):  # NaN weights too
            raise RuntimeError(f"cov(): {name} cannot be negative")
        weights = w if weights is None else weights * w
    if weights is None:
        total = observations
        mean = x.mean(1)
    else:
        weights = weights.to(x.dtype)
        total = weights.sum()
        if bool(total == 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        mean = (x * (weights / total)).sum(1)  # (PyTorch's order: one observation is exact)
    if weights is not None and aweights is not None and correction != 0:
        norm = total - correction * (weights * aweights).sum() / total
    else:
        norm = total - correction
    if bool((norm.real if isinstance(norm, Tensor) and norm.is_complex() else norm) <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.")
        norm = norm * 0 if isinstance(norm, Tensor) else 0
    centred = x - mean.unsqueeze(1)
    weighted = centred if weights is None else centred * weights
    return (centred.mm(weighted.transpose(0, 1).conj()) / norm).squeeze()


@composite()
def corrcoef(input: Tensor) -> Tensor:
    """Pearson's correlation coefficients of the variables in the rows of ``input``."""
    c = cov(input)
    if c.dim() == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1) / std.unsqueeze(0)
    return c if c.is_complex() else c.clamp(-1, 1)


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    if not input.is_floating_point():
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    scalar = not isinstance(q, Tensor) or q.dim() == 0
    if isinstance(q, Tensor):
        if q.dim() > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qs = q.detach().reshape(-1)
    else:
        qs = input.new_tensor([float(q)])
    axis = 0 if dim is None else one_dim(dim, input.dim())  # the dim is checked first
    if bool(((qs < 0) | (qs > 1)).any()):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    x = input.reshape(-1) if dim is None or input.dim() == 0 else input
    ordered = x.sort(dim=axis).values.movedim(axis, -1).unsqueeze(-2)  # (..., 1, n)
    last = ordered.shape[-1] - 1
    if ignore_nan:
        counts = (~ordered.isnan()).sum(-1, keepdim=True)  # (..., 1, 1)
        ranks = where_op(counts == 0, last, qs.unsqueeze(-1) * (counts - 1))
    else:
        has_nan = ordered.narrow(-1, last, 1).isnan()  # NaNs sort last
        ranks = where_op(has_nan, last, qs.unsqueeze(-1) * last)
    ranks = ranks.expand(*ordered.shape[:-1][:-1], qs.numel(), 1)
    pick = {"lower": ranks.floor, "higher": ranks.ceil, "nearest": ranks.round}.get(interpolation)
    if pick is not None:
        result = ordered.expand(*ranks.shape[:-1], last + 1).gather(-1, pick().long())
    else:
        spread = ordered.expand(*ranks.shape[:-1], last + 1)
        below = spread.gather(-1, ranks.floor().long())
        above = spread.gather(-1, ranks.ceil().long())
        weight = ranks - ranks.floor() if interpolation == "linear" else 0.5
        result = below.lerp(above, weight)
    result = result.squeeze(-1).movedim(-1, 0)  # (k, ...)
    if keepdim and input.dim():
        if dim is None:
            result = result.reshape(result.shape[0], *([1] * input.dim()))
        else:
            result = result.unsqueeze(axis + 1)
    return result.squeeze(0) if scalar else result


@composite()
def quantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The ``q``-th quantiles of ``input`` (over all elements, or along ``dim``); a 1-d ``q``
    puts its quantiles in a new leading dimension. A NaN in a slice makes its quantile NaN.

    >>> ember.quantile(ember.tensor([1., 2., 3., 4.]), 0.5)
    tensor(2.5000)
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


@composite()
def nanquantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """`quantile` that ignores NaNs (NaN only where a slice holds nothing else)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


@composite()
def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dimension."""
    return input.sort(dim=0).values


@composite()
def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` rescaled so that its ``p``-norm is at most ``maxnorm``."""
    if input.dim() <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} "
                           f"dimensions")
    if isinstance(p, complex):
        raise RuntimeError("renorm: p must be real-valued")
    if isinstance(maxnorm, complex):
        raise RuntimeError("renorm: maxnorm must be real-valued")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    axis = one_dim(dim, input.dim())
    others = tuple(d for d in range(input.dim()) if d != axis)
    norms = linalg_vector_norm(input, p, others, True)
    return input * where_op(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


bind_inplace(renorm)


@composite()
def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The ``p``-norm of ``input - other``."""
    return linalg_vector_norm(input - other, p)


def _spacing(y, x, dim: int, name: str):
    """The widths of the trapezoids along ``dim`` from the sample points ``x`` (PyTorch's
    steps: a 1-d ``x`` runs along ``dim``, a shorter one is padded with leading dims)."""
    if x.dim() == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.dim()
        shape[dim] = -1
        x = x.reshape(shape)
    elif x.dim() < y.dim():
        x = x.reshape((1,) * (y.dim() - x.dim()) + tuple(x.shape))
    right, left = _neighbours(x, dim)
    return right - left


def _neighbours(t, dim: int):
    """``t[1:]`` and ``t[:-1]`` along ``dim`` (both empty for an empty ``dim``)."""
    n = _size(t, dim)
    return t.narrow(dim, min(n, 1), max(n - 1, 0)), t.narrow(dim, 0, max(n - 1, 0))


def _size(t, dim: int) -> int:
    if t.dim() == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return t.shape[one_dim(dim, t.dim())]


def _check_real(name: str, y, x, dx) -> None:
    if y.dtype == _bool or x is not None and x.dtype == _bool:
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not "
                           f"supported")
    if isinstance(dx, (bool, complex)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")


@composite(method=False)
def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
              dim: int = -1) -> Tensor:
    """The integral of ``y`` along ``dim`` by the trapezoidal rule, at sample points ``x`` or
    spaced ``dx`` apart (1 by default)."""
    if x is not None and dx is not None:
        raise RuntimeError("trapezoid: received both x and dx")
    n = _size(y, dim)
    dim = one_dim(dim, y.dim())
    if n == 0:  # no samples: zeros, as NumPy (and PyTorch) answer
        shape = list(y.shape)
        del shape[dim]
        return zeros(shape, dtype=y.dtype, device=y.device)
    _check_real("trapezoid", y, x, dx)
    if x is None:
        ends = y.select(dim, 0) + y.select(dim, -1)
        return (y.sum(dim) - ends * 0.5) * (1 if dx is None else dx)
    right, left = _neighbours(y, dim)
    return (_spacing(y, x, dim, "trapezoid") * (right + left)).sum(dim) / 2


composite("trapz", method=False)(trapezoid)


@composite(method=False)
def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
                         dim: int = -1) -> Tensor:
    """The running trapezoidal integral of ``y`` along ``dim`` (one element fewer)."""
    if x is not None and dx is not None:
        raise RuntimeError("cumulative_trapezoid: received both x and dx")
    dim = one_dim(dim, y.dim())
    _check_real("cumulative_trapezoid", y, x, dx)
    if y.dim() == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    right, left = _neighbours(y, dim)
    heights = right + left
    if x is None:
        return ((1 if dx is None else dx) / 2 * heights).cumsum(dim)
    return (_spacing(y, x, dim, "cumulative_trapezoid") * heights / 2).cumsum(dim)

