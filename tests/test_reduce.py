"""Reductions, scans, sorting and counting beyond the op-table harness: errors, result
dtypes, named tuples, and the calling conventions PyTorch offers."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch


def both(array):
    return ember.tensor(array), torch.tensor(array)


# ----------------------------------------------------------------------------- errors

DIM_ERRORS = [
    lambda m, x: m.sum(x, 3),
    lambda m, x: m.sum(x, (0, 0)),
    lambda m, x: m.mean(x, -4),
    lambda m, x: m.prod(x, 2),
    lambda m, x: m.amax(x, 5),
    lambda m, x: m.max(x, 2),
    lambda m, x: m.argmin(x, -3),
    lambda m, x: m.var(x, 2),
    lambda m, x: m.logsumexp(x, 7),
    lambda m, x: m.cumsum(x, 2),
    lambda m, x: m.cummax(x, -3),
    lambda m, x: m.sort(x, 2),
    lambda m, x: m.topk(x, 1, 2),
    lambda m, x: m.median(x, 2),
    lambda m, x: m.count_nonzero(x, (0, 0)),
    lambda m, x: m.all(x, 2),
]


@pytest.mark.parametrize("call", DIM_ERRORS)
def test_dim_errors_match_torch(call):
    e, t = both(np.ones((2, 3), np.float32))
    assert_raises_like_torch(lambda: call(ember, e), lambda: call(torch, t))


def test_dim_out_of_range_names_the_range():
    with pytest.raises(IndexError, match=r"\[-2, 1\], but got 3"):
        ember.ones(2, 3).sum(3)


EMPTY_AND_RANGE_ERRORS = [
    (lambda m: m.max(m.zeros(0)), RuntimeError),
    (lambda m: m.max(m.zeros(0, 3), 0), IndexError),
    (lambda m: m.amax(m.zeros(0, 3), 0), IndexError),
    (lambda m: m.argmax(m.zeros(0)), IndexError),
    (lambda m: m.min(m.zeros(2, 0), 1), IndexError),
    (lambda m: m.aminmax(m.zeros(0)), RuntimeError),
    (lambda m: m.topk(m.ones(3), 4), RuntimeError),
    (lambda m: m.kthvalue(m.ones(3), 4), RuntimeError),
    (lambda m: m.kthvalue(m.ones(3), 0), RuntimeError),
    (lambda m: m.mode(m.zeros(2, 0), 1), IndexError),
    (lambda m: m.median(m.zeros(2, 0), 1), IndexError),
]


@pytest.mark.parametrize("call,kind", EMPTY_AND_RANGE_ERRORS)
def test_empty_and_range_errors_match_torch(call, kind):
    with pytest.raises(kind):
        call(torch)
    with pytest.raises(kind):
        call(ember)


DTYPE_ERRORS = [
    lambda m: m.mean(m.tensor([1, 2])),
    lambda m: m.nanmean(m.tensor([1, 2])),
    lambda m: m.var(m.tensor([1, 2])),
    lambda m: m.std(m.tensor([True, False])),
    lambda m: m.norm(m.tensor([1, 2])),
    lambda m: m.histc(m.tensor([1, 2])),
    lambda m: m.logcumsumexp(m.tensor([1, 2]), 0),
    lambda m: m.bincount(m.tensor([0, -1])),
    lambda m: m.bincount(m.tensor([[0, 1]])),
    lambda m: m.bincount(m.tensor([0.5, 1.0])),
    lambda m: m.histc(m.tensor([1.0, 2.0]), 3, 5, 1),
    lambda m: m.searchsorted(m.tensor([1, 3]), m.tensor([2]), side="left", right=True),
    lambda m: m.bucketize(m.tensor([1, 3]), m.tensor([[1, 3]])),
    lambda m: m.logsumexp(m.ones(3)),
]


@pytest.mark.parametrize("call", DTYPE_ERRORS)
def test_bad_inputs_raise_like_torch(call):
    assert_raises_like_torch(lambda: call(ember), lambda: call(torch))


def test_mean_of_int_names_the_dtype():
    with pytest.raises(RuntimeError, match="mean.*Long"):
        ember.tensor([1, 2]).mean()


def test_empty_sum_is_zero_and_empty_prod_is_one():
    for name in ("sum", "prod", "nansum"):
        assert_close(getattr(ember, name)(ember.zeros(0)), getattr(torch, name)(torch.zeros(0)))
    assert_close(ember.zeros(0, 3).sum(0), torch.zeros(0, 3).sum(0))
    assert_close(ember.zeros(0, 3).amax(1), torch.zeros(0, 3).amax(1))


# ----------------------------------------------------------------------------- dtypes

INT_INPUTS = [np.array([[1, 2], [3, 4]], np.int32), np.array([[True, False], [True, True]]),
              np.array([[1, 2], [3, 4]], np.uint8), np.array([[1, 2], [3, 4]], np.int8)]


@pytest.mark.parametrize("array", INT_INPUTS, ids=lambda a: a.dtype.name)
@pytest.mark.parametrize("name", ["sum", "prod", "nansum", "cumsum", "cumprod"])
def test_integer_accumulation_dtype_matches_torch(array, name):
    e, t = both(array)
    args = (1,) if name.startswith("cum") else ()
    assert_close(getattr(e, name)(*args), getattr(t, name)(*args))


# torch implements these for integers but not for bool
NOT_FOR_BOOL = ("amax", "amin", "argmax", "max", "sort", "unique", "median", "mode")


@pytest.mark.parametrize("array,name", [
    pytest.param(a, name, id=f"{name}-{a.dtype.name}") for a in INT_INPUTS
    for name in NOT_FOR_BOOL + ("all", "any", "count_nonzero")
    if not (a.dtype == bool and name in NOT_FOR_BOOL)])
def test_integer_and_bool_results_match_torch(array, name):
    e, t = both(array)
    e_out, t_out = getattr(e, name)(), getattr(t, name)()
    for a, b in zip(e_out if isinstance(e_out, tuple) else [e_out],
                    t_out if isinstance(t_out, tuple) else [t_out]):
        assert_close(a, b)


@pytest.mark.parametrize("name", ["sum", "mean", "nansum", "nanmean", "prod"])
def test_dtype_argument_casts_the_result(name):
    x = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    e, t = both(x)
    assert_close(getattr(e, name)(dtype=ember.float64), getattr(t, name)(dtype=torch.float64))
    if name == "nanmean":
        return  # torch refuses integer input to nanmean even with a float dtype
    assert_close(getattr(ember, name)(ember.tensor([1, 2, 3]), dtype=ember.float64),
                 getattr(torch, name)(torch.tensor([1, 2, 3]), dtype=torch.float64))


def test_float32_stays_float32():
    x = ember.randn(4, 5)
    for out in (x.sum(), x.mean(1), x.var(0), x.std(), x.norm(), x.logsumexp(1), x.cumsum(0),
                x.prod(1), x.logcumsumexp(1), x.amax(), x.median(), x.histc(4)):
        assert out.dtype == ember.float32


def test_uint8_all_any_stay_uint8():
    e, t = both(np.array([1, 0, 2], np.uint8))
    assert_close(e.all(), t.all())
    assert_close(e.any(), t.any())


def test_cumsum_dtype_argument():
    e, t = both(np.array([1, 2, 3], np.int32))
    assert_close(e.cumsum(0, dtype=ember.float32), t.cumsum(0, dtype=torch.float32))


# ----------------------------------------------------------------------------- named tuples

@pytest.mark.parametrize("name,args,fields", [
    ("max", (1,), ("values", "indices")), ("min", (0, True), ("values", "indices")),
    ("sort", (), ("values", "indices")), ("topk", (2,), ("values", "indices")),
    ("kthvalue", (2, 1), ("values", "indices")), ("median", (1,), ("values", "indices")),
    ("nanmedian", (0,), ("values", "indices")), ("mode", (1,), ("values", "indices")),
    ("cummax", (1,), ("values", "indices")), ("cummin", (0,), ("values", "indices")),
])
def test_named_tuple_fields(name, args, fields):
    e, t = both(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))
    e_out, t_out = getattr(e, name)(*args), getattr(t, name)(*args)
    assert type(e_out).__name__ == type(t_out).__name__ == name
    assert e_out._fields == fields
    for field in fields:
        assert_close(getattr(e_out, field), getattr(t_out, field))
    values, indices = e_out
    assert values is e_out.values and indices is e_out.indices


def test_aminmax_and_histogram_fields():
    e, t = both(np.array([[3.0, 1.0], [2.0, 5.0]], np.float32))
    out = ember.aminmax(e, dim=1)
    assert_close(out.min, torch.aminmax(t, dim=1).min)
    assert_close(out.max, torch.aminmax(t, dim=1).max)
    hist = ember.histogram(e, 3)
    assert_close(hist.hist, torch.histogram(t, 3).hist)
    assert_close(hist.bin_edges, torch.histogram(t, 3).bin_edges)


def test_var_mean_and_std_mean_return_plain_pairs():
    e, t = both(np.arange(6, dtype=np.float64).reshape(2, 3))
    for name in ("var_mean", "std_mean"):
        e_out, t_out = getattr(ember, name)(e, 1), getattr(torch, name)(t, 1)
        assert isinstance(e_out, tuple) and len(e_out) == 2
        assert_close(e_out[0], t_out[0])
        assert_close(e_out[1], t_out[1])


# ----------------------------------------------------------------------------- conventions

def test_max_of_two_tensors_is_maximum():
    a, b = np.array([1.0, 5.0, 3.0], np.float32), np.array([4.0, 2.0, 3.5], np.float32)
    (ea, ta), (eb, tb) = both(a), both(b)
    assert_close(ember.max(ea, eb), torch.max(ta, tb))
    assert_close(ember.min(ea, other=eb), torch.min(ta, other=tb))
    assert_close(ea.max(eb), ta.max(tb))


def test_keyword_forms():
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    e, t = both(x)
    assert_close(ember.max(input=e, dim=1).values, torch.max(input=t, dim=1).values)
    assert_close(e.sum(dim=(0, 1), keepdim=True), t.sum(dim=(0, 1), keepdim=True))
    assert_close(e.var(dim=0, unbiased=False), t.var(dim=0, unbiased=False))
    assert_close(e.std(1, True, True), t.std(1, True, True))
    assert_close(e.norm(p=1, dim=0), t.norm(p=1, dim=0))
    assert_close(ember.sort(e, dim=0, descending=True).indices,
                 torch.sort(t, dim=0, descending=True).indices)


def test_out_argument_writes_into_the_given_tensors():
    e, t = both(np.array([[3.0, 1.0], [2.0, 5.0]], np.float32))
    values, indices = ember.empty(2), ember.zeros(2, dtype=ember.int64)
    ember.max(e, 1, out=(values, indices))
    assert_close(values, t.max(1).values)
    assert_close(indices, t.max(1).indices)
    total = ember.empty(2)
    ember.sum(e, 0, out=total)
    assert_close(total, t.sum(0))


def test_nan_handling_matches_torch():
    x = np.array([[1.0, np.nan, 3.0, 0.5], [2.0, 1.0, np.nan, np.nan]], np.float32)
    e, t = both(x)
    for name, args in [("max", (1,)), ("amax", (1,)), ("sort", (1,)), ("argmax", (1,)),
                       ("median", (1,)), ("nanmedian", (1,)), ("cummax", (1,)),
                       ("cummin", (1,)), ("nansum", ()), ("nanmean", (1,)),
                       ("unique", ()), ("median", ()), ("nanmedian", ())]:
        e_out, t_out = getattr(e, name)(*args), getattr(t, name)(*args)
        e_out = e_out if isinstance(e_out, tuple) else (e_out,)
        t_out = t_out if isinstance(t_out, tuple) else (t_out,)
        for a, b in zip(e_out, t_out):
            assert_close(a, b, what=name)
    assert_close(e.sort(1, descending=True).values, t.sort(1, descending=True).values)
    e, t = both(x[0])  # one NaN: which of several NaNs topk picks is not specified
    assert_close(e.topk(2).indices, t.topk(2).indices)


def test_logsumexp_is_stable():
    e, t = both(np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [-np.inf, -np.inf]]))
    assert_close(e.logsumexp(1), t.logsumexp(1))
    assert_close(e.logcumsumexp(1), t.logcumsumexp(1))


def test_unique_flags_select_outputs():
    e, t = both(np.array([3, 1, 3, 2, 1]))
    for flags in ({}, {"return_inverse": True}, {"return_counts": True},
                  {"return_inverse": True, "return_counts": True}):
        e_out, t_out = e.unique(**flags), t.unique(**flags)
        assert isinstance(e_out, tuple) == isinstance(t_out, tuple)
        assert len(e_out) == len(t_out)
        for a, b in zip(e_out if isinstance(e_out, tuple) else [e_out],
                        t_out if isinstance(t_out, tuple) else [t_out]):
            assert_close(a, b)


def test_histogram_weights_and_bincount_dtypes():
    x = np.array([0.1, 0.5, 0.5, 0.9], np.float32)
    w = np.array([1.0, 2.0, 0.5, 1.0], np.float32)
    (ex, tx), (ew, tw) = both(x), both(w)
    assert_close(ember.histogram(ex, 2, weight=ew).hist, torch.histogram(tx, 2, weight=tw).hist)
    idx = np.array([0, 3, 3])
    (ei, ti) = both(idx)
    for weights in (None, np.array([1, 2, 3]), np.array([0.5, 1, 2], np.float32)):
        if weights is None:
            assert_close(ei.bincount(minlength=5), ti.bincount(minlength=5))
        else:
            assert_close(ei.bincount(ember.tensor(weights)), ti.bincount(torch.tensor(weights)))


# ----------------------------------------------------------------------------- gradients

def _grads(fn, array):
    e = ember.tensor(array, requires_grad=True)
    t = torch.tensor(array, requires_grad=True)
    fn(ember, e).backward()
    fn(torch, t).backward()
    return e.grad, t.grad


TIE_GRADIENTS = [
    lambda m, x: m.max(x),
    lambda m, x: m.amax(x, 1).sum(),
    lambda m, x: m.amin(x, (0, 1)),
    lambda m, x: m.max(x, 1).values.sum(),
    lambda m, x: m.min(x, 0).values.sum(),
    lambda m, x: m.median(x),
    lambda m, x: m.median(x, 1).values.sum(),
    lambda m, x: m.mode(x, 1).values.sum(),
    lambda m, x: m.cummax(x, 1).values.sum(),
    lambda m, x: (m.aminmax(x)[0] + 2 * m.aminmax(x)[1]),
    lambda m, x: m.norm(x, float("inf")),
    lambda m, x: m.sort(x, dim=1, stable=True).values[:, :2].sum(),
]


@pytest.mark.parametrize("fn", TIE_GRADIENTS)
def test_gradients_with_ties_match_torch(fn):
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0], [3.0, 0.0, 3.0, 3.0]])
    assert_close(*_grads(fn, x))


@pytest.mark.parametrize("fn", [
    lambda m, x: m.prod(x),
    lambda m, x: m.prod(x, 1).sum(),
    lambda m, x: m.cumprod(x, 1).sum(),
    lambda m, x: (m.cumprod(x, 0) * m.arange(12.0, dtype=x.dtype).reshape(3, 4)).sum(),
    lambda m, x: m.norm(x),
    lambda m, x: m.norm(x, 3, 1).sum(),
    lambda m, x: m.std(x, 1).sum(),
])
def test_gradients_at_zeros_match_torch(fn):
    x = np.array([[0.0, 2.0, 0.0, 1.5], [0.0, 0.0, 0.0, 0.0], [1.0, -2.0, 0.0, 3.0]])
    assert_close(*_grads(fn, x))


def test_second_derivative_of_prod_and_logsumexp():
    x = np.array([[0.5, 2.0, 0.0], [1.5, -1.0, 0.7]])
    for fn in (lambda t: t.prod(1), lambda t: t.logsumexp(1), lambda t: t.var(1),
               lambda t: t.cumsum(1)):
        e = ember.tensor(x, requires_grad=True)
        assert ember.autograd.gradgradcheck(lambda a: fn(a), (e,), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.max(x), lambda m, x: m.min(x), lambda m, x: m.median(x),
    lambda m, x: m.nanmedian(x), lambda m, x: m.amax(x), lambda m, x: m.nansum(x),
    lambda m, x: m.nanmean(x, 1).sum(),
])
def test_gradients_with_nans_match_torch(fn):
    x = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, 0.5]])
    assert_close(*_grads(fn, x))
