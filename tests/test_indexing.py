"""``x[key]`` and ``x[key] = value`` against PyTorch: values, gradients, views, errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st, HealthCheck
from hypothesis.extra import numpy as hnp

import ember

from .helpers import assert_close, assert_raises_like_torch

SHAPE = (4, 5, 6)
I = np.array  # index arrays in the table below become int/bool tensors of each library

KEYS = [
    0, -1, 3, slice(None), slice(1, 3), slice(None, None, 2), slice(-3, None), slice(5, 9),
    (1, 2), (1, 2, 3), (-1, slice(None), 0), (Ellipsis, 2), (1, Ellipsis), (None,),
    (None, 1, None, slice(2, 4)), (slice(None), None, Ellipsis, None), (Ellipsis,), (),
    True, False, (0, True),
    [0, 2, 2], [[0, 1], [3, 3]], [], (slice(None), [4, 0, 4]), ([0, 1], [2, 3]),
    ([[0], [3]], slice(1, 3), [1, 5]), ([0, 1], slice(None), [2, 3]),
    (slice(None), [0, 1], [2, 3]), (1, slice(None), [0, 0, 5]), ([3, 0], 2),
    (Ellipsis, [1, 0]), (None, [1, 2], None), I([1, 3]), I([[2, 1], [0, 0]]),
    I(1), (slice(None), I([True, False, True, True, False])),
    I([True, False, False, True]), (I([1, 2]), Ellipsis, I([0, 5])),
    (0, np.eye(5, 6, dtype=bool)), (slice(None), 2, np.array([True] * 5 + [False])),
    [0, slice(None)],
]


def _key_for(lib, key):
    """The same key with NumPy index arrays turned into tensors of ``lib``."""
    if isinstance(key, np.ndarray):
        return lib.from_numpy(key.astype(np.int64) if key.dtype.kind == "i" else key)
    if isinstance(key, tuple):
        return tuple(_key_for(lib, k) for k in key)
    return key


def _pair(shape=SHAPE, requires_grad=True, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return (ember.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


@pytest.mark.parametrize("key", KEYS, ids=[repr(k)[:40] for k in KEYS])
def test_getitem_values_gradients_and_views_match_torch(key):
    e, t = _pair()
    ye, yt = e[_key_for(ember, key)], t[_key_for(torch, key)]
    assert_close(ye, yt)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(e.grad, t.grad)
    # basic indexing gives a view (sharing memory and version), advanced indexing a copy
    e2, t2 = _pair(requires_grad=False)
    ve, vt = e2[_key_for(ember, key)], t2[_key_for(torch, key)]
    assert (ve._base is e2) == (vt._base is t2)


# (x[False] = v is a no-op whose history PyTorch mishandles: not compared)
SET_KEYS = [k for k in KEYS if k is not False]


@pytest.mark.parametrize("key", SET_KEYS, ids=[repr(k)[:40] for k in SET_KEYS])
def test_setitem_gradients_match_torch(key):
    e, t = _pair()
    shape = tuple(t[_key_for(torch, key)].shape)
    v = np.random.default_rng(2).standard_normal(shape[1:] if shape else ())
    ve, vt = ember.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    ye, yt = e * 2, t * 2
    ye[_key_for(ember, key)] = ve * 3
    yt[_key_for(torch, key)] = vt * 3
    assert_close(ye, yt)
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    assert_close(e.grad, t.grad)
    assert_close(ve.grad, vt.grad)


def test_repeated_indices_accumulate_gradients():
    e, t = _pair((5,))
    idx = [0, 0, 3, 0, 3]
    (e[idx] * ember.arange(5.)).sum().backward()
    (t[idx] * torch.arange(5.)).sum().backward()
    assert_close(e.grad, t.grad)


def test_getitem_double_backward_matches_torch():
    e, t = _pair((4, 3))
    ge, = ember.autograd.grad((e[[0, 0, 2]] ** 3).sum(), e, create_graph=True)
    gt, = torch.autograd.grad((t[[0, 0, 2]] ** 3).sum(), t, create_graph=True)
    ge[1:, ::2].sum().backward()
    gt[1:, ::2].sum().backward()
    assert_close(e.grad, t.grad)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_basic_and_array_indices_match_torch(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    if data.draw(st.booleans()):
        key = data.draw(hnp.basic_indices(shape, allow_newaxis=True))
        steps = [k.step for k in (key if isinstance(key, tuple) else (key,))
                 if isinstance(k, slice)]
        if any(s is not None and s < 0 for s in steps):
            return  # PyTorch refuses negative steps (tested below)
    else:
        key = data.draw(hnp.integer_array_indices(shape))
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = e[_key_for(ember, key)], t[_key_for(torch, key)]
    assert_close(ye, yt)
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    assert_close(e.grad, t.grad)


# ----------------------------------------------------------------------------- memory


def test_basic_index_is_a_view_sharing_memory_and_version():
    x = ember.zeros(3, 4)
    row = x[1]
    col = x[:, 2]
    row[0] = 5.0
    assert x[1, 0].item() == 5.0
    col.add_(1)
    assert x[0, 2].item() == 1.0 and row[2].item() == 1.0
    assert row._version == col._version == x._version == 2
    scalar = x[1, 0]
    assert scalar.shape == () and scalar._base is x


def test_advanced_index_is_a_copy():
    x = ember.zeros(3, 4)
    y = x[[0, 1]]
    y[0, 0] = 7.0
    assert x[0, 0].item() == 0.0
    assert x._version == 0


def test_setitem_without_grad_writes_in_place():
    x = ember.zeros(3, 4)
    ptr = x.data_ptr()
    x[1:, [0, 3]] = ember.tensor([1.0, 2.0])
    x[0] = 4
    expected = torch.zeros(3, 4)
    expected[1:, [0, 3]] = torch.tensor([1.0, 2.0])
    expected[0] = 4
    assert_close(x, expected)
    assert x.data_ptr() == ptr and x._version == 2


def test_setitem_casts_the_value_like_torch():
    xe, xt = ember.zeros(3, dtype=ember.int64), torch.zeros(3, dtype=torch.int64)
    xe[0], xt[0] = 2.7, 2.7
    xe[1:] = ember.tensor([1.9, -1.9])
    xt[1:] = torch.tensor([1.9, -1.9])
    assert_close(xe, xt)


def test_mask_index_picks_and_writes_like_torch():
    a = np.random.default_rng(3).standard_normal((4, 5))
    e, t = ember.tensor(a), torch.tensor(a)
    mask = a > 0
    assert_close(e[ember.from_numpy(mask)], t[torch.from_numpy(mask)])
    e[ember.from_numpy(mask)] = 0.0
    t[torch.from_numpy(mask)] = 0.0
    assert_close(e, t)


# ----------------------------------------------------------------------------- errors


def test_out_of_range_index_names_the_dimension_and_size():
    x = ember.zeros(3, 4)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[5]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[[0, 5]]
    with pytest.raises(IndexError, match="out of bounds for dimension 1 with size 4"):
        x[:, -5]


@pytest.mark.parametrize("key", [
    slice(None, None, -1), (slice(None), slice(3, 0, -2)), 1.5, (0, 0, 0),
    "a", slice(None, None, 0),
])
def test_bad_keys_raise_like_torch(key):
    x = np.zeros((3, 4))
    assert_raises_like_torch(lambda: ember.tensor(x)[key], lambda: torch.tensor(x)[key])


def test_negative_step_message():
    with pytest.raises(ValueError, match="step must be greater than zero"):
        ember.zeros(3)[::-1]


@pytest.mark.parametrize("dtype", ["float32", "int16", "int8"])
def test_index_tensor_dtypes_are_checked(dtype):
    x = np.zeros((3, 4))
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or "
                                         "bool tensors"):
        ember.tensor(x)[ember.tensor([0, 1], dtype=getattr(ember, dtype))]
    def index_with(lib):
        return lib.tensor(x)[lib.tensor([0], dtype=getattr(lib, dtype))]
    assert_raises_like_torch(lambda: index_with(ember), lambda: index_with(torch))


def test_mask_shape_mismatch():
    x = np.zeros((3, 4))
    with pytest.raises(IndexError, match=r"shape of the mask \[2\] at index 0 does not match"):
        ember.tensor(x)[ember.tensor([True, False])]


def test_zero_dim_index_and_too_many_indices():
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        ember.tensor(1.0)[0]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        ember.zeros(2, 3)[0, 0, 0]


@pytest.mark.parametrize("key,value_shape", [(0, (3,)), ([0, 1], (3,)), ((slice(None), 1), (4,))])
def test_setitem_shape_mismatch_raises_like_torch(key, value_shape):
    def run(lib):
        x = lib.zeros(3, 4)
        x[key] = lib.ones(value_shape)
    assert_raises_like_torch(lambda: run(ember), lambda: run(torch))
    with pytest.raises(RuntimeError, match=r"shape mismatch|must match"):
        run(ember)


# ----------------------------------------------------------------------------- index ops

def _x(lib):
    return lib.tensor(np.arange(12.0).reshape(3, 4))


def _i(lib, values, dtype="int64"):
    return lib.tensor(values, dtype=getattr(lib, dtype))


BAD_CALLS = {
    "gather_int16": lambda lib: _x(lib).gather(0, _i(lib, [[0]], "int16")),
    "index_fill_int32": lambda lib: _x(lib).index_fill(0, _i(lib, [0], "int32"), 1.0),
    "index_copy_int32": lambda lib: _x(lib).index_copy(0, _i(lib, [0], "int32"),
                                                       lib.ones(1, 4, dtype=lib.float64)),
    "gather_out_of_range": lambda lib: _x(lib).gather(0, _i(lib, [[5]])),
    "gather_negative": lambda lib: _x(lib).gather(0, _i(lib, [[-1]])),
    "gather_ndim": lambda lib: _x(lib).gather(0, _i(lib, [0])),
    "gather_too_large": lambda lib: _x(lib).gather(0, _i(lib, [[0] * 5])),
    "index_select_range": lambda lib: _x(lib).index_select(0, _i(lib, [3])),
    "index_select_float": lambda lib: _x(lib).index_select(0, lib.tensor([0.0])),
    "take_range": lambda lib: _x(lib).take(_i(lib, [12])),
    "take_int32": lambda lib: _x(lib).take(_i(lib, [1], "int32")),
    "put_sizes": lambda lib: _x(lib).put(_i(lib, [1, 2]), lib.ones(3, dtype=lib.float64)),
    "scatter_dtype": lambda lib: _x(lib).scatter(0, _i(lib, [[0]]), lib.ones(1, 1)),
    "scatter_0d_src": lambda lib: _x(lib).scatter(0, _i(lib, [[0]]),
                                                   lib.tensor(1.0, dtype=lib.float64)),
    "scatter_range": lambda lib: _x(lib).scatter(1, _i(lib, [[4]]), 2.0),
    "scatter_bad_reduce": lambda lib: _x(lib).scatter(0, _i(lib, [[0]]), 2.0, reduce="max"),
    "scatter_reduce_bad": lambda lib: _x(lib).scatter_reduce(
        0, _i(lib, [[0]]), lib.ones(1, 1, dtype=lib.float64), "maximum"),
    "index_add_sizes": lambda lib: _x(lib).index_add(0, _i(lib, [1]),
                                                     lib.ones(2, 4, dtype=lib.float64)),
    "index_add_range": lambda lib: _x(lib).index_add(0, _i(lib, [3]),
                                                     lib.ones(1, 4, dtype=lib.float64)),
    "index_copy_range": lambda lib: _x(lib).index_copy(0, _i(lib, [5]),
                                                       lib.ones(1, 4, dtype=lib.float64)),
    "index_fill_range": lambda lib: _x(lib).index_fill(0, _i(lib, [5]), 1.0),
    "index_fill_1d_value": lambda lib: _x(lib).index_fill(0, _i(lib, [1]), lib.ones(1)),
    "masked_select_int_mask": lambda lib: _x(lib).masked_select(_i(lib, [1, 0, 1, 0])),
    "masked_scatter_short": lambda lib: _x(lib).masked_scatter(
        lib.ones(3, 4, dtype=lib.bool), lib.ones(3, dtype=lib.float64)),
    "index_put_dtype": lambda lib: _x(lib).index_put((_i(lib, [1]),), lib.ones(4)),
    "dim_out_of_range": lambda lib: _x(lib).index_select(2, _i(lib, [0])),
}


@pytest.mark.parametrize("name", BAD_CALLS)
def test_index_ops_reject_bad_input_like_torch(name):
    assert_raises_like_torch(lambda: BAD_CALLS[name](ember), lambda: BAD_CALLS[name](torch))


def test_error_messages_name_the_problem():
    with pytest.raises(RuntimeError, match="gather.*Expected dtype int32/int64 for index"):
        BAD_CALLS["gather_int16"](ember)
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 0 with "
                                           "size 3"):
        BAD_CALLS["gather_out_of_range"](ember)
    with pytest.raises(IndexError, match="tried to access index 12 on a tensor of 12"):
        BAD_CALLS["take_range"](ember)


def test_scatter_with_reduce_add_gradient_equals_scatter_add():
    (x, s), idx = [ember.tensor(np.random.default_rng(0).standard_normal(sh),
                                requires_grad=True) for sh in ((3, 4), (2, 4))], \
        ember.tensor([[0, 2, 2, 1], [0, 0, 1, 2]])
    xt, st = [torch.tensor(a.detach().numpy(), requires_grad=True) for a in (x, s)]
    out = x.scatter(0, idx, s, reduce="add")
    expected = xt.scatter_add(0, torch.tensor(idx.numpy()), st)
    assert_close(out, expected)
    g = np.random.default_rng(1).standard_normal((3, 4))
    out.backward(ember.tensor(g))
    expected.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)
    assert_close(s.grad, st.grad)


def test_take_along_dim_without_dim_reads_the_flattened_input():
    a = np.random.default_rng(0).standard_normal((3, 4))
    idx = np.array([[0, 11], [5, 5]])
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye = ember.take_along_dim(e, ember.tensor(idx))
    yt = torch.take_along_dim(t, torch.tensor(idx))
    assert_close(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("shape,seed",
                         [((3, 4), 0), ((5,), 0), ((), 0), ((), 1), ((2, 0, 3), 0)])
def test_nonzero_as_tuple_matches_torch(shape, seed):
    a = np.random.default_rng(seed).integers(0, 2, size=shape)
    ours = ember.nonzero(ember.tensor(a), as_tuple=True)
    theirs = torch.nonzero(torch.tensor(a), as_tuple=True)
    assert len(ours) == len(theirs)
    for e, t in zip(ours, theirs):
        assert_close(e, t)
    assert_close(ember.tensor(a).nonzero(), torch.tensor(a).nonzero())
    assert_close(ember.argwhere(ember.tensor(a)), torch.argwhere(torch.tensor(a)))
