"""ember.fft against torch.fft: values, dtypes and gradients of every transform with sizes,
dims and norms; the helpers; and the errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch

NORMS = [None, "backward", "ortho", "forward"]

# (function, input shape, keyword arguments); each runs with real and complex input where
# the function accepts it.
CASES = [
    ("fft", (8,), {}), ("fft", (3, 5), {"n": 7, "dim": 0}), ("fft", (3, 6), {"n": 4}),
    ("ifft", (3, 5), {}), ("ifft", (2, 6), {"n": 9, "dim": -1}),
    ("fft2", (2, 3, 4), {}), ("fft2", (3, 4), {"s": (5, 2)}),
    ("ifft2", (3, 4), {"s": (2, 6), "dim": (1, 0)}),
    ("fftn", (2, 3, 4), {}), ("fftn", (2, 3, 4), {"s": (4, 3)}),
    ("fftn", (2, 3, 4), {"dim": (2, 0), "s": (-1, 3)}), ("ifftn", (2, 3, 4), {"dim": 1}),
    ("rfft", (8,), {}), ("rfft", (3, 7), {}), ("rfft", (3, 6), {"n": 9, "dim": 0}),
    ("irfft", (5,), {}), ("irfft", (3, 5), {"n": 7}), ("irfft", (4, 3), {"n": 3, "dim": 0}),
    ("rfft2", (2, 4, 6), {}), ("irfft2", (3, 4), {}), ("irfft2", (3, 4), {"s": (4, 5)}),
    ("rfftn", (2, 3, 5), {}), ("rfftn", (2, 3, 4), {"dim": (2, 0)}),
    ("irfftn", (2, 3, 4), {}), ("irfftn", (2, 3, 4), {"s": (3, 3), "dim": (0, 1)}),
    ("hfft", (5,), {}), ("hfft", (3, 4), {"n": 5, "dim": 0}),
    ("ihfft", (8,), {}), ("ihfft", (3, 7), {"n": 5}),
    ("hfft2", (3, 4), {}), ("hfftn", (2, 3, 4), {"s": (3, 6)}),
    ("ihfft2", (3, 6), {}), ("ihfftn", (2, 3, 5), {"dim": (0, 2)}),
]
REAL_ONLY = {"rfft", "rfft2", "rfftn", "ihfft", "ihfft2", "ihfftn"}


def _parts(z):
    return (z.real, z.imag) if z.is_complex() else (z,)


def _run(lib, name, leaves, kwargs, norm):
    x = leaves[0] if len(leaves) == 1 else lib.complex(*leaves)
    return _parts(getattr(lib.fft, name)(x, norm=norm, **kwargs))


TRANSFORMS = [pytest.param(name, shape, kwargs, complex_input,
                           id=f"{name}{shape}{kwargs}{'-complex' if complex_input else ''}")
              for name, shape, kwargs in CASES
              for complex_input in ((False,) if name in REAL_ONLY else (False, True))]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,shape,kwargs,complex_input", TRANSFORMS)
def test_transform_and_gradient_match_torch(name, shape, kwargs, complex_input, dtype, norm,
                                            rng):
    arrays = [rng.standard_normal(shape).astype(dtype) for _ in range(1 + complex_input)]
    e_leaves = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_out = _run(ember, name, e_leaves, kwargs, norm)
    t_out = _run(torch, name, t_leaves, kwargs, norm)
    assert len(e_out) == len(t_out)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for e, t in zip(e_out, t_out):
        assert_close(e, t.resolve_conj(), atol=tol, rtol=tol, what=name)
    grads = [rng.standard_normal(tuple(t.shape)).astype(dtype) for t in t_out]
    ember.autograd.backward(list(e_out), [ember.tensor(g) for g in grads])
    torch.autograd.backward(list(t_out), [torch.tensor(g) for g in grads])
    for e, t in zip(e_leaves, t_leaves):
        assert_close(e.grad, t.grad, atol=10 * tol, rtol=10 * tol, what=f"{name} grad")


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
def test_complex_leaf_gradient_matches_torch(name, rng):
    """Gradients reach complex leaves with PyTorch's (conjugate) convention."""
    z = (rng.standard_normal((3, 6)) + 1j * rng.standard_normal((3, 6)))
    if name in REAL_ONLY:
        z = z.real
    e = ember.tensor(z, requires_grad=True)
    t = torch.tensor(z, requires_grad=True)
    getattr(ember.fft, name)(e, n=5, norm="ortho").abs().sum().backward()
    getattr(torch.fft, name)(t, n=5, norm="ortho").abs().sum().backward()
    assert_close(e.grad, t.grad, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("name,kwargs", [("fft", {"n": 5}), ("rfft", {"n": 6}),
                                         ("irfft", {"n": 5}), ("hfft2", {"s": (2, 4)}),
                                         ("ihfftn", {})])
def test_gradcheck(name, kwargs, rng):
    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)

    def f(x):
        return _parts(getattr(ember.fft, name)(x, **kwargs))
    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


