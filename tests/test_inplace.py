"""In-place ops through autograd: on views (CopySlices), on leaves, and version counters."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember.ops import TABLE

from .helpers import assert_close


def _leaves(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    return ([ember.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


PROGRAMS = {
    "setitem_row": lambda lib, x, w: _then(lambda y: y.__setitem__(0, w * 2), x.clone()),
    "mul_column": lambda lib, x, w: _then(lambda y: y[:, 1].mul_(w), x.clone()),
    "flat_view_add": lambda lib, x, w: _then(lambda y: y.view(-1).add_(1), x.clone()),
    "zero_diagonal": lambda lib, x, w: _then(lambda y: y.diagonal().zero_(), x.clone()),
    "strided_diagonal": lambda lib, x, w: _then(lambda y: y.view(-1)[::4].mul_(w), x.clone()),
    "copy_into_row": lambda lib, x, w: _then(lambda y: y[2].copy_(w.exp()), x.clone()),
    "augmented_assignment": lambda lib, x, w: _then(lambda y: _iadd(y, w), x.clone()),
    "view_of_view": lambda lib, x, w: _then(lambda y: y[1:][:, 2].mul_(w[1:]), x * 3),
    "transposed_view": lambda lib, x, w: _then(lambda y: y.transpose(0, 1)[1].mul_(w),
                                               x.clone()),
    "other_view_sees_change": lambda lib, x, w: _other_view(x, w),
    "base_changed_after_view": lambda lib, x, w: _base_changed(x, w),
    "noncontiguous_base": lambda lib, x, w: _then(lambda y: y[0].mul_(w),
                                                  x.transpose(0, 1) * 1),
    "buffer_without_grad": lambda lib, x, w: _then(lambda y: y[:, 0].add_(w * w),
                                                   lib.zeros(3, 3, dtype=lib.float64)),
    "setitem_on_view": lambda lib, x, w: _then(lambda y: y[1:].__setitem__((0, [0, 2]),
                                                                          w[:2]), x * 2),
    "setitem_mask": lambda lib, x, w: _then(lambda y: y.__setitem__(
        lib.from_numpy(np.array([True, False, True])), w.sin()), x.clone()),
}


def _then(action, y):
    action(y)
    return y


def _iadd(y, w):
    y[:, 1] += w  # Python: a view, add_ on it, then y[:, 1] = the view itself


def _other_view(x, w):
    y = x.clone()
    row = y[0]
    y[0, :2].mul_(w[:2])  # changes what `row` holds
    return row * row


def _base_changed(x, w):
    y = x.clone()
    col = y[:, 1]
    y.mul_(2)
    y[2].add_(w)
    return col * y[0, 0]


@pytest.mark.parametrize("name", PROGRAMS)
def test_inplace_on_views_gives_torch_gradients(name):
    (xe, we), (xt, wt) = _leaves((3, 3), (3,))
    ye = PROGRAMS[name](ember, xe, we)
    yt = PROGRAMS[name](torch, xt, wt)
    assert_close(ye, yt)
    (ye * ye * ye).sum().backward()
    (yt * yt * yt).sum().backward()
    for e, t in ((xe, xt), (we, wt)):
        if t.grad is None:
            assert e.grad is None
        else:
            assert_close(e.grad, t.grad, what=name)


def test_base_history_becomes_copyslices_and_view_is_regenerated():
    x = ember.tensor(np.ones((2, 3)), requires_grad=True)
    y = x.clone()
    v = y[1]
    v.mul_(2)
    assert y.grad_fn.name() == "CopySlices"
    assert v.grad_fn.next_functions[0][0] is y.grad_fn


def test_double_backward_through_copyslices_matches_torch():
    (xe, we), (xt, wt) = _leaves((3, 3), (3,))
    outs = []
    for x, w in ((xe, we), (xt, wt)):
        y = x.clone()
        y[:, 1].mul_(w * w)
        lib = ember if isinstance(x, ember.Tensor) else torch
        gx, gw = lib.autograd.grad((y ** 3).sum(), (x, w), create_graph=True)
        (gx.sum() + (gw * gw).sum()).backward()
        outs.append((x.grad, w.grad))
    for e, t in zip(*outs):
        assert_close(e, t)


def test_setitem_with_grad_records_and_bumps_the_version():
    (xe,), _ = _leaves((3, 4))
    y = xe * 1
    v0 = y._version
    y[1] = 0.0
    assert y._version == v0 + 1 and y.requires_grad
    y.sum().backward()
    expected = np.ones((3, 4))
    expected[1] = 0
    assert_close(xe.grad, torch.tensor(expected))


# ----------------------------------------------------------------------------- errors


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    (x,), (t,) = _leaves((3,))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation."):
        x.mul_(2)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x[0] = 1.0
    with pytest.raises(RuntimeError):
        t.mul_(2)


def test_inplace_on_a_view_of_a_leaf_is_refused():
    (x,), _ = _leaves((3, 3))
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation."):
        x[0].mul_(2)


def test_inplace_on_a_leaf_without_grad_recording_is_allowed():
    (x,), _ = _leaves((3, 3))
    with ember.no_grad():
        x[0].mul_(0)
        x[1] = 5.0
    assert x[0].sum().item() == 0 and x[1, 1].item() == 5.0
    assert x.is_leaf and x._version == 2


def test_modifying_a_saved_tensor_fails_at_backward_naming_both_versions():
    (x,), _ = _leaves((3,))
    y = x * 1
    z = y * y  # saves y at version 0
    y[0] = 2.0  # version 1
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*is at version 1; "
                                           r"expected version 0"):
        z.sum().backward()


def test_modifying_a_view_of_a_saved_tensor_moves_its_version():
    (x,), _ = _leaves((3, 3))
    y = x.exp()  # saves its output y
    y[0].mul_(2)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        y.sum().backward()


def test_views_share_the_version_counter():
    x = ember.zeros(4, 4)
    a, b = x[1:], x[:, 0]
    a.add_(1)
    assert x._version == a._version == b._version == 1
    b[0] = 3.0
    assert x._version == 2 and x[0, 0].item() == 3.0


# ----------------------------------------------------------------------------- regions


def test_regions_of_noncontiguous_bases_gradcheck():
    base = np.random.default_rng(0).standard_normal((4, 5)).T  # a non-contiguous base
    region = ember.ops._inplace.region_of(base, base[1:3, ::2])
    assert region[0] == "indexed"
    a = ember.tensor(np.ascontiguousarray(base), requires_grad=True)
    v = ember.tensor(np.ones((2, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: TABLE["_view_region"].fn(a, region), [a])
    assert ember.autograd.gradcheck(
        lambda a, v: TABLE["_scatter_region"].fn(a, v, region), [a, v])
    picked = TABLE["_view_region"].fn(a, region)
    assert_close(picked, torch.tensor(base[1:3, ::2]))


# ----------------------------------------------------------------------------- in-place ops

def _long(lib, values):
    return lib.tensor(values, dtype=lib.int64)


INPLACE = {
    "scatter_": lambda lib, y, w: y.scatter_(0, _long(lib, [[2, 0, 1]]), w[None]),
    "scatter_value": lambda lib, y, w: y.scatter_(1, _long(lib, [[0], [2], [1]]), 1.5),
    "scatter_add_": lambda lib, y, w: y.scatter_add_(0, _long(lib, [[2, 2, 0]]), w[None]),
    "scatter_reduce_": lambda lib, y, w: y.scatter_reduce_(
        0, _long(lib, [[2, 2, 0]]), w[None], "amax", include_self=False),
    "index_add_": lambda lib, y, w: y.index_add_(1, _long(lib, [0, 0, 2]), w.expand(3, 3),
                                                 alpha=-2),
    "index_copy_": lambda lib, y, w: y.index_copy_(0, _long(lib, [1]), w[None]),
    "index_fill_": lambda lib, y, w: y.index_fill_(1, _long(lib, [0, 2]), w[1]),
    "index_put_": lambda lib, y, w: y.index_put_((_long(lib, [0, 0, 2]), _long(lib, [1, 1, 0])),
                                                 w, accumulate=True),
    "masked_scatter_": lambda lib, y, w: y.masked_scatter_(
        lib.tensor([[True, False, True]] * 3), w.repeat(3)),
    "put_": lambda lib, y, w: y.put_(_long(lib, [8, 0, 8]), w, accumulate=True),
}


@pytest.mark.parametrize("name", INPLACE)
@pytest.mark.parametrize("on_view", [False, True])
def test_inplace_index_ops_match_torch(name, on_view):
    (xe, we), (xt, wt) = _leaves((3, 3), (3,))
    results = []
    for lib, x, w in ((ember, xe, we), (torch, xt, wt)):
        y = x * 2
        target = y.transpose(0, 1) if on_view else y
        out = INPLACE[name](lib, target, w)
        assert out is target
        (y * y).sum().backward()
        results.append((y, x.grad, w.grad))
    for e, t in zip(*results):
        if t is None:
            assert e is None or not e.detach().numpy().any()
        else:
            assert_close(e, t, what=name)
