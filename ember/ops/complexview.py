"""Complex tensors seen as real pairs and back: `view_as_real`, `view_as_complex` (views
sharing memory with their input)."""
from __future__ import annotations

from .pointwise import type_name
from ._op import op

_REAL_OF = {"complex64": "float32", "complex128": "float64"}
_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


@op(view="always", method=False)
def view_as_real(xp, input):
    """The complex ``input`` as a real tensor with a trailing dimension of size 2 (real, imag).

    >>> ember.view_as_real(ember.tensor([1 + 2j]))
    tensor([[1., 2.]])
    """
    if input.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    # a trailing axis of length 1 is contiguous, so NumPy can reinterpret it as two reals
    return input[..., None].view(_REAL_OF[input.dtype.name])


@view_as_real.derivative
def view_as_real(ctx, grad):
    return view_as_complex(grad.contiguous())


@op(view="always", method=False)
def view_as_complex(xp, input):
    """A real tensor whose last dimension holds (real, imag) pairs, as a complex tensor."""
    if input.dtype.name not in _COMPLEX_OF:
        raise RuntimeError(f"view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: {type_name(input)}")
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if not input.size:  # (NumPy's empty arrays have zero strides, which its view refuses)
        return xp.empty(input.shape[:-1], _COMPLEX_OF[input.dtype.name])
    if input.strides[-1] != input.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * input.itemsize) for s in input.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    return input.view(_COMPLEX_OF[input.dtype.name])[..., 0]


@view_as_complex.derivative
def view_as_complex(ctx, grad):
    return view_as_real(grad)
