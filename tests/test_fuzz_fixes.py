"""Corner cases the differential fuzzer found in reductions, elementwise arithmetic, linear
algebra and the layer functions, each compared with PyTorch on the call that showed it:
PyTorch's result, or its exception class."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close


def _both(fn):
    """``fn(lib)`` for Ember and PyTorch: both results, or both exception classes."""
    out = []
    for lib in (ember, torch):
        try:
            out.append(fn(lib))
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            out.append(type(e))
    return out


def _same(fn):
    e, t = _both(fn)
    if isinstance(t, type):
        assert isinstance(e, type), f"ember returned {e!r}, torch raised {t.__name__}"
        torch_class = next(c for c in t.__mro__ if c.__module__ == "builtins")
        assert issubclass(e, torch_class), f"ember raised {e.__name__}, torch {t.__name__}"
        return
    assert not isinstance(e, type), f"ember raised {e.__name__}, torch returned {t!r}"
    for x, y in zip(e if isinstance(e, tuple) else (e,), t if isinstance(t, tuple) else (t,)):
        assert_close(x, y, check_dtype=True)


def _t(lib, values, dtype=None):
    return lib.tensor(values, dtype=getattr(lib, dtype) if dtype else None)


@pytest.mark.parametrize("reduction", [-1, 0, 1, 2, 3, 4])
def test_aten_loss_reduction_codes(reduction):
    # torch.<loss> takes ATen's codes: 1 mean, 2 sum, any other leaves the loss unreduced
    _same(lambda lib: lib.hinge_embedding_loss(_t(lib, [0.5, -2.0, 3.0]),
                                               _t(lib, [1.0, -1.0, -1.0]), 1.0, reduction))
    _same(lambda lib: lib.poisson_nll_loss(_t(lib, [0.5, 2.0]), _t(lib, [1.0, 3.0]), True,
                                           False, 1e-8, reduction))


def test_aten_losses_broadcast_and_keep_integer_types():
    _same(lambda lib: lib.margin_ranking_loss(_t(lib, [1.0, 2.0]), _t(lib, [[0.0], [3.0]]),
                                              _t(lib, [1.0, -1.0]), 0.0, 0))
    _same(lambda lib: lib.hinge_embedding_loss(_t(lib, [1, 2]), _t(lib, [1, -1]), 2.5, 0))
    # the in-place accumulation into (1 - target): its shape and dtype, or PyTorch's refusal
    _same(lambda lib: lib.binary_cross_entropy_with_logits(_t(lib, 0.3), _t(lib, [1.0, 0.0]),
                                                           None, None, 0))
    _same(lambda lib: lib.binary_cross_entropy_with_logits(_t(lib, [0.3, 0.1]), _t(lib, 1.0),
                                                           None, None, 0))
    _same(lambda lib: lib.kl_div(_t(lib, [1, 2]), _t(lib, [0.5, 0.5])))


def test_small_integer_types_wrap_python_ints():
    _same(lambda lib: _t(lib, [7, 5], "uint8") + -1)
    _same(lambda lib: lib.add(_t(lib, [7, 5], "uint8"), _t(lib, [7, 5], "uint8"), alpha=-1))
    _same(lambda lib: lib.bitwise_or(-1, _t(lib, [7, 9], "uint8")))
    _same(lambda lib: lib.addr(_t(lib, [1], "uint8"), _t(lib, [2], "uint8"),
                               _t(lib, [3], "uint8"), beta=-1))
    _same(lambda lib: lib.threshold(_t(lib, [8, 1, 0], "uint8"), -1, 3))


def test_scale_arguments_refused_like_pytorch():
    _same(lambda lib: lib.sub(_t(lib, [1.0]), _t(lib, [2.0]), alpha=1j))
    _same(lambda lib: lib.addr(_t(lib, [1, 2]), _t(lib, [1, 2]), _t(lib, [1, 2]), beta=0.5))
    _same(lambda lib: lib.addmm(_t(lib, [[1]]), _t(lib, [[2]]), _t(lib, [[3]]), beta=0.5))
    _same(lambda lib: lib.subtract(_t(lib, [1.0, 2.0]), 3.0, 2))  # alpha by position


def test_unknown_keyword_is_refused_before_the_values():
    _same(lambda lib: lib.sub(_t(lib, [True]), _t(lib, [True]), bogus=1))


def test_edge_values():
    x = [-0.5, 0.3, 2.0, math.nan]
    _same(lambda lib: lib.logit(_t(lib, x), eps=1))
    _same(lambda lib: lib.threshold(_t(lib, [0.5, 1.0, math.nan, 3.0]), 1.0, 7.0))
    a, s = [0.0, 0.0, 1.0, math.inf, 2.0], [1.0, 0.0, 0.0, 1.0, math.inf]
    _same(lambda lib: lib.igamma(_t(lib, a), _t(lib, s)))
    _same(lambda lib: lib.igammac(_t(lib, a), _t(lib, s)))
    _same(lambda lib: lib.polygamma(1, _t(lib, [math.inf, -math.inf, 2.0])))
    _same(lambda lib: lib.lerp(_t(lib, [math.inf, 1.0]), _t(lib, [0.0, 2.0]),
                               _t(lib, [0.2, 0.9])))


def test_lerp_types():
    _same(lambda lib: lib.lerp(_t(lib, [1.0, 2.0]), _t(lib, 3.0, "float64"), 0.5))
    _same(lambda lib: lib.lerp(_t(lib, [1.0, 2.0]), _t(lib, [3.0, 4.0]),
                               _t(lib, 0.5, "float64")))
    _same(lambda lib: lib.lerp(_t(lib, [1, 2]), _t(lib, [3, 4]), _t(lib, 0.5)))


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool", "complex64"])
def test_softmax_checks_dim_then_dtype(dtype):
    for shape in [(0,), (2, 0), (3,), ()]:
        data = np.zeros(shape, dtype=dtype)
        for dim in (0, -1, 2):
            _same(lambda lib: lib.softmax(lib.from_numpy(data.copy()), dim))
            _same(lambda lib: lib.log_softmax(lib.from_numpy(data.copy()), dim,
                                              dtype=lib.int64))


def test_refusals_skipped_where_no_kernel_runs():
    for shape in [(0,), (2, 0), ()]:
        data = np.zeros(shape, dtype=np.complex64)
        _same(lambda lib: lib.cummax(lib.from_numpy(data.copy()), 0))
        _same(lambda lib: lib.amax(lib.from_numpy(data.copy()), -1))
        _same(lambda lib: lib.mode(lib.from_numpy(data.copy())))
        _same(lambda lib: lib.cholesky(lib.from_numpy(data.astype(np.int32))))
    _same(lambda lib: lib.cummax(lib.zeros(2, 0), 5))  # an empty scan reads no dim
    _same(lambda lib: lib.cumsum(lib.zeros(2), 0, dtype=lib.bool))
    _same(lambda lib: lib.cumsum(lib.zeros(0), 0, dtype=lib.bool))


def test_reductions_over_no_dims():
    data = np.array([[1, 0], [2, 3]])
    _same(lambda lib: lib.all(lib.from_numpy(data.copy()), dim=()))
    _same(lambda lib: lib.any(lib.from_numpy(data.copy()), dim=(), keepdim=True))
    _same(lambda lib: lib.logsumexp(lib.ones(2, 2), dim=()))
    _same(lambda lib: lib.logsumexp(lib.ones(2, 2), dim=(), keepdim=True))
    _same(lambda lib: lib.aminmax(lib.zeros(0), dim=0))


def test_mean_dtypes():
    _same(lambda lib: lib.mean(lib.ones(3), dtype=lib.int64))
    _same(lambda lib: lib.mean(lib.ones(3, dtype=lib.int32), dtype=lib.float64))
    _same(lambda lib: lib.nansum(lib.ones(2), dtype=lib.complex64))
    _same(lambda lib: lib.nansum(lib.ones(2, dtype=lib.int32), dtype=lib.complex64))


def test_trapezoid_family():
    _same(lambda lib: lib.trapezoid(lib.zeros(2, 0, dtype=lib.int16), dx=-1))
    _same(lambda lib: lib.trapezoid(_t(lib, [1.0, 2.0]), _t(lib, 2.0)))
    _same(lambda lib: lib.trapezoid(_t(lib, [1, 2, 3])))
    _same(lambda lib: lib.trapezoid(_t(lib, [True])))
    _same(lambda lib: lib.trapezoid(lib.zeros(0, dtype=lib.bool)))
    _same(lambda lib: lib.cumulative_trapezoid(_t(lib, [1.0]), _t(lib, 1.0)))
    _same(lambda lib: lib.cumulative_trapezoid(_t(lib, 1.0)))


def test_linear_algebra_argument_checks():
    _same(lambda lib: lib.mv(_t(lib, 1.0), _t(lib, [1.0])))
    _same(lambda lib: lib.cross(_t(lib, 3.0), _t(lib, 0.0), dim=0))
    _same(lambda lib: lib.cross(_t(lib, [3.0, 3.0, 1.0]), lib.ones(4, 3), 1))
    _same(lambda lib: lib.svd(_t(lib, [1.0])))
    _same(lambda lib: lib.adjoint(_t(lib, 1 + 2j)))
    _same(lambda lib: lib.inner(_t(lib, 2.0), _t(lib, [[1, 2]])))
    _same(lambda lib: lib.chain_matmul(3, 3))
    _same(lambda lib: lib.tensordot(lib.ones(3, 2), lib.ones(3), (1, 0)))
    _same(lambda lib: lib.tensordot(lib.ones(3), lib.ones(3, 3), 2))
    _same(lambda lib: lib.cdist(lib.ones(2, 2), lib.ones(2, 2), compute_mode=None))
    _same(lambda lib: lib.pdist(lib.ones(2, 3, dtype=lib.int32)))
    _same(lambda lib: lib.lu(lib.zeros(2, 0, 3, dtype=lib.int32), get_infos=True))


def test_lu_unpack_checks_the_pivots():
    # PyTorch reads pivots of the wrong shape out of bounds (tests/fuzzing.py doesn't call
    # it so): Ember refuses them; the dtype and rank checks are PyTorch's
    LU = ember.ones(2, 2)
    for pivots in (ember.zeros(2, 0, dtype=ember.int32), ember.ones(3, dtype=ember.int32)):
        with pytest.raises(RuntimeError, match="pivots"):
            ember.lu_unpack(LU, pivots)
    _same(lambda lib: lib.lu_unpack(lib.ones(2, 2), lib.ones(2)))
    _same(lambda lib: lib.lu_unpack(lib.ones(2), lib.ones(2, dtype=lib.int32)))
    _same(lambda lib: lib.lu_unpack(lib.ones(2, 2), _t(lib, [3, 2], "int32")))


def test_tensordot_sums_against_a_size_one_dim(rng):
    a, b = rng.standard_normal((2, 1, 3)), rng.standard_normal((4, 3, 5))
    grads = []
    for lib in (ember, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = lib.tensordot(x, y, dims=([1, 2], [0, 1]))
        out.sum().backward()
        grads.append((out, x.grad, y.grad))
    for e, t in zip(*grads):
        assert_close(e, t)


def test_pools_and_layer_functions():
    _same(lambda lib: lib.adaptive_avg_pool1d(lib.ones(2, 3, dtype=lib.int32), 0))
    _same(lambda lib: lib.adaptive_avg_pool1d(lib.ones(2, 3, dtype=lib.int32), 2))
    _same(lambda lib: lib.adaptive_max_pool1d(lib.ones(2, 0, 3), 3))
    _same(lambda lib: lib.max_pool2d(lib.ones(1, 4, 4), 2, stride=0))
    _same(lambda lib: lib.avg_pool1d(lib.ones(1, 1, 4, dtype=lib.int32), 2))
    _same(lambda lib: lib.avg_pool1d(lib.ones(1, 1, 4), 2, ()))
    _same(lambda lib: lib.pixel_unshuffle(lib.zeros(1, 0, 0), 2))
    _same(lambda lib: lib.prelu(lib.ones(1, 2), lib.ones(1, dtype=lib.float64)))
    _same(lambda lib: lib.prelu(lib.ones(1, 1), lib.ones(1, 1)))
    _same(lambda lib: lib.bilinear(lib.ones(2), lib.ones(2), lib.ones(2)))
    _same(lambda lib: lib.rms_norm(lib.ones(()), (2,)))
    _same(lambda lib: lib.rms_norm(lib.ones(2, dtype=lib.int32), (2,)))
    _same(lambda lib: lib.cosine_similarity(lib.ones(2, dtype=lib.int64), lib.ones(2), 0))
    _same(lambda lib: lib.pairwise_distance(lib.ones(2, 3, dtype=lib.int32),
                                            lib.zeros(2, 3, dtype=lib.int32)))
    _same(lambda lib: lib.norm_except_dim(lib.ones(3, 2), 2, 0))
    _same(lambda lib: lib.norm_except_dim(lib.ones(4), 2, 0))


def test_zero_size_shapes():
    _same(lambda lib: lib.zeros(0, 3, 2).flatten(1))
    _same(lambda lib: lib.zeros(2, 0, 3).flatten(0, 1))
    _same(lambda lib: lib.tensor(0.5).unfold(0, 0, 1))
    _same(lambda lib: lib.tensor(0.5).unfold(0, 1, 1))
    _same(lambda lib: lib.zeros(2, 0, 3).view(lib.int16))
    _same(lambda lib: lib.zeros(0, 3).view(lib.int64))
    # -1 copies of nothing is nothing; a negative size of something is refused
    _same(lambda lib: lib.zeros(2, 0).tile((-2,)))
    _same(lambda lib: lib.zeros(0).tile((0, -2)))
    _same(lambda lib: lib.zeros(2, 0).repeat(1, -2))
    _same(lambda lib: lib.zeros(0).repeat(-1, 2))
    _same(lambda lib: lib.zeros(2, 1).repeat(1, -2))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8"])
def test_integer_ranges_round_their_bounds(dtype):
    for start, end, step in [(0, 0.5, 1), (0, 2.5, 1), (2, -1.5, -1.5), (-1.5, 2.5, 1),
                             (-1, 1, 0.25), (5, 0.5, -1.3), (0.5, 3.7, 1.3)]:
        _same(lambda lib: lib.arange(start, end, step, dtype=getattr(lib, dtype)))
    for start, end, steps in [(1, -1, 4), (1.7, 10.9, 5), (2.7, 10, 1), (0, 10, 4)]:
        _same(lambda lib: lib.linspace(start, end, steps, dtype=getattr(lib, dtype)))
    for start, end, steps, base in [(0.5, 0.5, 2, 10), (0.001, 2.5, 4, -1), (-1.5, 2.5, 5, 2.5),
                                    (0, 1, 3, -2)]:
        _same(lambda lib: lib.logspace(start, end, steps, base, dtype=getattr(lib, dtype)))
    _same(lambda lib: lib.linspace(1, -1, 4, dtype=lib.uint8))  # the bounds wrap first
    _same(lambda lib: lib.logspace(0, 1, 3, -2, dtype=lib.uint8))


def test_spaces_with_complex_bounds():
    for lib_dtype in (None, "float32", "complex128", "int64"):
        def call(lib, space):
            dtype = getattr(lib, lib_dtype) if lib_dtype else None
            return getattr(lib, space)(_t(lib, 0.95), _t(lib, 0.5 - 0.25j, "complex128"), 3,
                                       dtype=dtype)
        _same(lambda lib: call(lib, "linspace"))
        _same(lambda lib: call(lib, "logspace"))
    _same(lambda lib: lib.linspace(0.5, 1 + 1j, 0, dtype=lib.float32))


def test_powers_of_infinities():
    _same(lambda lib: lib.vander(_t(lib, [0.29, -math.inf, math.nan]), increasing=True))
    _same(lambda lib: lib.vander(_t(lib, [math.inf, 2.0]), N=1))
    _same(lambda lib: lib.matrix_power(_t(lib, [[[-1.5]], [[-math.inf]]]), 0))
    _same(lambda lib: lib.matrix_power(lib.zeros(2, 2, dtype=lib.bool), 0))
    _same(lambda lib: lib.matrix_power(lib.zeros(3, 0, 0, dtype=lib.bool), 3))
    _same(lambda lib: lib.matrix_power(lib.zeros(2, 2, dtype=lib.bool), 2))


def test_true_division_of_integers_casts_them_to_float_first():
    u8 = [3, 4]
    _same(lambda lib: lib.div(_t(lib, u8, "uint8"), _t(lib, -5, "int32")))
    _same(lambda lib: lib.true_divide(_t(lib, -3), _t(lib, [0, 7], "uint8")))
    _same(lambda lib: _t(lib, u8, "uint8") / _t(lib, -5, "int32"))
    _same(lambda lib: lib.div(_t(lib, u8, "uint8"), _t(lib, -5, "int32"), rounding_mode="floor"))
    _same(lambda lib: lib.div(_t(lib, u8, "uint8"), _t(lib, -5, "int32"), rounding_mode="trunc"))


@pytest.mark.parametrize("alpha", [-1, 0, 2, True])
def test_bool_sums_keep_bool(alpha):
    _same(lambda lib: lib.add(_t(lib, [False, True, False]), _t(lib, [True, True, False]),
                              alpha=alpha))
    _same(lambda lib: lib.add(_t(lib, [False, True]), True, alpha=alpha))
    _same(lambda lib: lib.add(_t(lib, [1, 2], "uint8"), True, alpha=alpha))


def test_ldexp_result_types():
    _same(lambda lib: lib.ldexp(_t(lib, 1.18, "float64"), _t(lib, [[-3], [4]])))
    _same(lambda lib: lib.ldexp(_t(lib, 1.2 + 1j, "complex128"), _t(lib, [-3, 4], "int16")))
    _same(lambda lib: lib.ldexp(_t(lib, [1.0, 2.0], "float16"), _t(lib, [[-3], [4]])))
    _same(lambda lib: lib.ldexp(_t(lib, [1, 2]), _t(lib, [[-3], [4]])))


def test_bfloat16_special_values_and_casts():
    x = [1.8, -math.inf, math.inf, math.nan, -3.45, 300.5]
    # (compared in float32: the helpers compare no bfloat16 arrays)
    _same(lambda lib: lib.nan_to_num(_t(lib, x, "bfloat16")).float())
    _same(lambda lib: _t(lib, x, "bfloat16").nan_to_num_(nan=0.5, neginf=2).float())
    _same(lambda lib: lib.sgn(_t(lib, x, "bfloat16")).float())
    _same(lambda lib: _t(lib, x[4:], "bfloat16").to(lib.uint8))
    _same(lambda lib: lib.cumsum(_t(lib, [-0.33, -3.45, 1.6], "bfloat16"), 0, dtype=lib.uint8))


def test_scalar_arguments_in_the_tensor_type():
    _same(lambda lib: lib.constant_pad_nd(_t(lib, [5, 0], "uint8"), (1, 1), -1))
    _same(lambda lib: lib.logspace(0.5, 2, 1, dtype=lib.int8))
    _same(lambda lib: lib.dist(_t(lib, [[1.0, 2.0]]), _t(lib, 5.0), p=1 + 2j))
    _same(lambda lib: _t(lib, [[1.0, 2.0]], "float64").addr_(
        _t(lib, [0.5], "float64"), _t(lib, [1.0, 3.0], "float64"), beta=1 + 2j, alpha=0))


def test_covariance_weights():
    _same(lambda lib: lib.cov(_t(lib, [[-1.6 + 0.4j, 2.0]], "complex128"),
                              fweights=_t(lib, [4, 1], "int32")))
    _same(lambda lib: lib.cov(_t(lib, [1.0, 2.0], "float64"), aweights=_t(lib, [math.nan, 1.0],
                                                                           "float64")))


def test_matrix_vector_sums_of_odd_shapes():
    # a 0-d input with mismatched operands: PyTorch's message reads input.size(0)
    _same(lambda lib: lib.addmv(_t(lib, 1.0), lib.ones(1, 2), lib.ones(3)))
    _same(lambda lib: _t(lib, 1.0).addmv_(lib.ones(1, 2), lib.ones(3)))
    _same(lambda lib: lib.addbmm(lib.ones(3, 2), lib.ones(0, 3, 4), lib.ones(0, 4, 2)))


def test_index_put_order_of_checks():
    _same(lambda lib: lib.index_put(lib.zeros(0), [_t(lib, -1)], lib.ones(3)))
    _same(lambda lib: lib.index_put(lib.zeros(0, 3), [_t(lib, [1, -3])], lib.ones(2, 2)))
    # indices that broadcast to nothing select nothing, in bounds or not
    nothing = [0, 4]
    _same(lambda lib: lib.index_put(lib.zeros(*nothing), [_t(lib, -1),
                                                          lib.zeros(*nothing, dtype=lib.int64)],
                                    _t(lib, 8.0)))
    _same(lambda lib: lib.zeros(1, 1, 0).index_put_([_t(lib, [[-2, 0]])], _t(lib, 1.0)))
    # one mask and one value: a masked fill, of any shape and dtype
    _same(lambda lib: lib.index_put(lib.ones(1, 1), [_t(lib, [[False]])], _t(lib, [[2.0]])))
    _same(lambda lib: lib.index_put(lib.ones(2, 2), [_t(lib, [[True, False], [False, True]])],
                                    _t(lib, [[7]])))
    _same(lambda lib: lib.index_put(lib.ones(2, 2), [_t(lib, [[True, False], [False, True]])],
                                    _t(lib, [[7]]), accumulate=True))


def test_histogram_bins():
    for value in (0.41937, -3.5299, 3.1256, -1.8759):
        for dtype in ("float64", "float32", "float16"):
            _same(lambda lib: lib.histc(_t(lib, value, dtype)))
            _same(lambda lib: lib.histc(_t(lib, value, dtype), bins=2))
    _same(lambda lib: lib.histogram(_t(lib, [[0.46, 2.36, 0.13]]), _t(lib, [0.5, 2.3, 2.9])))
    # PyTorch doesn't check that the edges increase: a binary search over them as they are
    _same(lambda lib: lib.histogram(_t(lib, [[0.46, 2.36, 0.13]]), _t(lib, [2.99, 1.6, 2.29])))
    _same(lambda lib: lib.histogram(_t(lib, [0.1, 0.5, 0.7, 2.0]), 3,
                                    weight=_t(lib, [1.0, -2, 3, 4]), density=True))
    _same(lambda lib: lib.histogram(lib.zeros(0), 4))
    _same(lambda lib: lib.histogram(lib.ones(3), 4, range=(1.0, 0.0)))
    _same(lambda lib: lib.histogram(_t(lib, [1.0, math.inf]), 4))


def test_campaign_corner_cases():
    _same(lambda lib: lib.bincount(lib.zeros(0, dtype=lib.uint8), lib.ones(2, 2), 3))
    _same(lambda lib: lib.rms_norm(_t(lib, [1.0 + 1j, 2.0, 3.0]), (3,),
                                   _t(lib, [0.5, 1.0, 2.0], "float64")))
    _same(lambda lib: lib.matrix_exp(_t(lib, [[[math.inf, 1.0], [0.0, 1.0]],
                                              [[1.0, 2.0], [0.0, 1.0]]], "float64")))
    _same(lambda lib: lib.lu_solve(lib.ones(4, 4), lib.ones(4, 4), _t(lib, -1, "int32")))
    _same(lambda lib: lib.linalg.lu_solve(lib.ones(3, 1), _t(lib, 1, "int32"), lib.ones(3, 1)))
    _same(lambda lib: lib.constant_pad_nd(lib.zeros(2, 0), (-1, 2)))
    _same(lambda lib: lib.constant_pad_nd(lib.ones(2), (-3, 4)))
    _same(lambda lib: lib.constant_pad_nd(lib.ones(3), (-1, 2)))
    _same(lambda lib: lib.histc(_t(lib, [1.5], "float16"), -1, 1 + 2j))
    _same(lambda lib: lib.addr(_t(lib, 3.2 + 0.6j, "complex128"), _t(lib, [-2.0]),
                               _t(lib, [-0.25])))
    _same(lambda lib: lib.bilinear(_t(lib, [[1, 2]], "int8"), _t(lib, [[3, 1]], "int8"),
                                   _t(lib, [[[1, 2], [3, 4]]], "int8")))
    _same(lambda lib: lib.poisson_nll_loss(_t(lib, [0, 1, 2], "uint8"), _t(lib, -5.5), False,
                                           True, -1, 0))


def test_bfloat16_predicates_and_reductions():
    x = [-math.inf, 1.0, math.nan, math.inf, -1.77]
    for name in ("isnan", "isinf", "isneginf", "isposinf", "isfinite"):
        _same(lambda lib: getattr(lib, name)(_t(lib, x, "bfloat16")))
    _same(lambda lib: lib.nansum(_t(lib, x[1:3] + x[4:], "bfloat16")).float())
    _same(lambda lib: lib.nansum(_t(lib, -1.77, "bfloat16"), 0, dtype=lib.uint8))
    y = [[0.87, 1.7], [1.08, -2.06]]
    _same(lambda lib: lib.prod(_t(lib, y, "bfloat16"), dim=-2, dtype=lib.uint8))
    _same(lambda lib: lib.sum(_t(lib, y, "bfloat16"), dim=-2, dtype=lib.int8))


def test_second_campaign_corner_cases():
    _same(lambda lib: lib.cross(_t(lib, [1.0, 2.0, 3.0]), _t(lib, [[0.5, 1.0, 2.0]])))
    _same(lambda lib: lib.view_as_complex(lib.zeros(2, 0, 2)))
    _same(lambda lib: lib.nn.functional.hardshrink(_t(lib, [math.nan, 0.3, -0.7, 0.5, -0.5])))
    _same(lambda lib: _t(lib, [[4], [1], [3]], "uint8").fill_diagonal_(-1))
    _same(lambda lib: lib.matrix_exp(_t(lib, [[[-math.inf]], [[math.inf]], [[1.0]]], "float64")))
    _same(lambda lib: lib.unflatten(lib.zeros(1, 0), 0, (-1,)))


def test_third_campaign_corner_cases():
    for a, b in [((1, 3), (3, 3)), ((3, 1), (3, 3)), ((3, 3), (1, 3)), ((2, 1), (2, 3))]:
        _same(lambda lib: lib.cross(lib.ones(*a), lib.arange(float(math.prod(b))).reshape(b)))
    # accumulated values broadcast against the indices (NumPy's add.at pairs them wrongly)
    _same(lambda lib: lib.zeros(2).index_put_([_t(lib, [[0, 0], [1, 0]])], _t(lib, [1.5, -2.0]),
                                              accumulate=True))
    _same(lambda lib: lib.index_put(_t(lib, [[0.15, -0.29], [0.68, 2.57]]),
                                    [_t(lib, [[-2, -2], [1, -2]]), _t(lib, -1)],
                                    _t(lib, [1.5, -2.0]), accumulate=True))
    _same(lambda lib: lib.fill_(_t(lib, [7], "uint8"), _t(lib, -1.98, "bfloat16")))
    _same(lambda lib: lib.lu(_t(lib, [[[1.0]], [[0.0]]])))
    _same(lambda lib: lib.lu(_t(lib, [[1.0, 2.0], [2.0, 4.0]])))
    _same(lambda lib: lib.slogdet(_t(lib, [[[math.nan, 1.0], [2.0, 3.0]],
                                           [[1.0, 2.0], [3.0, 4.0]]])))
    x = [[3.39, -1.07, 1.73, 4.0, 5.0], [math.nan, -2.95, 0.244, math.inf, 1.0]]
    _same(lambda lib: lib.nn.functional.adaptive_avg_pool1d(_t(lib, x), 3))
    _same(lambda lib: lib.nn.functional.adaptive_avg_pool2d(_t(lib, [x, x]), (2, 3)))
    _same(lambda lib: lib.addmv(lib.ones(2), _t(lib, [[math.nan, 1.0], [1.0, 1.0]]), lib.ones(2),
                                alpha=0))
    _same(lambda lib: lib.addmm(lib.ones(2, 2), _t(lib, [[math.nan, 1.0], [1.0, 1.0]]),
                                lib.ones(2, 2), alpha=0))
    _same(lambda lib: lib.index_put(lib.zeros(0), [], _t(lib, [[]])))
    _same(lambda lib: lib.index_put(lib.zeros(0, 3), [], _t(lib, [1.0, 2.0, 3.0])))
    _same(lambda lib: lib.zeros(2, 2, 0).index_put_([lib.zeros(2, 2, 0, dtype=lib.bool)],
                                                    _t(lib, 1.0, "float16"), accumulate=True))
    _same(lambda lib: lib.lu_solve(lib.ones(3, 3, 3), _t(lib, [[2.5]]), _t(lib, 5, "int32")))
    # complex logsumexp: the principal value of the log
    _same(lambda lib: lib.logsumexp(_t(lib, [[-0.77 + 0.46j, 0.8 - 0.37j, -3.14 + 0.55j],
                                             [0.73 - 1.79j, -5.18 + 0.49j, -2.05 - 3.31j]]), 0))
    _same(lambda lib: lib.nanmean(_t(lib, [[0.042], [-3.92], [math.nan]], "bfloat16"),
                                  keepdim=True).float())
    _same(lambda lib: lib.unflatten(lib.zeros(2, 6, 0), 1, (-1, -1)))


@pytest.mark.parametrize("left", [True, False])
def test_triangular_solves_broadcast_a_matrix_right_side_against_batched_factors(left, rng):
    # B has A's shape without the last dim: linalg.solve would read it as a batch of vectors,
    # a triangular solve (and cholesky_solve) as one matrix for every factor in the batch
    L = np.tril(rng.standard_normal((3, 2, 2))) + 3 * np.eye(2)
    b = rng.standard_normal((3, 2))
    results = []
    for T in (ember, torch):
        factors, rhs = T.tensor(L, requires_grad=True), T.tensor(b, requires_grad=True)
        x = T.linalg.solve_triangular(factors, rhs.T[:2].T if not left else rhs[:2],
                                      upper=False, left=left)
        x.square().sum().backward()
        y = T.cholesky_solve(rhs[:2].detach(), factors.detach())
        results.append((x, y, factors.grad, rhs.grad))
    for ours, theirs in zip(*results):
        assert_close(ours, theirs)
