"""Matrix and tensor products: matmul and its fixed-rank forms, the ``add*`` fused forms,
vector products, tensordot and cross.

Matrix products do not promote: PyTorch refuses ``float32 @ float64``, so do we. Each
product's gradient is written once as a *pullback* ``(grad, x, y) -> (grad_x, grad_y)`` that
both the product and its ``add*`` form use.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, wrap
from ..autograd.grad_mode import STATE
from .._signatures import MISSING
from ._op import _AUTOCAST, _PROFILER, _TRACER, _record, op
from .pointwise import _scaled, cast_all, common_types

# The C++ scalar names PyTorch's dtype-mismatch messages use.
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}
_TITLE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def title_name(array) -> str:
    """PyTorch's capitalized name of an array's dtype ('Float', 'Double', 'Long'...)."""
    return _TITLE_NAMES.get(array.dtype.name, array.dtype.name)


def _same_dtype(a, b) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_C_NAMES.get(a.dtype.name, a.dtype.name)} != "
                           f"{_C_NAMES.get(b.dtype.name, b.dtype.name)}")


def _by(shape) -> str:
    return "x".join(str(s) for s in shape)


def _matmul_mismatch(a, b) -> str:
    if a.ndim == 0 or b.ndim == 0:
        return (f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                f"{b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        return (f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                f"[{b.shape[0]}] to have the same number of elements, but got {a.shape[0]} "
                f"and {b.shape[0]} elements respectively")
    if a.ndim <= 2 and b.ndim == 1:
        return f"size mismatch, got input ({a.shape[0]}), mat ({_by(a.shape)}), vec ({b.shape[0]})"
    if a.ndim <= 2 and b.ndim <= 2:
        return (f"mat1 and mat2 shapes cannot be multiplied ({_by(a.shape[-2:] if a.ndim == 2 else (1,) + a.shape)} "
                f"and {_by(b.shape)})")
    return (f"shapes {list(a.shape)} and {list(b.shape)} cannot be multiplied: the batch "
            f"dimensions must broadcast and the inner dimensions must agree")


def adjoint(x):
    """The conjugate transpose of the last two dimensions (the plain transpose when real)."""
    xt = x.transpose(-2, -1)
    return xt.conj() if x.is_complex() else xt


def conj(x):
    return x.conj() if x.is_complex() else x


# ----------------------------------------------------------------------------- matmul

def _product(xp, a, b):
    # ml_dtypes' bfloat16 matmul answers in float32; a product keeps its operands' dtype
    r = xp.matmul(a, b)
    return r if r.dtype == a.dtype else r.astype(a.dtype)


@op(nin=2, save=(0, 1), broadcasts=True)
def matmul(xp, a, b):
    """The matrix product with NumPy's (and PyTorch's) rules for 1-d and batched operands.

    >>> ember.matmul(ember.ones(5, 2, 3), ember.ones(3)).shape
    ember.Size([5, 2])
    """
    if a.dtype != b.dtype:
        _same_dtype(a, b)
    try:
        return _product(xp, a, b)
    except ValueError:
        raise RuntimeError(_matmul_mismatch(a, b)) from None


def _matmul_hot_path(general):
    """matmul is the hottest op: two CPU tensors of one dtype go straight to NumPy (~1 us of
    bookkeeping); everything else, errors included (and profiled calls), takes the general
    path."""
    profiler, autocast, tracer = _PROFILER, _AUTOCAST, _TRACER

    def matmul(a=MISSING, b=MISSING, /, *args, **kwargs):  # input=, other=: in kwargs
        if (args or kwargs or profiler or autocast or tracer or not isinstance(a, Tensor)
                or not isinstance(b, Tensor)):
            return general(*(x for x in (a, b) + args if x is not MISSING), **kwargs)
        x, y = a._data, b._data
        if type(x) is not np.ndarray or type(y) is not np.ndarray or x.dtype is not y.dtype \
                or x.dtype.kind == "b":  # bools: PyTorch's refusal, in the general path
            return general(a, b)
        try:
            r = np.matmul(x, y)
        except ValueError:
            return general(a, b)
        out = wrap(r if r.dtype is x.dtype else r.astype(x.dtype))
        if (a._requires_grad or b._requires_grad) and STATE.grad_enabled:
            _record(_MATMUL, (a, b), (out,), (), {}, None)
        return out
    matmul.__doc__ = general.__doc__
    return matmul


def matmul_pullback(grad, a, b, needs=(True, True)):
    """The gradients of ``matmul(a, b)``: one matmul per input (1-d operands as matrices)."""
    if a.ndim == 1 and b.ndim == 1:
        return (grad * conj(b) if needs[0] else None), (grad * conj(a) if needs[1] else None)
    g = grad.unsqueeze(-2) if a.ndim == 1 else grad
    g = g.unsqueeze(-1) if b.ndim == 1 else g
    ga = gb = None
    if needs[0]:
        ga = matmul(g, adjoint(b.unsqueeze(-1) if b.ndim == 1 else b))
        ga = ga.squeeze(-2) if a.ndim == 1 else ga
    if needs[1]:
        gb = _matrix_grad(a.unsqueeze(-2) if a.ndim == 1 else a, g, b)
        gb = gb.squeeze(-1) if b.ndim == 1 else gb
    return ga, gb


def _matrix_grad(a, g, b):
    """``adjoint(a) @ g``, the gradient of b in ``a @ b``, computed the way b is laid out."""
    if b.ndim == 2 and a.ndim > 2:
        # one matrix shared by a batch: one product over the folded batch, not one per item
        a, g = a.reshape(-1, a.shape[-1]), g.reshape(-1, g.shape[-1])
    if b.ndim == 2 and not b.is_complex() and _is_transposed(b._data):
        # b is a transposed view (``weight.mT`` in a linear layer): computed as the
        # transpose of (g^T a), its gradient reaches the weight through the transposition's
        # backward as a contiguous array the weight can keep, not a strided view to copy.
        return matmul(g.mT, a).mT
    return matmul(adjoint(a), g)


def _is_transposed(array) -> bool:
    return array.flags.f_contiguous and not array.flags.c_contiguous


@matmul.derivative
def matmul(ctx, grad):
    a, b = ctx.saved_tensors
    return matmul_pullback(grad, a, b, ctx.needs_input_grad)


matmul.onnx("MatMul")


_MATMUL = matmul
matmul.fn = _matmul_hot_path(matmul.fn)


def _check_mm(a, b) -> None:
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_by(a.shape)} and "
                           f"{_by(b.shape)})")
    _same_dtype(a, b)


def _check_bmm(a, b) -> None:
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    _same_dtype(a, b)


def _check_mv_alone(a, v) -> None:
    if a.ndim == 0:  # mv (not addmv) reads the matrix's row count first
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    _check_mv(a, v)


def _check_mv(a, v) -> None:
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_by(a.shape)}), "
                           f"vec ({v.shape[0]})")
    _same_dtype(a, v)


def _check_dot(a, b, name="dot") -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name} : expected both vectors to have same dtype, but found "
                           f"{title_name(a)} and {title_name(b)}")


def _outer_pullback(grad, a, b, needs=(True, True)):
    return (matmul(grad, conj(b)) if needs[0] else None,
            matmul(adjoint(grad), conj(a)) if needs[1] else None)


def _fixed_rank_product(name, check, pullback, doc):
    """Declare ``mm``/``bmm``/``mv``/``dot``: matmul restricted to operands of fixed rank."""
    def forward(xp, a, b):
        check(a, b)
        return _product(xp, a, b)
    forward.__name__ = name
    forward.__doc__ = doc
    entry = op(nin=2, save=(0, 1))(forward)

    @entry.derivative
    def _(ctx, grad):
        a, b = ctx.saved_tensors
        return pullback(grad, a, b, ctx.needs_input_grad)
    return entry


mm = _fixed_rank_product("mm", _check_mm, matmul_pullback,
                         "The product of two matrices: ``(n, m) @ (m, p) -> (n, p)``.")


mm.onnx("MatMul")
bmm = _fixed_rank_product("bmm", _check_bmm, matmul_pullback,
                          "Batched matrix product: ``(b, n, m) @ (b, m, p) -> (b, n, p)``.")


bmm.onnx("MatMul")
mv = _fixed_rank_product("mv", _check_mv_alone, matmul_pullback,
                         "Matrix times vector: ``(n, m) @ (m,) -> (n,)``.")
dot = _fixed_rank_product("dot", _check_dot, matmul_pullback,
                          "The dot product of two 1-d tensors (no complex conjugation).")


@op(nin=2, promote="common", save=(0, 1), aliases=("ger",))
def outer(xp, a, b):
    """The outer product of two 1-d tensors: ``out[i, j] = a[i] * b[j]``."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {a.ndim}-D" if a.ndim != 1
                           else f"outer: Expected 1-D argument vec2, but got {b.ndim}-D")
    return xp.multiply(a[:, None], b[None, :])


