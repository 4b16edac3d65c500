"""`ember.fft`: PyTorch's discrete Fourier transforms.

Every transform here is one or two of the three table ops of `ember/ops/fft.py` (complex to
complex, real to complex, complex to real), after the input is cropped or zero-padded to the
requested sizes; so their gradients are those ops' adjoints.

    >>> ember.fft.fft(ember.tensor([1., 0., 0., 0.]))
    tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from . import _dtype as dt
from ._creation import tensor
from ._tensor import Tensor
from .ops import TABLE
from .ops.shape import wrap_dim

_c2c = TABLE["_fft_c2c"].fn
_r2c = TABLE["_fft_r2c"].fn
_c2r = TABLE["_fft_c2r"].fn
_pad = TABLE["constant_pad_nd"].fn

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn",
           "fftfreq", "rfftfreq", "fftshift", "ifftshift"]


# ----------------------------------------------------------------------------- arguments


def _norm(norm: str | None, forward: bool) -> int:
    """PyTorch's scaling code (0 none, 1 by sqrt(n), 2 by n) of a transform's direction."""
    if norm is None or norm == "backward":
        return 0 if forward else 2
    if norm == "ortho":
        return 1
    if norm == "forward":
        return 2 if forward else 0
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _floating(x: Tensor) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"fft: argument 'input' must be Tensor, not {type(x).__name__}")
    return x if x.dtype.is_floating_point or x.is_complex() else x.to(dt.get_default_dtype())


def _real_only(x: Tensor, name: str) -> Tensor:
    if x.is_complex():
        raise RuntimeError(f"{name} expects a real input tensor, but got "
                           f"{'ComplexFloat' if x.dtype.name == 'complex64' else 'ComplexDouble'}")
    return x


def _as_complex(x: Tensor) -> Tensor:
    return x if x.is_complex() else x.to(x.dtype.to_complex())


def _resize(x: Tensor, dims: Sequence[int], sizes: Sequence[int]) -> Tensor:
    """``x`` cropped or zero-padded at the end of each of ``dims`` to ``sizes`` (-1: keep)."""
    pad = [0] * (2 * x.ndim)
    for d, n in zip(dims, sizes):
        n = x.shape[d] if n == -1 else n
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
        pad[2 * (x.ndim - 1 - d) + 1] = n - x.shape[d]
    return _pad(x, tuple(pad)) if any(pad) else x


def _dims(x: Tensor, s, dim, default_dim=None) -> tuple[list, list]:
    """The transformed dims and their requested sizes (-1: as they are), PyTorch's way:
    ``s`` alone means the last ``len(s)`` dims; neither means every dim."""
    dim = default_dim if dim is None else dim
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if x.ndim == 0 and dim:
            raise IndexError(f"Dimension specified as {dim[0]} but tensor has no dimensions")
        dims = [wrap_dim(d, x.ndim) for d in dim]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > x.ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{x.ndim} dimensions.")
        dims = list(range(x.ndim - len(s), x.ndim))
    else:
        dims = list(range(x.ndim))
    sizes = [-1] * len(dims) if s is None else [int(n) for n in s]
    return dims, sizes


def _some_dims(x, s, dim, default_dim, name):
    """`_dims` for the transforms that halve a dim, which need at least one dim."""
    dims, sizes = _dims(x, s, dim, default_dim)
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    return dims, sizes


def _halved(x: Tensor, dims: list, sizes: list) -> tuple[Tensor, int]:
    """``x`` resized for a complex-to-real transform, and the real length of its last dim."""
    last = sizes[-1] if sizes[-1] != -1 else 2 * (x.shape[dims[-1]] - 1)
    if last < 1:
        raise RuntimeError(f"Invalid number of data points ({last}) specified")
    x = _resize(_as_complex(x), dims, sizes[:-1] + [last // 2 + 1])
    return x, last


# ----------------------------------------------------------------------------- transforms


def fftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The n-dimensional discrete Fourier transform over ``dim`` (all dims by default),
    after cropping or zero-padding those dims to the sizes ``s``."""
    return _fftn(input, s, dim, norm, True)


def ifftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The inverse of `fftn`."""
    return _fftn(input, s, dim, norm, False)


def _fftn(input, s, dim, norm, forward, default_dim=None):
    x = _floating(input)
    dims, sizes = _dims(x, s, dim, default_dim)
    if not dims:  # the transform over no dims is the identity
        return _as_complex(x).clone()
    x = _resize(x, dims, sizes)
    code = _norm(norm, forward)
    if x.is_complex():
        return _c2c(x, dims, code, forward)
    out = _r2c(x, dims, code, False)
    return out if forward else out.conj()  # for real x, the inverse is the conjugate's


def rfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """`fftn` of a real tensor, keeping the first ``n // 2 + 1`` entries of the last dim
    (the rest mirror them)."""
    return _rfftn(input, s, dim, norm)


def _rfftn(input, s, dim, norm, default_dim=None, name="rfftn"):
    x = _real_only(_floating(input), name)
    dims, sizes = _some_dims(x, s, dim, default_dim, name)
    return _r2c(_resize(x, dims, sizes), dims, _norm(norm, True), True)


def irfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The inverse of `rfftn`: a real tensor whose last transformed dim has ``s[-1]``
    entries (default ``2 * (m - 1)`` for ``m`` input entries)."""
    return _irfftn(input, s, dim, norm)


