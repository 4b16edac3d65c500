"""The Tensor API that isn't math: predicates, layouts and memory formats, the legacy
``new``, ``sum_to_size``, in-place reshapes and resizes, ``fill_diagonal_``, ``cumsum_``,
and the top-level in-place functions, against torch."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_close, assert_raises_like_torch, pair

RNG = np.random.default_rng(0)


def _randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# ----------------------------------------------------------------------------- predicates

@pytest.mark.parametrize("values", [[0.], [2.], [], [1., 2.]])
def test_is_nonzero_like_torch(values):
    e, t = ember.tensor(values), torch.tensor(values)
    if len(values) == 1:
        assert ember.is_nonzero(e) == torch.is_nonzero(t) == e.is_nonzero()
    else:
        with pytest.raises(RuntimeError, match="ambiguous"):
            ember.is_nonzero(e)
        with pytest.raises(RuntimeError, match="ambiguous"):
            torch.is_nonzero(t)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "uint8", "bool",
                                   "complex64"])
def test_is_signed_like_torch(dtype):
    e = ember.zeros(2, dtype=getattr(ember, dtype))
    t = torch.zeros(2, dtype=getattr(torch, dtype))
    assert ember.is_signed(e) == e.is_signed() == torch.is_signed(t)


def test_is_same_size_typename_and_lazy_bits():
    a, b = ember.zeros(2, 3), ember.zeros(3, 2)
    assert ember.is_same_size(a, a) and not a.is_same_size(b)
    assert ember.typename(ember.zeros(2, dtype=ember.int64)) == "ember.LongTensor"
    assert ember.typename(3) == torch.typename(3)
    assert ember.typename(np.zeros(1)) == torch.typename(np.zeros(1))
    c = ember.tensor([1 + 2j])
    assert not c.conj().is_conj() and not ember.is_neg(c.neg())
    assert c.resolve_conj() is c and ember.resolve_neg(c) is c
    assert not ember.is_inference(a) and not a.is_inference()


def test_layout_sparse_pinning_sharing():
    e, t = ember.zeros(2), torch.zeros(2)
    assert e.layout is ember.strided and repr(ember.strided) == "ember.strided"
    assert isinstance(ember.strided, ember.layout)
    assert e.is_sparse is t.is_sparse is False
    assert e.is_pinned() is t.is_pinned() is False
    if not ember.cuda.is_available():
        assert_raises_like_torch(lambda: e.pin_memory(), lambda: t.pin_memory())
    assert not e.is_shared() and e.share_memory_() is e and e.is_shared()


# ----------------------------------------------------------------------------- memory format

def test_memory_format_objects():
    for name in ("contiguous_format", "channels_last", "preserve_format"):
        assert isinstance(getattr(ember, name), ember.memory_format)
        assert repr(getattr(ember, name)) == repr(getattr(torch, name)).replace("torch", "ember")


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 1, 4, 5), (1, 3, 1, 1)])
def test_channels_last_like_torch(shape):
    e, t = pair(_randn(*shape))
    ec = e.contiguous(memory_format=ember.channels_last)
    tc = t.contiguous(memory_format=torch.channels_last)
    assert ec.stride() == tc.stride()
    assert_close(ec, tc)
    for fmt in ("contiguous_format", "channels_last"):
        for x, y in ((e, t), (ec, tc)):
            assert x.is_contiguous(memory_format=getattr(ember, fmt)) == \
                y.is_contiguous(memory_format=getattr(torch, fmt)), fmt
    assert ec.is_contiguous() == tc.is_contiguous()
    assert e.to(memory_format=ember.channels_last).stride() == tc.stride()
    assert ember.empty(*shape, memory_format=ember.channels_last).stride() == \
        torch.empty(*shape, memory_format=torch.channels_last).stride()
    assert ember.empty_like(ec).stride() == torch.empty_like(tc).stride()
    assert ec.clone(memory_format=ember.contiguous_format).stride() == t.stride()
    assert ec.contiguous().stride() == tc.contiguous().stride()


@pytest.mark.parametrize("make", [lambda m, x: x.t(), lambda m, x: x[:, ::2],
                                  lambda m, x: x.reshape(2, 3, 4).permute(2, 0, 1)[1:],
                                  lambda m, x: x.reshape(2, 3, 2, 2).contiguous(
                                      memory_format=m.channels_last)])
def test_clone_preserves_layout_like_torch(make):
    e, t = pair(_randn(4, 6))
    assert make(ember, e).clone().stride() == make(torch, t).clone().stride()
    assert ember.empty_like(make(ember, e)).stride() == torch.empty_like(make(torch, t)).stride()
    x = make(ember, e)
    assert x.to(memory_format=ember.preserve_format) is x
    assert make(ember, e).clone(memory_format=ember.contiguous_format).stride() == \
        make(torch, t).clone(memory_format=torch.contiguous_format).stride()


def test_channels_last_gradient_and_rank_error():
    x = ember.randn(2, 3, 4, 5, requires_grad=True)
    (x.contiguous(memory_format=ember.channels_last) * 2).sum().backward()
    assert ember.equal(x.grad, ember.full((2, 3, 4, 5), 2.))
    assert_raises_like_torch(lambda: ember.zeros(2, 3).contiguous(
        memory_format=ember.channels_last), lambda: torch.zeros(2, 3).contiguous(
        memory_format=torch.channels_last))
    assert not ember.zeros(2, 3).is_contiguous(memory_format=ember.channels_last)


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")  # torch's, not ours
def test_storage_like_torch():
    e, t = pair(_randn(3, 4))
    ev, tv = e[1:, ::2], t[1:, ::2]
    es, ts = ev.storage(), tv.storage()
    assert len(es) == es.size() == ts.size() == 12 and es.element_size() == ts.element_size()
    assert es.data_ptr() == e.storage().data_ptr() == e.data_ptr()
    assert es.tolist() == ts.tolist() and es[5] == ts[5]
    assert es.dtype == ember.float32 and es.nbytes() == ts.nbytes()


# ----------------------------------------------------------------------------- new, sum_to

@pytest.mark.parametrize("args", [(), (2, 3), ([1, 2],), ((2, 3),), ("size",)])
def test_new_like_torch(args):
    e, t = ember.zeros(2, dtype=ember.float64), torch.zeros(2, dtype=torch.float64)
    ea = (ember.Size([2, 3]),) if args == ("size",) else args
    ta = (torch.Size([2, 3]),) if args == ("size",) else args
    en, tn = e.new(*ea), t.new(*ta)
    assert tuple(en.shape) == tuple(tn.shape) and en.dtype == ember.float64
    if args and isinstance(args[0], (list, tuple)):
        assert_close(en, tn)


def test_new_from_tensor():
    e = ember.zeros(2)
    src = ember.ones(3)
    assert ember.equal(e.new(src), src)
    with pytest.raises(TypeError):
        e.new(ember.ones(3, dtype=ember.int64))


@pytest.mark.parametrize("size", [(1, 3), (3,), (2, 1), (1,), (1, 1)])
def test_sum_to_size_like_torch(size):
    e, t = pair(_randn(2, 3), requires_grad=True)
    eo, to = e.sum_to_size(*size), t.sum_to_size(*size)
    assert_close(eo, to)
    g = _randn(*to.shape)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("size", [(4, 3), (1, 2, 3), (3, 2)])
def test_sum_to_size_errors_like_torch(size):
    e, t = pair(_randn(2, 3))
    assert_raises_like_torch(lambda: e.sum_to_size(size), lambda: t.sum_to_size(size))


# ----------------------------------------------------------------------------- in-place shape

RESHAPES = [("unsqueeze_", (0,)), ("unsqueeze_", (-1,)), ("squeeze_", ()), ("squeeze_", (1,)),
            ("t_", ()), ("transpose_", (0, 2)), ("swapaxes_", (1, 0)), ("swapdims_", (0, 1))]


def _shape_for(name):
    return (3, 4) if name == "t_" else (3, 1, 2)


@pytest.mark.parametrize("name,args", RESHAPES)
def test_inplace_reshape_like_torch(name, args):
    e, t = pair(_randn(*_shape_for(name)), requires_grad=True)
    ey, ty = e * 2, t * 2
    assert getattr(ey, name)(*args) is ey
    getattr(ty, name)(*args)
    assert_close(ey, ty)
    assert ey.stride() == ty.stride() and ey._version == ty._version
    g = _randn(*ty.shape)
    (ey * ember.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("name,args", RESHAPES)
def test_inplace_reshape_of_leaf_requiring_grad_raises(name, args):
    e, t = pair(_randn(*_shape_for(name)), requires_grad=True)
    assert_raises_like_torch(lambda: getattr(e, name)(*args), lambda: getattr(t, name)(*args))


def test_inplace_reshape_of_view_shares_memory_and_version():
    base = ember.zeros(2, 3)
    row = base[0]
    row.unsqueeze_(0)
    assert row.shape == (1, 3) and row._base is base and base._version == 1
    row.fill_(5)
    assert ember.equal(base[0], ember.full((3,), 5.))
    assert_raises_like_torch(lambda: ember.zeros(2, 3, 4).t_(), lambda: torch.zeros(2, 3, 4).t_())


@pytest.mark.parametrize("new_shape", [(6,), (3, 2), (2, 2), (4, 3), (0,)])
def test_resize_like_torch(new_shape):
    e = ember.arange(6.).reshape(2, 3)
    t = torch.arange(6.).reshape(2, 3)
    assert e.resize_(*new_shape) is e
    t.resize_(*new_shape)
    assert tuple(e.shape) == tuple(t.shape) and e._version == t._version
    kept = min(6, int(np.prod(new_shape)))
    assert_close(e.reshape(-1)[:kept], t.reshape(-1)[:kept])


def test_resize_as_and_errors_like_torch():
    e = ember.zeros(3).resize_as_(ember.zeros(2, 2))
    assert e.shape == (2, 2)
    assert ember.resize_as_(ember.zeros(1), ember.zeros(3)).shape == (3,)
    e, t = pair(_randn(3), requires_grad=True)
    assert_raises_like_torch(lambda: e.resize_(2), lambda: t.resize_(2))
    assert_raises_like_torch(lambda: (e * 1).resize_(2), lambda: (t * 1).resize_(2))


# ----------------------------------------------------------------------------- fill_diagonal_

@pytest.mark.parametrize("shape,wrap", [((3, 4), False), ((7, 3), True), ((7, 3), False),
                                        ((3, 3, 3), False), ((4, 2), True)])
def test_fill_diagonal_like_torch(shape, wrap):
    e, t = pair(_randn(*shape), requires_grad=True)
    ey, ty = e * 1, t * 1
    assert ey.fill_diagonal_(2.5, wrap=wrap) is ey
    ty.fill_diagonal_(2.5, wrap=wrap)
    assert_close(ey, ty)
    ey.sum().backward()
    ty.sum().backward()
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("shape", [(3,), (3, 3, 2)])
def test_fill_diagonal_errors_like_torch(shape):
    assert_raises_like_torch(lambda: ember.zeros(*shape).fill_diagonal_(1),
                             lambda: torch.zeros(*shape).fill_diagonal_(1))


# ----------------------------------------------------------------------------- cumsum_, cumprod_

@pytest.mark.parametrize("name", ["cumsum_", "cumprod_"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative_inplace_like_torch(name, dim):
    e, t = pair(_randn(3, 4), requires_grad=True)
    ey, ty = e * 1, t * 1
    assert getattr(ey, name)(dim) is ey
    getattr(ty, name)(dim)
    assert_close(ey, ty)
    assert ey._version == ty._version
    ey.sum().backward()
    ty.sum().backward()
    assert_close(e.grad, t.grad)


def test_cumsum_inplace_on_ints():
    e, t = ember.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    assert_close(e.cumsum_(0), t.cumsum_(0))


# ----------------------------------------------------------------------------- top-level in place

def test_every_torch_inplace_function_with_an_ember_method_is_exported():
    names = [n for n in dir(torch) if n.endswith("_") and not n.startswith("_")
             and hasattr(torch.Tensor, n)]
    missing = [n for n in names if hasattr(ember.Tensor, n) and not hasattr(ember, n)]
    assert not missing


@pytest.mark.parametrize("name,args,kwargs", [
    ("relu_", (), {}), ("sigmoid_", (), {}), ("tanh_", (), {}), ("exp_", (), {}),
    ("abs_", (), {}), ("clamp_", (), {"min": -0.5, "max": 0.5}), ("zero_", (), {}),
    ("fill_", (3.0,), {}), ("neg_", (), {}), ("square_", (), {})])
def test_top_level_inplace_functions_like_torch(name, args, kwargs):
    e, t = pair(_randn(3, 4))
    out = getattr(ember, name)(e, *args, **kwargs)
    getattr(torch, name)(t, *args, **kwargs)
    assert out is e and e._version == 1
    assert_close(e, t)