@outer.derivative
def outer(ctx, grad):
    a, b = ctx.saved_tensors
    return _outer_pullback(grad, a, b, ctx.needs_input_grad)


@op(nin=2, save=(0, 1))
def vdot(xp, a, b):
    """``sum(conj(a) * b)`` over two 1-d tensors."""
    _check_dot(a, b, "vdot")
    return xp.vdot(a, b)


@vdot.derivative
def vdot(ctx, grad):
    a, b = ctx.saved_tensors
    return (b * conj(grad) if ctx.needs_input_grad[0] else None,
            a * grad if ctx.needs_input_grad[1] else None)


# ----------------------------------------------------------------------------- beta*in + alpha*xy

def _scaled_sum(xp, c, product, beta, alpha):
    # beta == 0 ignores ``c`` entirely: NaN and inf in it must not leak into the result.
    kind = product.dtype.kind
    if kind in "biu":  # PyTorch converts the scales to the integer (or bool) type
        beta, alpha = (bool(v) if kind == "b" else int(v) if type(v) is float else v
                       for v in (beta, alpha))
    if alpha != 1:
        product = _scaled(xp, product, alpha)
    if beta == 0:
        return product
    # the product is a fresh array of the result's shape and dtype: add into it
    product += c if beta == 1 else _scaled(xp, c, beta)
    return product