def _irfftn(input, s, dim, norm, default_dim=None, name="irfftn"):
    x = _floating(input)
    dims, sizes = _some_dims(x, s, dim, default_dim, name)
    x, last = _halved(x, dims, sizes)
    return _c2r(x, dims, _norm(norm, False), last)


def hfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The forward transform of a Hermitian-symmetric signal given by its first half: a real
    tensor (sizes as in `irfftn`)."""
    return _hfftn(input, s, dim, norm)


def _hfftn(input, s, dim, norm, default_dim=None, name="hfftn"):
    x = _floating(input)
    dims, sizes = _some_dims(x, s, dim, default_dim, name)
    x, last = _halved(x, dims, sizes)
    code = _norm(norm, True)
    if len(dims) > 1:
        x = _c2c(x, dims[:-1], code, True)
    return _c2r(x.conj(), dims[-1:], code, last)


def ihfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The inverse of `hfftn`: the first half of the transform of a real tensor."""
    return _ihfftn(input, s, dim, norm)


def _ihfftn(input, s, dim, norm, default_dim=None, name="ihfftn"):
    x = _real_only(_floating(input), name)
    dims, sizes = _some_dims(x, s, dim, default_dim, name)
    code = _norm(norm, False)
    out = _r2c(_resize(x, dims, sizes), dims[-1:], code, True).conj()
    return _c2c(out, dims[:-1], code, False) if len(dims) > 1 else out


def _one_dim(n, dim):
    """A 1-D transform's ``n``, ``dim`` as `_dims` takes them (there -1 would mean "keep")."""
    if n is not None and n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return None if n is None else (n,), dim


def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The discrete Fourier transform along ``dim``, of ``input`` cropped or zero-padded to
    ``n`` entries there."""
    return _fftn(input, *_one_dim(n, dim), norm, True)


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The inverse of `fft`."""
    return _fftn(input, *_one_dim(n, dim), norm, False)


def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """`fft` of a real tensor: its first ``n // 2 + 1`` entries (the rest mirror them)."""
    return _rfftn(input, *_one_dim(n, dim), norm, name="rfft")


def irfft(input: Tensor, n: int | None = None, dim: int = -1,
          norm: str | None = None) -> Tensor:
    """The inverse of `rfft`: ``n`` real entries (default ``2 * (m - 1)``)."""
    return _irfftn(input, *_one_dim(n, dim), norm, name="irfft")


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The transform of a Hermitian-symmetric signal given by its first half: ``n`` real
    entries (default ``2 * (m - 1)``)."""
    return _hfftn(input, *_one_dim(n, dim), norm, name="hfft")


def ihfft(input: Tensor, n: int | None = None, dim: int = -1,
          norm: str | None = None) -> Tensor:
    """The inverse of `hfft`: the first half of the inverse transform of a real signal."""
    return _ihfftn(input, *_one_dim(n, dim), norm, name="ihfft")


_LAST_TWO = (-2, -1)


def fft2(input: Tensor, s=None, dim=_LAST_TWO, norm: str | None = None) -> Tensor:
    """`fftn` over the last two dims."""
    return _fftn(input, s, dim, norm, True)


def ifft2(input: Tensor, s=None, dim=_LAST_TWO, norm: str | None = None) -> Tensor:
    """`ifftn` over the last two dims."""
    return _fftn(input, s, dim, norm, False)


def rfft2(input: Tensor, s=None, dim=_LAST_TWO, norm: str | None = None) -> Tensor:
    """`rfftn` over the last two dims."""
    return _rfftn(input, s, dim, norm, name="rfft2")


def irfft2(input: Tensor, s=None, dim=_LAST_TWO, norm: str | None = None) -> Tensor:
    """`irfftn` over the last two dims."""
    return _irfftn(input, s, dim, norm, name="irfft2")


def hfft2(input: Tensor, s=None, dim=_LAST_TWO, norm: str | None = None) -> Tensor:
    """`hfftn` over the last two dims."""
    return _hfftn(input, s, dim, norm, name="hfft2")


def ihfft2(input: Tensor, s=None, dim=_LAST_TWO, norm: str | None = None) -> Tensor:
    """`ihfftn` over the last two dims."""
    return _ihfftn(input, s, dim, norm, name="ihfft2")


# ----------------------------------------------------------------------------- helpers


def fftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an ``n``-point `fft` with sample spacing ``d``:
    ``[0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (d * n)``."""
    k = np.concatenate([np.arange((n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return _frequencies(k / (d * n), dtype, device, requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an ``n``-point `rfft`: ``[0, 1, ..., n // 2] / (d * n)``."""
    return _frequencies(np.arange(n // 2 + 1) / (d * n), dtype, device, requires_grad)


def _frequencies(values, dtype, device, requires_grad):
    return tensor(values, dtype=dtype or dt.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def fftshift(input: Tensor, dim=None) -> Tensor:
    """Move the zero frequency to the middle of ``dim`` (every dim by default)."""
    return _shift(input, dim, 1)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """The inverse of `fftshift`."""
    return _shift(input, dim, -1)


def _shift(x, dim, sign):
    dims = range(x.ndim) if dim is None else (dim,) if isinstance(dim, int) else dim
    dims = [wrap_dim(d, x.ndim) for d in dims]
    if not dims:
        raise RuntimeError("`shifts` required")
    return x.roll([sign * (x.shape[d] // 2) for d in dims], dims)