def test_round_trips_and_integer_input():
    x = ember.arange(6)
    y = ember.fft.fft(x)
    assert y.dtype == ember.complex64
    assert_close(ember.fft.ifft(y).real, torch.arange(6.))
    assert_close(ember.fft.irfft(ember.fft.rfft(x.double()), n=6), torch.arange(6.).double())


@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize("n,d", [(1, 1.0), (6, 1.0), (7, 0.25)])
def test_frequencies(name, n, d):
    assert_close(getattr(ember.fft, name)(n, d), getattr(torch.fft, name)(n, d))
    assert_close(getattr(ember.fft, name)(n, d, dtype=ember.float64),
                 getattr(torch.fft, name)(n, d, dtype=torch.float64))


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("dim", [None, 0, (1, 2), -1])
def test_shifts(name, dim, rng):
    a = rng.standard_normal((3, 4, 5))
    e = ember.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    eo, to = getattr(ember.fft, name)(e, dim=dim), getattr(torch.fft, name)(t, dim=dim)
    assert_close(eo, to)
    g = rng.standard_normal(a.shape)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.fft.fft(x, n=0),
    lambda lib, x: lib.fft.fft(x, norm="bad"),
    lambda lib, x: lib.fft.fftn(x, dim=(0, 0)),
    lambda lib, x: lib.fft.fft(x, dim=3),
    lambda lib, x: lib.fft.fftn(x, s=(2, 3, 4)),
    lambda lib, x: lib.fft.fftn(x, s=(2, 3), dim=(0,)),
    lambda lib, x: lib.fft.rfft(lib.complex(x, x)),
    lambda lib, x: lib.fft.ihfft(lib.complex(x, x)),
    lambda lib, x: lib.fft.irfft(x[:, :1]),
    lambda lib, x: lib.fft.fft(x.half()),
    lambda lib, x: lib.fft.fft(x[0, 0]),
    lambda lib, x: lib.fft.fft(x[:, :0]),
    lambda lib, x: lib.fft.fftn(x, s=(0, 2)),
    lambda lib, x: lib.fft.hfft(x, n=-1),
    lambda lib, x: lib.fft.rfftn(x[0, 0]),
    lambda lib, x: lib.fft.ihfftn(x, dim=()),
    lambda lib, x: lib.fft.fftshift(x[0, 0]),
    lambda lib, x: lib.fft.rfft2(x.to(lib.bfloat16)),
])
def test_errors_like_torch(call, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    assert_raises_like_torch(lambda: call(ember, ember.tensor(a)),
                             lambda: call(torch, torch.tensor(a)))


def test_transform_over_no_dims_is_the_identity():
    for e, t in [(ember.fft.fftn(ember.tensor(2.0)), torch.fft.fftn(torch.tensor(2.0))),
                 (ember.fft.ifftn(ember.ones(2, 3), dim=()),
                  torch.fft.ifftn(torch.ones(2, 3), dim=()))]:
        assert_close(e, t)
