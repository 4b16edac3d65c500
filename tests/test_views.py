"""Views against PyTorch: which ops share memory, version counters, strides, offsets, errors.

Each case runs the same op on an ember tensor and on a torch tensor of the same layout and
checks that both agree on whether the result is a view, on its strides and storage offset,
and that writes go through in both directions exactly where they do in PyTorch.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch


def _layouts():
    """The same values, laid out the same way, in both libraries."""
    def contiguous(lib):
        return lib.arange(24.).reshape(2, 3, 4)

    def transposed(lib):
        return lib.arange(24.).reshape(4, 3, 2).transpose(0, 2)

    def offset(lib):
        return lib.arange(40.).reshape(2, 5, 4).narrow(1, 1, 3)
    return {"contiguous": contiguous, "transposed": transposed, "offset": offset}


LAYOUTS = _layouts()

# Ops PyTorch answers with a view of the input (for every layout).
VIEWS = {
    "view": lambda x: x.view(-1) if x.is_contiguous() else x.view(2, 3, 4),
    "view_as": lambda x: x.view_as(x),
    "reshape_viewable": lambda x: x.reshape(2, 3, 2, 2),
    "transpose": lambda x: x.transpose(0, 2),
    "swapaxes": lambda x: x.swapaxes(1, 2),
    "permute": lambda x: x.permute(2, 0, 1),
    "expand": lambda x: x.unsqueeze(0).expand(3, 2, 3, 4),
    "squeeze": lambda x: x.narrow(1, 0, 1).squeeze(1),
    "squeeze_all": lambda x: x.narrow(1, 0, 1).squeeze(),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "unsqueeze_last": lambda x: x.unsqueeze(-1),
    "narrow": lambda x: x.narrow(2, 1, 2),
    "select": lambda x: x.select(1, 2),
    "unbind": lambda x: x.unbind(2)[1],
    "split": lambda x: x.split(2, dim=2)[1],
    "split_sizes": lambda x: x.split([1, 2], dim=1)[1],
    "chunk": lambda x: x.chunk(2, dim=-1)[1],
    "tensor_split": lambda x: x.tensor_split([1, 3], dim=2)[1],
    "diagonal": lambda x: x.diagonal(1, 1, 2),
    "as_strided": lambda x: x.as_strided((2, 2), (1, 2)),
    "movedim": lambda x: x.movedim(0, -1),
    "T": lambda x: x.select(0, 1).T,
    "mT": lambda x: x.mT,
    "t": lambda x: x.select(0, 1).t(),
    "flatten_partial": lambda x: x.unsqueeze(0).flatten(0, 1),
    "unflatten": lambda x: x.unflatten(2, (2, 2)),
    "broadcast_to": lambda x: x.broadcast_to((2, 2, 3, 4)),
    "iter": lambda x: list(x)[1],
    "unfold": lambda x: x.unfold(2, 2, 1),
    "atleast_3d": lambda x: ember.atleast_3d(x.select(0, 0)) if isinstance(x, ember.Tensor)
    else torch.atleast_3d(x.select(0, 0)),
}

# Ops PyTorch answers with a fresh copy.
COPIES = {
    "flip": lambda x: x.flip(0),
    "roll": lambda x: x.roll(1, 2),
    "repeat": lambda x: x.repeat(1, 1, 2),
    "tile": lambda x: x.tile((2,)),
    "repeat_interleave": lambda x: x.repeat_interleave(2, dim=1),
    "tril": lambda x: x.tril(),
    "triu": lambda x: x.triu(1),
    "rot90": lambda x: x.rot90(1, (1, 2)),
    "diag": lambda x: x.select(0, 0).diag(),
    "diag_embed": lambda x: x.diag_embed(),
    "cat": lambda x: _lib(x).cat([x, x]),
    "stack": lambda x: _lib(x).stack([x, x]),
    "kron": lambda x: _lib(x).kron(x, x),
    "block_diag": lambda x: _lib(x).block_diag(x.select(0, 0)),
}


def _lib(x):
    return ember if isinstance(x, ember.Tensor) else torch


def _shares_memory(y, x) -> bool:
    return y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()


def _pair(layout):
    return LAYOUTS[layout](ember), LAYOUTS[layout](torch)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", VIEWS)
def test_view_geometry_matches_torch(name, layout):
    e_x, t_x = _pair(layout)
    e_y, t_y = VIEWS[name](e_x), VIEWS[name](t_x)
    assert_close(e_y, t_y)
    assert t_y._is_view() and e_y._is_view(), f"{name}: torch gives a view"
    assert e_y._base is (e_x._base if e_x._base is not None else e_x)
    assert e_y.stride() == t_y.stride(), f"{name}: strides {e_y.stride()} != {t_y.stride()}"
    assert e_y.storage_offset() == t_y.storage_offset()
    assert e_y.is_contiguous() == t_y.is_contiguous()
    assert _shares_memory(e_y, e_x)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", VIEWS)
def test_writes_go_through_views_both_ways(name, layout):
    e_x, t_x = _pair(layout)
    e_y, t_y = VIEWS[name](e_x), VIEWS[name](t_x)
    e_x.mul_(2)
    t_x.mul_(2)
    assert_close(e_y, t_y, what=f"{name}: view after writing to the base")
    assert e_y._version == e_x._version == t_y._version == t_x._version
    if name in ("expand", "broadcast_to", "unfold"):
        return  # views whose elements overlap in memory: writing to them is not supported
    e_y.add_(1)
    t_y.add_(1)
    assert_close(e_x, t_x, what=f"{name}: base after writing to the view")
    assert e_y._version == e_x._version == t_y._version == t_x._version


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", COPIES)
def test_copying_ops_do_not_share_memory(name, layout):
    e_x, t_x = _pair(layout)
    e_y, t_y = COPIES[name](e_x), COPIES[name](t_x)
    assert not _shares_memory(t_y, t_x) and not _shares_memory(e_y, e_x)
    e_x.add_(1)
    t_x.add_(1)
    assert_close(e_y, t_y, what=f"{name}: unchanged by a write to the input")
    assert e_y._version == 0


@pytest.mark.parametrize("name,fn", [
    ("reshape", lambda x: x.transpose(0, 1).reshape(-1)),
    ("flatten", lambda x: x.transpose(0, 1).flatten()),
    ("ravel", lambda x: x.transpose(0, 1).ravel()),
    ("contiguous", lambda x: x.transpose(0, 1).contiguous()),
])
def test_reshape_family_copies_when_memory_does_not_allow_a_view(name, fn):
    e_x, t_x = _pair("contiguous")
    e_y, t_y = fn(e_x), fn(t_x)
    assert_close(e_y, t_y)
    assert not _shares_memory(e_y, e_x) and not _shares_memory(t_y, t_x)
    assert e_y.stride() == t_y.stride()


def test_contiguous_returns_the_tensor_itself_when_already_contiguous():
    x = ember.arange(6.).reshape(2, 3)
    assert x.contiguous() is x
    assert x.t().contiguous().is_contiguous()


def test_expanded_view_refuses_in_place_writes():
    e = ember.zeros(3, 1).expand(3, 4)
    t = torch.zeros(3, 1).expand(3, 4)
    assert_raises_like_torch(lambda: e.add_(1), lambda: t.add_(1))


def test_overlapping_windows_refuse_in_place_writes():
    x = ember.arange(6.)
    with pytest.raises(RuntimeError, match="refers to the same memory"):
        x.unfold(0, 3, 1).add_(1)
    x.unfold(0, 2, 2).add_(1)  # disjoint windows write through
    assert x.tolist() == [1., 2., 3., 4., 5., 6.]


def test_view_of_a_view_has_the_root_as_base():
    x = ember.arange(12.)
    y = x.view(3, 4).t().narrow(0, 1, 2)
    assert y._base is x
    x.add_(1)
    assert y._version == 1


def test_view_dtype_reinterprets_the_same_bytes():
    e = ember.arange(6.).reshape(2, 3)
    t = torch.arange(6.).reshape(2, 3)
    assert_close(e.view(ember.int32), t.view(torch.int32))
    assert_close(e.view(ember.float16), t.view(torch.float16))
    assert_close(ember.arange(4.).view(ember.float64), torch.arange(4.).view(torch.float64))
    y = e.view(ember.int32)
    assert _shares_memory(y, e) and y._base is e._base
    leaf = ember.ones(2, 2, requires_grad=True)
    assert leaf.view(ember.int32).grad_fn is None
    assert leaf.view(ember.float32) is leaf


# ----------------------------------------------------------------------------- gradients


def _random_leaves(*shape):
    values = np.random.default_rng().standard_normal(shape)
    return (ember.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True))


def test_gradient_of_unused_split_pieces_is_zero():
    e_x, t_x = _random_leaves(5, 3)
    e_a, _, e_c = e_x.split([2, 1, 2])
    t_a, _, t_c = t_x.split([2, 1, 2])
    (e_a.sum() + (e_c * e_c).sum()).backward()
    (t_a.sum() + (t_c * t_c).sum()).backward()
    assert_close(e_x.grad, t_x.grad)


def test_gradient_through_iteration_and_unbind():
    e_x, t_x = _random_leaves(4, 3)
    sum(row * (i + 1) for i, row in enumerate(e_x) if i != 2).sum().backward()
    sum(row * (i + 1) for i, row in enumerate(t_x) if i != 2).sum().backward()
    assert_close(e_x.grad, t_x.grad)


def test_split_grad_fn_is_shared_by_the_pieces():
    x, _ = _random_leaves(4, 3)
    a, b = x.chunk(2)
    assert a.grad_fn is b.grad_fn
    assert (a._output_nr, b._output_nr) == (0, 1)
    assert type(a.grad_fn).__name__ == "SplitWithSizesBackward0"


DOUBLE_BACKWARD = {
    "diagonal": lambda x: x.diagonal(1),
    "narrow": lambda x: x.narrow(1, 1, 2),
    "select": lambda x: x.select(0, 1),
    "as_strided": lambda x: x.as_strided((3, 2), (1, 1), 1),
    "split": lambda x: x.split([1, 2])[1],
    "unbind": lambda x: x.unbind(1)[2],
    "repeat_interleave": lambda x: x.repeat_interleave(_lib(x).tensor([1, 0, 2]), 0),
    "flip_roll_tril": lambda x: x.flip(0).roll(1, 1).tril(),
    "cat": lambda x: _lib(x).cat([x, x.t()], 1),
    "stack": lambda x: _lib(x).stack([x, x * 2], 1),
    "repeat": lambda x: x.repeat(2, 1),
    "diag_embed": lambda x: x.diag_embed(1),
    "block_diag": lambda x: _lib(x).block_diag(x, x.select(0, 0)),
    "unfold": lambda x: x.unfold(1, 2, 1),
    "expand_permute": lambda x: x.unsqueeze(0).expand(2, 3, 3).permute(2, 0, 1),
}


@pytest.mark.parametrize("name", DOUBLE_BACKWARD)
def test_double_backward_matches_torch(name):
    """The derivative of the backward pass with respect to the output gradient (the
    backward is built from ember ops, so it is differentiable again)."""
    fn = DOUBLE_BACKWARD[name]
    e_x, t_x = _random_leaves(3, 3)
    e_y, t_y = fn(e_x), fn(t_x)
    e_v, t_v = _random_leaves(*t_y.shape)
    u = np.random.default_rng().standard_normal((3, 3))
    (e_g,) = ember.autograd.grad(e_y, e_x, e_v, create_graph=True)
    (t_g,) = torch.autograd.grad(t_y, t_x, t_v, create_graph=True)
    assert_close(e_g, t_g)
    (e_h,) = ember.autograd.grad((e_g * ember.tensor(u)).sum(), e_v)
    (t_h,) = torch.autograd.grad((t_g * torch.tensor(u)).sum(), t_v)
    assert_close(e_h, t_h)


def test_as_strided_gradient_sums_overlapping_windows_like_torch():
    e_x, t_x = _random_leaves(6)
    e_w = e_x.as_strided((4, 3), (1, 1))
    t_w = t_x.as_strided((4, 3), (1, 1))
    weights = np.arange(12.).reshape(4, 3)
    (e_w * ember.tensor(weights)).sum().backward()
    (t_w * torch.tensor(weights)).sum().backward()
    assert_close(e_x.grad, t_x.grad)


# ----------------------------------------------------------------------------- properties


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_transpose_properties_match_torch(shape):
    e = ember.arange(float(np.prod(shape))).reshape(shape)
    t = torch.arange(float(np.prod(shape))).reshape(shape)
    assert_close(e.mT, t.mT)
    assert_close(e.mH, t.mH)
    assert_close(e.adjoint(), t.adjoint())
    if len(shape) == 2:
        assert_close(e.T, t.T)
        assert_close(e.H, t.H)


def test_T_of_other_than_two_dims_warns_like_torch():
    with pytest.warns(UserWarning, match="deprecated"):
        y = ember.zeros(2, 3, 4).T
    assert y.shape == (4, 3, 2)


def test_meshgrid_without_indexing_warns_and_uses_ij():
    with pytest.warns(UserWarning, match="indexing"):
        grids = ember.meshgrid(ember.arange(3), ember.arange(2))
    assert grids[0].shape == (3, 2)


def test_broadcast_shapes_matches_torch():
    for shapes in [((3, 1), (4,)), ((2, 1, 1), (3, 1), ()), ((5,), 1), ()]:
        assert tuple(ember.broadcast_shapes(*shapes)) == tuple(torch.broadcast_shapes(*shapes))


# ----------------------------------------------------------------------------- errors

E, T = ember, torch

# (name, call on the library module, check that torch's message is part of ember's)
ERRORS = [
    ("view_needs_reshape", lambda L: L.zeros(3, 4).t().view(12), True),
    ("view_bad_size", lambda L: L.zeros(3, 4).view(5, -1), True),
    ("reshape_two_minus_ones", lambda L: L.zeros(3, 4).reshape(-1, -1), True),
    ("cat_sizes", lambda L: L.cat([L.zeros(2, 3), L.zeros(2, 4)]), True),
    ("cat_ndim", lambda L: L.cat([L.zeros(2, 3), L.zeros(2, 3, 1)]), True),
    ("cat_zero_dim", lambda L: L.cat([L.zeros(()), L.zeros(())]), True),
    ("cat_empty_list", lambda L: L.cat([]), True),
    ("cat_dim", lambda L: L.cat([L.zeros(2, 3)], 2), True),
    ("stack_shapes", lambda L: L.stack([L.zeros(2, 3), L.zeros(2, 4)]), True),
    ("stack_empty", lambda L: L.stack([]), True),
    ("stack_dim", lambda L: L.stack([L.zeros(2, 3)], -4), True),
    ("transpose_dim", lambda L: L.zeros(2, 3).transpose(0, -3), True),
    ("unsqueeze_dim", lambda L: L.zeros(2, 3).unsqueeze(3), True),
    ("squeeze_dim", lambda L: L.zeros(2, 3).squeeze(2), True),
    ("permute_len", lambda L: L.zeros(2, 3).permute(0), False),
    ("permute_repeat", lambda L: L.zeros(2, 3).permute(0, 0), False),
    ("expand_size", lambda L: L.zeros(3, 4).expand(2, 3), False),
    ("expand_fewer", lambda L: L.zeros(3, 4).expand(4), False),
    ("flatten_order", lambda L: L.zeros(2, 3, 4).flatten(2, 1), True),
    ("flatten_dim", lambda L: L.zeros(2, 3).flatten(0, 5), True),
    ("unflatten_sizes", lambda L: L.zeros(3, 4).unflatten(1, (3, 2)), True),
    ("narrow_length", lambda L: L.zeros(3, 4).narrow(1, 3, 2), True),
    ("narrow_start", lambda L: L.zeros(3, 4).narrow(1, 5, 0), True),
    ("select_index", lambda L: L.zeros(3, 4).select(1, 4), True),
    ("select_dim", lambda L: L.zeros(3, 4).select(2, 0), True),
    ("unbind_dim", lambda L: L.zeros(3, 4).unbind(-3), True),
    ("split_sizes", lambda L: L.zeros(6).split([2, 3]), True),
    ("split_zero", lambda L: L.zeros(6).split(0), True),
    ("chunk_zero", lambda L: L.zeros(5).chunk(0), True),
    ("tensor_split_zero", lambda L: L.zeros(5).tensor_split(0), True),
    ("hsplit_divisible", lambda L: L.zeros(3, 5).hsplit(2), True),
    ("vsplit_ndim", lambda L: L.zeros(5).vsplit(2), True),
    ("movedim_count", lambda L: L.zeros(3, 5).movedim((0, 1), (0,)), True),
    ("movedim_repeat", lambda L: L.zeros(3, 5).movedim((0, 0), (0, 1)), True),
    ("movedim_dim", lambda L: L.zeros(3, 5).movedim(2, 0), True),
    ("t_ndim", lambda L: L.zeros(3, 5, 2).t(), True),
    ("mT_ndim", lambda L: L.zeros(3).mT, True),
    ("H_ndim", lambda L: L.zeros(3, 4, 5).H, True),
    ("as_strided_bounds", lambda L: L.zeros(3).as_strided((3, 3), (1, 1)), True),
    ("as_strided_negative", lambda L: L.zeros(3).as_strided((3, 3), (-1, 1)), True),
    ("diagonal_same_dims", lambda L: L.zeros(3, 4).diagonal(0, 0, 0), True),
    ("diagonal_dim", lambda L: L.zeros(3, 4).diagonal(0, 0, 2), True),
    ("broadcast_shapes", lambda L: L.broadcast_shapes((3, 1), (2, 4)), False),
    ("broadcast_tensors", lambda L: L.broadcast_tensors(L.zeros(3), L.zeros(4)), False),
    ("view_dtype_stride", lambda L: L.zeros(3, 4).t().view(L.float16), True),
    ("view_dtype_0d", lambda L: L.zeros(()).view(L.float16), True),
    ("view_dtype_size", lambda L: L.zeros(3, 5, dtype=L.float16).view(L.float32), True),
    ("unfold_size", lambda L: L.zeros(4, 6).unfold(1, 7, 1), True),
    ("unfold_step", lambda L: L.zeros(4, 6).unfold(1, 3, 0), True),
    ("unfold_dim", lambda L: L.zeros(4, 6).unfold(2, 1, 1), True),
    ("flip_repeat", lambda L: L.zeros(3, 4).flip(0, 0), True),
    ("flip_dim", lambda L: L.zeros(3, 4).flip(2), True),
    ("roll_align", lambda L: L.zeros(3, 4).roll((1, 2)), True),
    ("repeat_fewer", lambda L: L.zeros(3, 4).repeat(2), True),
    ("repeat_interleave_sizes",
     lambda L: L.tensor([1, 2]).repeat_interleave(L.tensor([1, 2, 3])), True),
    ("repeat_interleave_negative", lambda L: L.tensor([1, 2]).repeat_interleave(-1), True),
    ("tril_1d", lambda L: L.zeros(3).tril(), True),
    ("fliplr_1d", lambda L: L.zeros(3).fliplr(), True),
    ("rot90_dims", lambda L: L.zeros(3, 3).rot90(1, (0, 0)), True),
    ("diag_3d", lambda L: L.zeros(3, 3, 3).diag(), True),
    ("trace_3d", lambda L: L.zeros(3, 3, 3).trace(), True),
    ("diag_embed_0d", lambda L: L.diag_embed(L.zeros(())), True),
    ("block_diag_3d", lambda L: L.block_diag(L.zeros(2, 2, 2)), True),
    ("meshgrid_2d", lambda L: L.meshgrid(L.zeros(2, 2), indexing="ij"), False),
    ("meshgrid_indexing", lambda L: L.meshgrid(L.zeros(2), indexing="ab"), True),
    ("cartesian_prod_2d", lambda L: L.cartesian_prod(L.zeros(2, 2)), True),
    ("cdist_1d", lambda L: L.cdist(L.zeros(3), L.zeros(3, 3)), True),
    ("cdist_columns", lambda L: L.cdist(L.zeros(2, 3), L.zeros(3, 4)), True),
    ("cdist_negative_p", lambda L: L.cdist(L.zeros(2, 3), L.zeros(3, 3), p=-1), True),
    ("cdist_ints", lambda L: L.cdist(L.zeros(2, 3, dtype=L.int64), L.zeros(3, 3, dtype=L.int64)),
     True),
    ("cdist_dtypes", lambda L: L.cdist(L.zeros(2, 3), L.zeros(3, 3, dtype=L.float64)), True),
    ("cdist_batch", lambda L: L.cdist(L.zeros(2, 2, 3), L.zeros(3, 3, 3)), False),
    ("combinations_2d", lambda L: L.combinations(L.zeros(2, 2)), True),
    ("combinations_negative", lambda L: L.combinations(L.zeros(2), -1), True),
    ("hstack_empty", lambda L: L.hstack([]), True),
    ("slice_scatter_shape", lambda L: L.slice_scatter(L.zeros(4, 4), L.zeros(2, 4), 0, 0, 3),
     True),
]


@pytest.mark.parametrize("name,call,same_message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name, call, same_message):
    try:
        call(T)
    except Exception as e:  # noqa: BLE001 - whatever torch raises is the expectation
        expected, message = type(e), str(e).split("\n")[0]
    else:
        raise AssertionError(f"{name}: torch did not raise")
    with pytest.raises(expected) as info:
        call(E)
    if same_message:
        assert message in str(info.value), f"{name}: {info.value!r} lacks torch's {message!r}"
