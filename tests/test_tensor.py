"""The Tensor object itself: properties, conversions, Python protocols, repr, pickling."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch


def pair(data, **kwargs):
    return ember.tensor(data, **kwargs), torch.tensor(data, **kwargs)


def test_shape_and_size_queries_match_torch():
    e, t = ember.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    assert e.shape == t.shape and e.size() == t.size() and isinstance(e.shape, tuple)
    assert e.size(1) == t.size(1) and e.size(-1) == t.size(-1)
    assert e.dim() == e.ndim == e.ndimension() == 3
    assert e.numel() == e.nelement() == 24
    assert e.stride() == t.stride() and e.stride(0) == t.stride(0)
    assert repr(e.shape) == repr(t.shape).replace("torch", "ember")
    assert e.shape[1:] == (3, 4) and isinstance(e.shape[1:], ember.Size)
    assert ember.Size([2, 3]).numel() == 6
    assert_raises_like_torch(lambda: e.size(3), lambda: t.size(3))


def test_item_tolist_and_python_numbers():
    for data in (2.5, 3, True, [[1, 2], [3, 4]], [1.5, -2.0], []):
        e, t = pair(data)
        assert e.tolist() == t.tolist()
    e, t = pair([7.5])
    assert e.item() == t.item() and float(e) == 7.5 and int(e) == 7
    assert type(ember.tensor(3).item()) is int and type(ember.tensor(True).item()) is bool
    assert complex(ember.tensor(1 + 2j)) == 1 + 2j
    assert [10, 20, 30][ember.tensor(1)] == 20
    assert_raises_like_torch(lambda: ember.ones(2).item(), lambda: torch.ones(2).item())
    assert_raises_like_torch(lambda: [1][ember.tensor(0.5)], lambda: [1][torch.tensor(0.5)])


def test_numpy_shares_memory_and_refuses_grad():
    x = ember.zeros(3)
    a = x.numpy()
    a[0] = 5
    assert x.tolist()[0] == 5
    assert np.asarray(x).dtype == np.float32
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    needs = ember.zeros(2, requires_grad=True)
    assert_raises_like_torch(lambda: needs.numpy(), lambda: torch.zeros(2, requires_grad=True).numpy())
    assert needs.detach().numpy().shape == (2,)
    assert needs.numpy(force=True).shape == (2,)


def test_len_bool_and_iteration():
    e, t = pair([[1, 2], [3, 4], [5, 6]])
    assert len(e) == len(t) == 3
    assert bool(ember.tensor([0.0])) is False and bool(ember.tensor(2)) is True
    assert_raises_like_torch(lambda: bool(ember.ones(2)), lambda: bool(torch.ones(2)))
    assert_raises_like_torch(lambda: len(ember.tensor(1)), lambda: len(torch.tensor(1)))
    assert [r.tolist() for r in e] == [r.tolist() for r in t]
    assert_raises_like_torch(lambda: iter(ember.tensor(1)), lambda: iter(torch.tensor(1)))


def test_dlpack_round_trips_with_numpy_and_torch():
    x = ember.arange(6.0).reshape(2, 3)
    from_torch = ember.from_dlpack(torch.arange(4.0))
    assert_close(from_torch, torch.arange(4.0))
    t = torch.from_dlpack(x)
    assert_close(x, t)
    t[0, 0] = 42  # torch sees the same memory
    assert x.tolist()[0][0] == 42
    a = np.arange(3.0)
    shared = ember.from_dlpack(a)
    a[1] = -1
    assert shared.tolist() == [0.0, -1.0, 2.0]
    assert np.from_dlpack(x).shape == (2, 3)
    assert x.__dlpack_device__()[0] == 1  # kDLCPU


@pytest.mark.parametrize("form", [
    lambda m, x: x.to(m.float64), lambda m, x: x.to("cpu"), lambda m, x: x.to("cpu", m.int32),
    lambda m, x: x.to(m.device("cpu"), dtype=m.float16), lambda m, x: x.to(dtype=m.int64),
    lambda m, x: x.to(m.zeros(1, dtype=m.float64)), lambda m, x: x.to(m.float64, False, True),
    lambda m, x: x.to(torch_or_ember_float(m)), lambda m, x: x.cpu(), lambda m, x: x.float(),
    lambda m, x: x.double(), lambda m, x: x.long(), lambda m, x: x.int(), lambda m, x: x.bool(),
    lambda m, x: x.half(), lambda m, x: x.short(), lambda m, x: x.char(), lambda m, x: x.byte(),
    lambda m, x: x.type(m.float64), lambda m, x: x.type("torch.IntTensor"),
    lambda m, x: x.type_as(m.zeros(1, dtype=m.int16)), lambda m, x: x.bfloat16().float(),
    lambda m, x: x.cdouble(),
])
def test_to_and_casts_match_torch(form):
    data = np.array([[1.5, -2.25], [0.0, 3.0]], dtype=np.float32)
    assert_close(form(ember, ember.tensor(data)), form(torch, torch.tensor(data)))


def torch_or_ember_float(m):
    return float


def test_to_returns_self_unless_it_must_copy():
    x = ember.zeros(2)
    assert x.to(ember.float32) is x and x.to("cpu") is x and x.cpu() is x
    assert x.to(ember.float32, copy=True) is not x
    assert x.type() == "ember.FloatTensor" and ember.zeros(1, dtype=ember.int64).type() == \
        "ember.LongTensor"
    with pytest.raises(ValueError):
        x.type("torch.NoSuchTensor")


def test_memory_queries():
    x = ember.zeros(3, 4, dtype=ember.float64)
    assert x.element_size() == torch.zeros(1, dtype=torch.float64).element_size() == 8
    assert x.data_ptr() == x.numpy().__array_interface__["data"][0]
    assert x.nbytes == 96 and x.itemsize == 8
    assert x.is_contiguous() and x.is_cpu and not x.is_cuda
    assert x.device == ember.device("cpu") and x.get_device() == -1


def test_clone_copies_and_detach_shares():
    x = ember.ones(3, requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.detach().numpy())
    assert d._version == x._version
    d.zero_()
    assert x._version == d._version == 1 and x.tolist() == [0.0, 0.0, 0.0]
    y = x * 2
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


def test_copy_fill_zero_in_place():
    e = ember.zeros(2, 3)
    t = torch.zeros(2, 3)
    for m, x in ((ember, e), (torch, t)):
        x.copy_(m.tensor([1, 2, 3]))
    assert_close(e, t)
    e.fill_(ember.tensor(2.5))
    assert e.tolist() == [[2.5] * 3] * 2
    v = e._version
    e.zero_()
    assert e._version == v + 1 and not e.numpy().any()
    i = ember.zeros(2, dtype=ember.int64).fill_(2.7)
    assert i.tolist() == torch.zeros(2, dtype=torch.int64).fill_(2.7).tolist()
    cases = [lambda m: m.zeros(2).fill_(m.ones(2)),
             lambda m: m.zeros(2, 3).copy_(m.ones(4)),
             lambda m: m.zeros(2, requires_grad=True).fill_(1),
             lambda m: m.zeros(2, requires_grad=True).copy_(m.ones(2)),
             lambda m: m.zeros(2, requires_grad=True).zero_()]
    for case in cases:
        assert_raises_like_torch(lambda: case(ember), lambda: case(torch))


def test_copy_sends_gradient_to_its_source():
    src = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    dst = ember.zeros(3, 2, requires_grad=True)
    out = dst.clone()
    out.copy_(src)
    assert out.dtype is ember.float32 and out.grad_fn is not None
    (out * ember.tensor([[1.0, 2.0]])).sum().backward()
    assert src.grad.dtype is ember.float64 and src.grad.tolist() == [3.0, 6.0]
    assert dst.grad.tolist() == [[0.0, 0.0]] * 3


def test_requires_grad_flags():
    x = ember.zeros(2)
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    x.requires_grad = False
    assert not x.requires_grad
    y = ember.ones(2, requires_grad=True) * 2
    assert not y.is_leaf
    assert_raises_like_torch(lambda: y.requires_grad_(False),
                             lambda: (torch.ones(2, requires_grad=True) * 2).requires_grad_(False))
    assert_raises_like_torch(lambda: ember.zeros(2, dtype=ember.int64).requires_grad_(),
                             lambda: torch.zeros(2, dtype=torch.int64).requires_grad_())


def test_grad_assignment_is_checked_like_torch():
    x = ember.zeros(2, 3, requires_grad=True)
    x.grad = ember.ones(2, 3)
    assert x.grad.tolist() == [[1.0] * 3] * 2
    del x.grad
    assert x.grad is None
    for bad in (lambda m: m.ones(3), lambda m: m.ones(2, 3, dtype=m.float64),
                lambda m: [1, 2]):
        def assign(m, bad=bad):
            x = m.zeros(2, 3, requires_grad=True)
            x.grad = bad(m)
        assert_raises_like_torch(lambda: assign(ember), lambda: assign(torch))


def test_apply_and_map_in_place():
    e, t = pair([[1.0, 2.0], [3.0, 4.0]])
    assert_close(e.apply_(lambda v: v * v + 1), t.apply_(lambda v: v * v + 1))
    assert_close(e.map_(ember.tensor([1.0, -1.0]), lambda a, b: a * b),
                 t.map_(torch.tensor([1.0, -1.0]), lambda a, b: a * b))
    assert_raises_like_torch(lambda: ember.zeros(2, requires_grad=True).apply_(abs),
                             lambda: torch.zeros(2, requires_grad=True).apply_(abs))


REPRS = [
    "[1, 2, 3]", "[1., 2., 3.]", "[1.5, 2.25]", "[[1., 2.], [3., 4.]]", "3.", "3", "True",
    "[True, False]", "[1e-5, 1.]", "[1e10, 1.]", "[123456789., 1.]", "[0.1, 100000.]",
    "[float('nan'), 1.]", "[float('inf'), -1.5]", "[]", "[[]]", "[1e-10]", "[-1., 0.]",
    "[0., 0.]", "1e20", "[1.5e-3, 2e-3]", "[12345.678]", "[1+2j, 3-1j]", "[1.5+2j]", "[-0.]",
    "[[1,2],[3,4]], dtype=M.int32", "[1.,2.], dtype=M.float64", "[1.,2.], dtype=M.float16",
    "[1, 2], dtype=M.uint8", "[1.,2.], requires_grad=True", "[1., 2.], dtype=M.bfloat16",
    "np.arange(2000.).reshape(40, 50)", "np.arange(1001)", "np.arange(30.).reshape(2,3,5)",
    "np.linspace(0, 1, 17)", "np.arange(5000).reshape(10,10,50)", "[1e-4, 1.]", "[9.99e-5, 1.]",
    "[1000., 1.5]", "[1001., 1.]", "[99999999., 1.5]", "np.random.RandomState(0).randn(8, 9)",
    "np.random.RandomState(1).randn(3, 200)", "[[1e-8, 1e8]]", "[0.1, 0.2], dtype=M.float64",
    "[-1, 10, -100]", "np.zeros((0, 3))", "np.zeros((2, 0))", "[], dtype=M.int64", "[1j]",
    "[1e300], dtype=M.float64", "3.5, dtype=M.float64", "np.arange(12.).reshape(2, 3, 2) - 5",
    "[1, 2], dtype=M.int8, requires_grad=False", "[[True, False]] * 400",
    "np.random.RandomState(2).randn(60) * 1e5", "[1+1j, float('nan')]",
]


@pytest.mark.parametrize("expr", REPRS)
def test_repr_matches_torch(expr):
    e = eval(f"ember.tensor({expr.replace('M.', 'ember.')})")
    t = eval(f"torch.tensor({expr.replace('M.', 'torch.')})")
    assert repr(e).replace("ember", "torch") == repr(t)
    assert str(e) == repr(e)


def test_repr_shows_grad_fn_and_print_options():
    e, t = pair([1.0, 2.0], requires_grad=True)
    assert repr(e * 2).replace("ember", "torch") == repr(t * 2)
    assert repr(e + e).replace("ember", "torch") == repr(t + t)
    ember.set_printoptions(precision=2)
    torch.set_printoptions(precision=2)
    try:
        assert repr(ember.tensor([1.23456])) == repr(torch.tensor([1.23456]))
    finally:
        ember.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(ember.tensor([1.23456])) == "tensor([1.2346])"


def test_format_follows_torch():
    for fmt in ("{}", "{:.3f}", "{:>8}", "{:e}"):
        assert fmt.format(ember.tensor(2.5)) == fmt.format(torch.tensor(2.5))
    assert "{}".format(ember.ones(2)) == repr(ember.ones(2))
    assert_raises_like_torch(lambda: f"{ember.ones(2):.2f}", lambda: f"{torch.ones(2):.2f}")


def test_pickle_and_deepcopy():
    x = ember.tensor([[1.0, 2.0]], requires_grad=True)
    for y in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x)):
        assert y.tolist() == x.tolist() and y.requires_grad and y.is_leaf
        assert not np.shares_memory(y.detach().numpy(), x.detach().numpy())
    x.grad = ember.ones(1, 2)
    assert copy.deepcopy(x).grad.tolist() == [[1.0, 1.0]]
    i = pickle.loads(pickle.dumps(ember.arange(3, dtype=ember.int16)))
    assert i.dtype is ember.int16 and i.tolist() == [0, 1, 2]
    assert_raises_like_torch(lambda: copy.deepcopy(ember.ones(1, requires_grad=True) * 2),
                             lambda: copy.deepcopy(torch.ones(1, requires_grad=True) * 2))
