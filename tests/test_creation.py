"""Making tensors, against torch: dtype inference, fills, ranges, memory sharing, new_*."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch

DATA = [
    3, 2.5, True, 1 + 2j, [], [1, 2, 3], [1.0, 2], [True, False], [[1, 2], [3, 4]],
    [[1.5, 2], [3, 4]], [1, 2.5j], (1, 2), [[True, 1], [0, 1]], [[[1.0]]], [1e40, 1e-40],
]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_infers_dtype_like_torch(data):
    assert_close(ember.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64",
                                   "float16", "float32", "float64", "complex64", "complex128"])
def test_tensor_from_numpy_keeps_its_dtype(dtype, rng):
    a = (rng.standard_normal((2, 3)) * 4).astype(dtype)
    assert_close(ember.tensor(a), torch.tensor(a))
    assert_close(ember.tensor([1, 2], dtype=getattr(ember, dtype)),
                 torch.tensor([1, 2], dtype=getattr(torch, dtype)))


def test_tensor_copies_and_from_numpy_shares():
    a = np.zeros(3, dtype=np.float32)
    copied, shared = ember.tensor(a), ember.from_numpy(a)
    a[0] = 7
    assert copied.numpy()[0] == 0 and shared.numpy()[0] == 7
    shared.numpy()[1] = 5
    assert a[1] == 5


def test_as_tensor_and_asarray_share_when_they_can():
    a = np.arange(4.0)
    assert np.shares_memory(ember.as_tensor(a).numpy(), a)
    assert np.shares_memory(ember.asarray(a).numpy(), a)
    assert not np.shares_memory(ember.as_tensor(a, dtype=ember.float32).numpy(), a)
    assert not np.shares_memory(ember.asarray(a, copy=True).numpy(), a)
    t = ember.ones(2)
    assert ember.as_tensor(t) is t
    assert ember.asarray([1, 2], requires_grad=False).dtype is ember.int64
    assert ember.asarray([1.0, 2.0], requires_grad=True).requires_grad


@pytest.mark.parametrize("make,kwargs", [
    (lambda lib: np.ones(3), {"dtype": "float32"}),
    (lambda lib: [1, 2], {}),
    (lambda lib: lib.ones(3), {"dtype": "int64"}),
])
def test_asarray_without_copy_refuses_what_it_cannot_share(make, kwargs):
    def call(lib):
        extra = {k: getattr(lib, v) for k, v in kwargs.items()}
        return lib.asarray(make(lib), copy=False, **extra)
    assert_raises_like_torch(lambda: call(ember), lambda: call(torch))


def test_asarray_without_copy_shares():
    a = np.arange(3.0)
    assert np.shares_memory(ember.asarray(a, copy=False).numpy(), a)
    t = ember.ones(2)
    assert ember.asarray(t, copy=False, dtype=ember.float32) is t


def test_tensor_of_tensors_and_tensor_of_tensor():
    assert_close(ember.tensor([ember.tensor(1.), ember.tensor(2.)]), torch.tensor([1., 2.]))
    src = ember.tensor([1.0, 2.0], requires_grad=True)
    out = ember.tensor(src.detach())
    assert not out.requires_grad and not np.shares_memory(out.numpy(), src.detach().numpy())


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_fills_match_torch(fn):
    for args, kwargs in [((2, 3), {}), (((2, 3),), {}), (([4],), {}), (((),), {}),
                         ((2,), {"dtype": "int32"}), ((0, 3), {"dtype": "bool"})]:
        kw = {k: getattr(ember, v) for k, v in kwargs.items()}
        tk = {k: getattr(torch, v) for k, v in kwargs.items()}
        e, t = getattr(ember, fn)(*args, **kw), getattr(torch, fn)(*args, **tk)
        if fn == "empty":
            assert e.shape == t.shape and e.dtype.name == str(t.dtype)[6:]
        else:
            assert_close(e, t)
    x = getattr(ember, fn)(2, requires_grad=True)
    assert x.requires_grad and x.is_leaf


def test_full_takes_dtype_from_the_value():
    for value in (2, 2.5, True, 1j):
        assert_close(ember.full((2, 2), value), torch.full((2, 2), value))
    assert_close(ember.full([3], 7, dtype=ember.float64), torch.full([3], 7, dtype=torch.float64))


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like", "rand_like"])
def test_like_functions_keep_dtype_and_shape(fn):
    x = ember.zeros(2, 3, dtype=ember.float64)
    out = getattr(ember, fn)(x)
    assert out.shape == (2, 3) and out.dtype is ember.float64
    assert getattr(ember, fn)(x, dtype=ember.float32).dtype is ember.float32
    assert getattr(ember, fn)(x, requires_grad=True).requires_grad
    assert_close(ember.full_like(x, 3), torch.full_like(torch.zeros(2, 3, dtype=torch.float64), 3))


def test_new_methods_follow_torch():
    for dtype in ("float32", "int32", "float64"):
        e, t = ember.ones(2, dtype=getattr(ember, dtype)), torch.ones(2, dtype=getattr(torch, dtype))
        assert_close(e.new_tensor([1, 2]), t.new_tensor([1, 2]))
        assert_close(e.new_zeros(2, 3), t.new_zeros(2, 3))
        assert_close(e.new_zeros((2, 3)), t.new_zeros((2, 3)))
        assert_close(e.new_ones(4), t.new_ones(4))
        assert_close(e.new_full((2,), 3), t.new_full((2,), 3))
        assert e.new_empty(5).shape == (5,) and e.new_empty(5).dtype is e.dtype
        assert_close(e.new_zeros(2, dtype=ember.int8), t.new_zeros(2, dtype=torch.int8))
        assert e.new_empty_strided((2, 3), (1, 2)).stride() == (1, 2)
    assert ember.ones(1).new_ones(2, requires_grad=True).requires_grad


ARANGES = [(5,), (2, 9), (0, 10, 3), (1, 2.5, 0.3), (0, 1, 0.1), (-1, 1, 0.25), (10, 0, -3),
           (0.5,), (1, 1), (0, -1, -0.1), (3.0, 7), (0, 1e-3, 1e-4)]


@pytest.mark.parametrize("args", ARANGES, ids=repr)
def test_arange_matches_torch(args):
    assert_close(ember.arange(*args), torch.arange(*args))
    assert_close(ember.arange(*args, dtype=ember.float64), torch.arange(*args, dtype=torch.float64))


def test_arange_errors_like_torch():
    for args in [(0, 5, 0), (0, 5, -1), (5, 0, 1)]:
        assert_raises_like_torch(lambda: ember.arange(*args), lambda: torch.arange(*args))


@pytest.mark.parametrize("args", [(0, 1, 5), (-1, 1, 4), (0, 10, 1), (2, 2, 3), (5, -5, 7),
                                  (0, 1, 0)], ids=repr)
def test_linspace_and_logspace_match_torch(args):
    assert_close(ember.linspace(*args), torch.linspace(*args))
    for d in ("int64", "int32", "float64"):
        assert_close(ember.linspace(*args, dtype=getattr(ember, d)),
                     torch.linspace(*args, dtype=getattr(torch, d)))
    assert_close(ember.logspace(*args), torch.logspace(*args), rtol=1e-6)
    assert_close(ember.logspace(*args, base=2), torch.logspace(*args, base=2), rtol=1e-6)


def test_eye_matches_torch():
    assert_close(ember.eye(3), torch.eye(3))
    assert_close(ember.eye(2, 4), torch.eye(2, 4))
    assert_close(ember.eye(3, dtype=ember.int64), torch.eye(3, dtype=torch.int64))


def test_legacy_constructor():
    assert_close(ember.Tensor([1, 2]), torch.Tensor([1, 2]))
    assert ember.Tensor(2, 3).shape == (2, 3) and ember.Tensor(2, 3).dtype is ember.float32
    assert ember.Tensor().shape == (0,) == tuple(torch.Tensor().shape)
    assert isinstance(ember.tensor(1), ember.Tensor)


def test_empty_strided_and_scalar_tensor():
    e, t = ember.empty_strided((2, 3), (1, 2)), torch.empty_strided((2, 3), (1, 2))
    assert e.shape == t.shape and e.stride() == t.stride()
    assert_close(ember.scalar_tensor(3), torch.scalar_tensor(3))
    assert_close(ember.scalar_tensor(True, dtype=ember.bool), torch.scalar_tensor(True,
                                                                                 dtype=torch.bool))


def test_predicates_and_numel():
    x = ember.zeros(2, 3)
    assert ember.is_tensor(x) and not ember.is_tensor(np.zeros(2))
    assert ember.numel(x) == 6
    assert ember.is_floating_point(x) and not ember.is_floating_point(ember.zeros(2, dtype=ember.int64))
    assert ember.is_complex(ember.zeros(2, dtype=ember.complex64)) and not ember.is_complex(x)


def test_creation_errors_match_torch():
    cases = [
        lambda m: m.zeros(-1),
        lambda m: m.tensor([1, 2], requires_grad=True),
        lambda m: m.zeros(2, dtype=m.int64, requires_grad=True),
        lambda m: m.tensor([[1, 2], [3]]),
        lambda m: m.tensor("abc"),
        lambda m: m.from_numpy([1, 2]),
        lambda m: m.from_numpy(np.array(["a"])),
        lambda m: m.empty_strided((2, 3), (1,)),
        lambda m: m.full((2,), 1.5).new_full((2,), 1, requires_grad=True, dtype=m.int64),
    ]
    for case in cases:
        assert_raises_like_torch(lambda: case(ember), lambda: case(torch))


@pytest.mark.parametrize("fn", ["complex", "polar"])
def test_complex_builders_match_torch_with_complex_gradients(fn, rng):
    a, b = rng.uniform(0.1, 2.0, (3, 2)), rng.standard_normal((3, 2))
    g = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    grads = []
    for m in (ember, torch):
        x, y = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
        out = getattr(m, fn)(x, y)
        out.backward(m.tensor(g))
        grads.append((out, x.grad, y.grad))
    for e, t in zip(*grads):
        assert_close(e, t)


def test_complex_builder_errors_match_torch():
    for case in (lambda m: m.complex(m.ones(2, dtype=m.int64), m.ones(2, dtype=m.int64)),
                 lambda m: m.complex(m.ones(2), m.ones(2, dtype=m.float64)),
                 lambda m: m.polar(m.ones(2), m.ones(3))):
        assert_raises_like_torch(lambda: case(ember), lambda: case(torch))


def test_factories_write_into_out_like_torch():
    cases = [
        lambda m, o: m.zeros(2, 3, out=o), lambda m, o: m.ones(4, out=o),
        lambda m, o: m.full((2,), 7, out=o), lambda m, o: m.arange(5, out=o),
        lambda m, o: m.linspace(0, 1, 3, out=o), lambda m, o: m.eye(2, out=o),
        lambda m, o: m.logspace(0, 2, 3, out=o),
    ]
    for dtype in ("float64", "int32"):
        for case in cases:
            e_out = ember.zeros(6, dtype=getattr(ember, dtype))
            t_out = torch.zeros(6, dtype=getattr(torch, dtype))
            e, t = case(ember, e_out), case(torch, t_out)
            assert e is e_out
            assert_close(e, t)
    out = ember.zeros(3)
    v = out._version
    assert ember.rand(3, out=out) is out and out._version == v + 1
    assert ember.randint(0, 4, (5,), out=ember.zeros(1, dtype=ember.int64)).shape == (5,)
    assert_raises_like_torch(lambda: ember.zeros(2, out=ember.zeros(2, requires_grad=True)),
                             lambda: torch.zeros(2, out=torch.zeros(2, requires_grad=True)))