def _add_product(name, check, product, pullback, doc, promote=None):
    """Declare ``addmm``-style ops: ``beta * input + alpha * product(x, y)``."""
    def forward(xp, c, x, y, *, beta=1, alpha=1):
        if name == "addmv" and c.ndim == 0 and x.ndim == 2 and y.ndim == 1 and \
                x.shape[1] != y.shape[0]:  # PyTorch's size message reads input.size(0)
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        check(x, y)
        if c.dtype != x.dtype:
            raise RuntimeError(f"{name}: self and mat2 must have the same dtype, but got "
                               f"{title_name(c)} and {title_name(x)}")
        if name == "addr" and c.dtype.kind in "biu":  # (addmm truncates them instead)
            for scale, value in (("beta", beta), ("alpha", alpha)):
                if type(value) is float:
                    raise RuntimeError(f"For integral input tensors, argument {scale} must "
                                       f"not be a floating point number.")
        p = product(xp, x, y)
        if alpha == 0 and name in ("addmm", "addmv"):  # BLAS reads no operand: no NaN leaks
            p = xp.zeros_like(p)
        try:
            out_shape = xp.broadcast_shapes(c.shape, p.shape)
        except ValueError:
            out_shape = None
        if out_shape != p.shape:
            raise RuntimeError(f"The expanded size of the input {list(c.shape)} must match the "
                               f"size of the product {list(p.shape)}")
        return _scaled_sum(xp, c, p, beta, alpha)
    forward.__name__ = name
    forward.__doc__ = doc
    entry = op(nin=3, promote=promote, save=(1, 2), broadcasts=True, inplace=True)(forward)

    @entry.derivative
    def _(ctx, grad, *, beta=1, alpha=1):
        x, y = ctx.saved_tensors
        needs = ctx.needs_input_grad
        gc = (grad * beta if beta != 1 else grad) if needs[0] else None
        gx, gy = pullback(grad * alpha if alpha != 1 else grad, x, y, needs[1:])
        return gc, gx, gy
    return entry


def _outer_array(xp, a, b):
    return xp.multiply(a[:, None], b[None, :])


def _check_addbmm(a, b):
    if a.ndim == 3 and b.ndim == 3 and a.shape[0] != b.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{a.shape[0]} and {b.shape[0]}")
    _check_bmm(a, b)


