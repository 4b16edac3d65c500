"""The three discrete Fourier transforms every `ember.fft` function reduces to.

As in PyTorch: complex-to-complex (`_fft_c2c`), real-to-complex (`_fft_r2c`, optionally
keeping only the non-redundant half of the last transformed dim) and complex-to-real
(`_fft_c2r`, the inverse of a halved transform). ``normalization`` is PyTorch's code, the
same whichever the direction: 0 none, 1 divide by sqrt(n), 2 divide by n (n: the product of
the transformed sizes). Each derivative is the adjoint transform with the same scaling.
"""
from __future__ import annotations

from .. import _dtype as dt
from . import pointwise
from .join import cat
from .padding import constant_pad_nd
from ._op import op

# NumPy's ``norm`` for a scaling code, by direction: it names which direction is scaled.
_FORWARD_NORM = ("backward", "ortho", "forward")
_INVERSE_NORM = ("forward", "ortho", "backward")
_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


_SUPPORTED = ("float32", "float64", "complex64", "complex128")


def _checked(x):
    """``x``, if the transforms support its dtype (PyTorch's CPU transforms don't do half)."""
    name = x.dtype.name
    if name not in _SUPPORTED:
        raise RuntimeError(f"Unsupported dtype {dt.scalar_type_name(x.dtype)}")
    return x


def _complex_dtype(xp, x):
    name = _checked(x).dtype.name
    return xp.dtype(_COMPLEX_OF.get(name, name))


@op(method=False)
def _fft_c2c(xp, input, dim, normalization, forward):
    """The complex transform of ``input`` over ``dim`` (inverse when not ``forward``)."""
    _checked(input)
    if forward:
        out = xp.fft.fftn(input, axes=dim, norm=_FORWARD_NORM[normalization])
    else:
        out = xp.fft.ifftn(input, axes=dim, norm=_INVERSE_NORM[normalization])
    return out.astype(input.dtype, copy=False)


@_fft_c2c.derivative
def _fft_c2c(ctx, grad, dim, normalization, forward):
    return _fft_c2c.fn(grad, dim, normalization, not forward)


@op(method=False)
def _fft_r2c(xp, input, dim, normalization, onesided):
    """The forward transform of real ``input`` over ``dim``; with ``onesided`` only the first
    ``n // 2 + 1`` entries of the last of ``dim``."""
    norm = _FORWARD_NORM[normalization]
    out = (xp.fft.rfftn(input, axes=dim, norm=norm) if onesided
           else xp.fft.fftn(input, axes=dim, norm=norm))
    return out.astype(_complex_dtype(xp, input), copy=False)


@_fft_r2c.derivative
def _fft_r2c(ctx, grad, dim, normalization, onesided):
    if onesided:
        # The halved transform is the full one with its redundant half dropped: the adjoint
        # pads that half back with zeros.
        shape = ctx.shapes[0]
        last = dim[-1] % len(shape)
        pad = [0] * (2 * (len(shape) - last))
        pad[-1] = shape[last] - grad.shape[last]
        grad = constant_pad_nd.fn(grad, tuple(pad))
    return pointwise.real(_fft_c2c.fn(grad, dim, normalization, False))


@op(method=False)
def _fft_c2r(xp, input, dim, normalization, last_dim_size):
    """The real inverse transform of the halved spectrum ``input`` over ``dim``: the last of
    ``dim`` becomes ``last_dim_size`` long."""
    sizes = [_checked(input).shape[d] for d in dim[:-1]] + [last_dim_size]
    out = xp.fft.irfftn(input, s=sizes, axes=dim, norm=_INVERSE_NORM[normalization])
    return out.astype(input.real.dtype, copy=False)


@_fft_c2r.derivative
def _fft_c2r(ctx, grad, dim, normalization, last_dim_size):
    g = _fft_r2c.fn(grad, dim, normalization, True)
    # Each interior bin of the halved spectrum stands for itself and its mirror image in the
    # full one, so its gradient counts twice; bin 0 (and n/2 for even n) have no mirror.
    last = dim[-1] % g.ndim
    kept = g.shape[last]
    doubled = last_dim_size - kept
    if doubled <= 0:
        return g
    parts = [g.narrow(last, 0, 1), g.narrow(last, 1, doubled) * 2]
    if kept > doubled + 1:
        parts.append(g.narrow(last, doubled + 1, kept - doubled - 1))
    return cat.fn(parts, last)
