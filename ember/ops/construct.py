"""Complex tensors built from real parts: ``ember.complex`` and ``ember.polar``."""
from __future__ import annotations

from . import pointwise
from ._op import op

_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


def _complex_dtype(xp, a, b):
    if a.dtype.kind != "f" or b.dtype.kind != "f" or a.dtype.name not in _COMPLEX_OF:
        raise RuntimeError(f"Expected both inputs to be Float or Double tensors but got "
                           f"{a.dtype} and {b.dtype}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"Expected object of scalar type {a.dtype} but got scalar type "
                           f"{b.dtype} for second argument")
    return xp.dtype(_COMPLEX_OF[a.dtype.name])


def _assemble(xp, real, imag, dtype):
    real, imag = xp.broadcast_arrays(real, imag)
    out = xp.empty(real.shape, dtype)
    out.real = real
    out.imag = imag
    return out


@op(nin=2, broadcasts=True, method=False)
def complex(xp, real, imag):
    """``real + imag * 1j`` from two float tensors of one dtype (broadcasting).

    >>> ember.complex(ember.tensor([1.]), ember.tensor([2.]))
    tensor([1.+2.j])
    """
    return _assemble(xp, real, imag, _complex_dtype(xp, real, imag))


@complex.derivative
def complex(ctx, grad):
    return pointwise.real(grad), pointwise.imag(grad)


@op(nin=2, broadcasts=True, save=(0, 1), method=False)
def polar(xp, abs, angle):
    """``abs * (cos(angle) + sin(angle) * 1j)`` from magnitudes and angles.

    >>> ember.polar(ember.tensor([2.]), ember.tensor([0.]))
    tensor([2.+0.j])
    """
    dtype = _complex_dtype(xp, abs, angle)
    return _assemble(xp, abs * xp.cos(angle), abs * xp.sin(angle), dtype)


@polar.derivative
def polar(ctx, grad):
    magnitude, angle = ctx.saved_tensors
    # d out / d abs = e^{i angle}; d out / d angle = i abs e^{i angle}
    turned = grad * pointwise.conj(complex(angle.cos(), angle.sin()))
    return pointwise.real(turned), magnitude * pointwise.imag(turned)