def _batch_sum_product(xp, a, b):
    # sum_b a[b] @ b[b] as one BLAS call: (n, B*m) @ (B*m, p)
    batches, n, m = a.shape
    return _product(xp, xp.swapaxes(a, 0, 1).reshape(n, batches * m),
                    b.reshape(batches * m, b.shape[-1]))


def _check_outer(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {a.ndim}-D"
                           if a.ndim != 1 else f"addr: Expected 1-D argument vec2, but got "
                                               f"{b.ndim}-D")
    _same_dtype(a, b)


addmm = _add_product("addmm", _check_mm, _product, matmul_pullback,
                     "``beta * input + alpha * (mat1 @ mat2)``.")


@addmm.onnx
def addmm(g, c, x, y, *, beta=1, alpha=1):
    return g.op("Gemm", x, y, c, alpha=float(alpha), beta=float(beta))
baddbmm = _add_product("baddbmm", _check_bmm, _product,
                       matmul_pullback, "``beta * input + alpha * bmm(batch1, batch2)``.")


@baddbmm.onnx
def baddbmm(g, c, x, y, *, beta=1, alpha=1):
    product = g.op("MatMul", x, y)
    if alpha != 1:
        product = g.op("Mul", product, g.scalar(alpha, x))
    if beta == 0:
        return product
    return g.op("Add", c if beta == 1 else g.op("Mul", c, g.scalar(beta, c)), product)
addmv = _add_product("addmv", _check_mv, _product, matmul_pullback,
                     "``beta * input + alpha * (mat @ vec)``.")
addbmm = _add_product("addbmm", _check_addbmm, _batch_sum_product, matmul_pullback,
                      "``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``.")
def _outer_types(operands, arrays):
    """addr's promotion: PyTorch expands the input to the product's shape first, so a 0-d
    input promotes as a dimensioned tensor does."""
    if not all(isinstance(x, Tensor) for x in operands):
        return common_types(operands, arrays)
    target = functools.reduce(dt.promote_types, (x.dtype for x in operands))
    return cast_all(arrays, target.np)


addr = _add_product("addr", _check_outer, _outer_array, _outer_pullback,
                    "``beta * input + alpha * outer(vec1, vec2)``.", promote=_outer_types)


# ----------------------------------------------------------------------------- cross

def _cross_dim(a_shape, b_shape, dim) -> int:
    """The (negative) dimension the cross product runs along, checked like PyTorch."""
    n = max(len(a_shape), len(b_shape), 1)
    a_pad = (1,) * (n - len(a_shape)) + tuple(a_shape)
    b_pad = (1,) * (n - len(b_shape)) + tuple(b_shape)
    if dim is None:
        # PyTorch's legacy default: the input's first dimension of size 3
        dim = next((i for i, x in enumerate(a_pad) if x == 3), None)
        if dim is None:
            raise RuntimeError(f"no dimension of size 3 in input (shapes {list(a_shape)} and "
                               f"{list(b_shape)})")
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    dim %= n
    if a_pad[dim] != 3 or b_pad[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a_pad[dim]} and {b_pad[dim]}")
    return dim - n


@op(nin=2, save=(0, 1), broadcasts=True)
def cross(xp, a, b, dim=None):
    """The cross product of 3-vectors along ``dim`` (PyTorch's default: the first dim of size 3).

    >>> ember.cross(ember.tensor([1., 0, 0]), ember.tensor([0., 1, 0]), dim=0)
    tensor([0., 0., 1.])
    """
    if dim is not None:  # linalg.cross's checks, before the dim's
        if a.ndim != b.ndim:
            raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
        if a.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    axis = _cross_dim(a.shape, b.shape, dim)
    if a.ndim != b.ndim:  # (the legacy default dim, found first, goes to linalg.cross too)
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if a.dtype == bool:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {title_name(a)} but found {title_name(b)}")
    return xp.cross(a, b, axis=axis)


@cross.derivative
def cross(ctx, grad, dim=None):
    a, b = ctx.saved_tensors
    dim = _cross_dim(ctx.shapes[0], ctx.shapes[1], dim)
    return (cross(b, grad, dim) if ctx.needs_input_grad[0] else None,
            cross(grad, a, dim) if ctx.needs_input_grad[1] else None)
