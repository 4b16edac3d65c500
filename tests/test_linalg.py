"""Matrix products and `ember.linalg` beyond the op table: errors, named results, the older
top-level API, composite functions (norms, multi_dot, matrix_power, lstsq), dtypes."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember

from .helpers import assert_close, assert_raises_like_torch, pair
from .opinfo.decompositions import conditioned, spd


def _resolve(lib, name: str):
    """``lib.linalg.inv`` for ``'linalg.inv'``."""
    obj = lib
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _both(name, *arrays, **kwargs):
    """Run ``name`` ('linalg.inv', 'matmul'...) on ember and torch tensors of ``arrays``."""
    es, ts = zip(*(pair(a) for a in arrays))
    return _resolve(ember, name)(*es, **kwargs), _resolve(torch, name)(*ts, **kwargs)


def _raises(name, *args, **kwargs):
    """Both raise for these arguments (arrays become tensors), with the same exception type."""
    def call(lib, convert):
        args_ = [convert(a) if isinstance(a, np.ndarray) else a for a in args]
        return _resolve(lib, name)(*args_, **kwargs)
    assert_raises_like_torch(lambda: call(ember, ember.from_numpy),
                             lambda: call(torch, torch.from_numpy))


# ----------------------------------------------------------------------------- products

def test_mm_shape_error_names_both_shapes():
    a, b = ember.zeros(64, 784), ember.zeros(100, 10)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(64x784 and 100x10\)"):
        ember.mm(a, b)
    with pytest.raises(RuntimeError, match=r"64x784 and 100x10"):
        ember.matmul(a, b)


def test_matmul_batched_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\[7, 2, 3\].*\[7, 4, 5\]"):
        ember.matmul(ember.zeros(7, 2, 3), ember.zeros(7, 4, 5))


def test_matmul_does_not_promote():
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: "
                                           "float != double"):
        ember.matmul(ember.zeros(2, 3), ember.zeros(3, 4, dtype=ember.float64))


@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 5)), ((), (3,)),
                                    ((2, 2, 3), (3, 4, 5)), ((2, 3), (4, 5))])
def test_matmul_errors_like_torch(shapes):
    _raises("matmul", *(np.ones(s, np.float32) for s in shapes))


@pytest.mark.parametrize("name,shapes", [("mm", ((3,), (3, 3))), ("mm", ((2, 3), (3,))),
                                         ("bmm", ((2, 3), (3, 3))),
                                         ("bmm", ((2, 2, 3), (3, 3, 3))),
                                         ("mv", ((3,), (3,))), ("mv", ((2, 3), (4,))),
                                         ("dot", ((2, 2), (2,))), ("dot", ((2,), (3,))),
                                         ("vdot", ((2,), (3,))), ("outer", ((2, 2), (3,))),
                                         ("inner", ((2, 3), (4,))),
                                         ("tensordot", ((2, 3), (4, 3)))])
def test_product_errors_like_torch(name, shapes):
    _raises(name, *(np.ones(s, np.float32) for s in shapes))


def test_integer_matmul_stays_integer():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    e, t = _both("matmul", a, np.arange(3, dtype=np.int64))
    assert_close(e, t)
    e, t = _both("mm", a.astype(np.int32), a.T.astype(np.int32).copy())
    assert_close(e, t)


def test_float32_stays_float32_through_matmul_and_its_gradient(rng):
    a = ember.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    b = ember.tensor(rng.standard_normal((3,)).astype(np.float32), requires_grad=True)
    out = ember.matmul(a, b)
    assert out.dtype == ember.float32
    out.sum().backward()
    assert a.grad.dtype == ember.float32 and b.grad.dtype == ember.float32


def test_matmul_gradient_sums_broadcast_batch_dims(rng):
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal((2, 5, 4, 6))
    (ea, ta), (eb, tb) = pair(a, True), pair(b, True)
    ember.matmul(ea, eb).sum().backward()
    torch.matmul(ta, tb).sum().backward()
    assert_close(ea.grad, ta.grad)
    assert_close(eb.grad, tb.grad)


def test_addmm_inplace_and_beta_zero_ignores_nan(rng):
    c = np.full((2, 4), np.nan, np.float32)
    x, y = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    e, t = _both("addmm", c, x, y, beta=0)
    assert_close(e, t)
    ec, tc = pair(rng.standard_normal((2, 4)).astype(np.float32))
    ec.addmm_(ember.from_numpy(x), ember.from_numpy(y), alpha=2)
    tc.addmm_(torch.from_numpy(x), torch.from_numpy(y), alpha=2)
    assert_close(ec, tc)


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii", [(3, 3)]),
    ("ji", [(2, 3)]), ("Ba", [(2, 3)]), ("...ii->...i", [(2, 3, 3)]), ("i,i->", [(3,), (3,)]),
    ("bij,bjk,bkl->bil", [(2, 3, 4), (2, 4, 5), (2, 5, 2)]), ("ij->", [(2, 3)]),
    ("i...j,j...->...", [(2, 3, 4), (4, 3)]), ("aab,bc->ca", [(3, 3, 2), (2, 4)])])
def test_einsum_matches_torch_with_gradients(equation, shapes, rng):
    arrays = [rng.standard_normal(s) for s in shapes]
    es, ts = zip(*(pair(a, True) for a in arrays))
    e, t = ember.einsum(equation, *es), torch.einsum(equation, *ts)
    assert_close(e, t)
    g = rng.standard_normal(tuple(t.shape))
    e.backward(ember.tensor(g))
    t.backward(torch.tensor(g))
    for x, y in zip(es, ts):
        assert_close(x.grad, y.grad)


def test_einsum_sublist_and_list_forms(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    (ea, ta), (eb, tb) = pair(a), pair(b)
    assert_close(ember.einsum(ea, [0, 1], eb, [1, 2], [0, 2]),
                 torch.einsum(ta, [0, 1], tb, [1, 2], [0, 2]))
    assert_close(ember.einsum(ea, [0, Ellipsis], [Ellipsis]),
                 torch.einsum(ta, [0, Ellipsis], [Ellipsis]))
    assert_close(ember.einsum("ij,jk", [ea, eb]), torch.einsum("ij,jk", [ta, tb]))


@pytest.mark.parametrize("equation,shapes", [("ij,jk", [(2, 3)]), ("ij", [(2, 3), (3, 3)]),
                                             ("ijk", [(2, 3)]), ("ij,jk", [(2, 3), (4, 3)]),
                                             ("i1", [(2, 3)]), ("ij->k", [(2, 3)])])
def test_einsum_errors_like_torch(equation, shapes):
    arrays = [np.ones(s, np.float32) for s in shapes]
    assert_raises_like_torch(lambda: ember.einsum(equation, *map(ember.from_numpy, arrays)),
                             lambda: torch.einsum(equation, *map(torch.from_numpy, arrays)))


def test_einsum_result_owns_its_memory(rng):
    a = ember.tensor(rng.standard_normal((3, 3)))
    d = ember.einsum("ii->i", a)
    d.numpy()[0] = 100.0
    assert a.numpy()[0, 0] != 100.0


def test_linalg_cross_broadcasts_and_defaults_to_last_dim(rng):
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((1, 4, 3))
    (ea, ta), (eb, tb) = pair(a, True), pair(b, True)
    e, t = ember.linalg.cross(ea, eb), torch.linalg.cross(ta, tb)
    assert_close(e, t)
    e.sum().backward()
    t.sum().backward()
    assert_close(eb.grad, tb.grad)
    _raises("linalg.cross", np.ones((4, 2)), np.ones((4, 2)))


@pytest.mark.parametrize("shapes", [[(3,), (3, 4), (4, 5), (5,)], [(2, 3), (3, 4)],
                                    [(6, 2), (2, 7), (7, 3), (3, 1)], [(3,), (3,)]])
def test_multi_dot_matches_torch(shapes, rng):
    arrays = [rng.standard_normal(s) for s in shapes]
    es, ts = zip(*(pair(a, True) for a in arrays))
    e, t = ember.linalg.multi_dot(list(es)), torch.linalg.multi_dot(list(ts))
    assert_close(e, t)
    e.sum().backward()
    t.sum().backward()
    for x, y in zip(es, ts):
        assert_close(x.grad, y.grad)


def test_chain_matmul(rng):
    arrays = [rng.standard_normal(s) for s in [(2, 3), (3, 4), (4, 2)]]
    e, t = _both("chain_matmul", *arrays)
    assert_close(e, t)


# ----------------------------------------------------------------------------- ember.linalg

def test_linalg_error_is_a_runtime_error():
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    singular = np.ones((3, 3))
    for name in ("linalg.inv", "inverse", "linalg.cholesky"):
        with pytest.raises(ember.linalg.LinAlgError):
            _call(name, singular)
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.solve(ember.zeros(2, 2), ember.ones(2))


def _call(name, *arrays, **kwargs):
    return _resolve(ember, name)(*map(ember.from_numpy, arrays), **kwargs)


@pytest.mark.parametrize("name,shape,dtype", [
    ("linalg.inv", (2, 3), np.float32), ("linalg.inv", (3,), np.float32),
    ("linalg.det", (2, 3), np.float32), ("linalg.inv", (2, 2), np.int64),
    ("linalg.svd", (2, 2), np.int32), ("linalg.cholesky", (2, 3), np.float64),
    ("linalg.eigh", (2, 3), np.float64), ("linalg.vector_norm", (3,), np.int64),
    ("matrix_power", (2, 3), np.float32)])
def test_bad_inputs_raise_like_torch(name, shape, dtype):
    array = np.ones(shape, dtype)
    _raises(name, *((array, 2) if name == "matrix_power" else (array,)))


@pytest.mark.parametrize("kwargs", [{"UPLO": "X"}])
def test_eigh_bad_uplo(kwargs):
    _raises("linalg.eigh", np.eye(3), **kwargs)


def test_named_results(rng):
    A = conditioned(rng, (3, 3), np.float64)
    e = ember.linalg.slogdet(ember.from_numpy(A))
    assert_close(e.logabsdet, torch.linalg.slogdet(torch.from_numpy(A)).logabsdet)
    values, vectors = ember.linalg.eigh(ember.from_numpy(spd(rng, (3, 3), np.float64)))
    assert values.shape == (3,) and vectors.shape == (3, 3)
    Q, R = ember.linalg.qr(ember.from_numpy(A))
    assert_close(ember.matmul(Q, R), torch.from_numpy(A))
    U, S, Vh = ember.linalg.svd(ember.from_numpy(A))
    assert_close(ember.matmul(U * S.unsqueeze(-2), Vh), torch.from_numpy(A))


def test_svd_full_matrices_rectangular_gradient_through_singular_values(rng):
    A = conditioned(rng, (5, 3), np.float64)
    (ea, ta) = pair(A, True)
    eu, es, evh = ember.linalg.svd(ea)
    tu, ts, tvh = torch.linalg.svd(ta)
    assert eu.shape == tu.shape and evh.shape == tvh.shape
    (es.sum() + eu.abs().sum() * 0).backward()
    (ts.sum() + tu.abs().sum() * 0).backward()
    assert_close(ea.grad, ta.grad)


def test_old_svd_returns_v(rng):
    A = conditioned(rng, (2, 5, 3), np.float64)
    for some in (True, False):
        e, t = _both("svd", A, some=some)
        assert [tuple(x.shape) for x in e] == [tuple(x.shape) for x in t]
        assert_close(e.S, t.S)
        assert_close(e.V.abs(), t.V.abs())
    e, t = _both("svd", A, compute_uv=False)
    assert_close(e.S, t.S)
    assert [tuple(x.shape) for x in e] == [tuple(x.shape) for x in t]


def test_old_qr_and_top_level_aliases(rng):
    A = conditioned(rng, (4, 3), np.float64)
    for some in (True, False):
        e, t = _both("qr", A, some=some)
        assert_close(e.R.abs(), t.R.abs())
    sq = conditioned(rng, (2, 3, 3), np.float64)
    for name in ("det", "inverse", "logdet", "pinverse"):
        e, t = _both(name, sq)
        assert_close(e, t)
    e, t = _both("slogdet", sq)
    assert_close(e.sign, t.sign)
    assert_close(e.logabsdet, t.logabsdet)
    e, t = _both("cholesky", spd(rng, (3, 3), np.float64), upper=True)
    assert_close(e, t)
    (ea, ta) = pair(sq)
    assert_close(ea.det(), ta.det())
    assert_close(ea.inverse(), ta.inverse())
    assert_close(ea.matrix_power(3), ta.matrix_power(3))


def test_logdet_of_negative_determinant_is_nan():
    e, t = _both("logdet", -np.eye(3))
    assert_close(e, t)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -3])
def test_matrix_power_matches_torch(n, rng):
    A = conditioned(rng, (2, 3, 3), np.float64)
    (ea, ta) = pair(A, requires_grad=True)
    e, t = ember.linalg.matrix_power(ea, n), torch.linalg.matrix_power(ta, n)
    assert_close(e, t, rtol=1e-8, atol=1e-8)
    if n:
        e.sum().backward()
        t.sum().backward()
        assert_close(ea.grad, ta.grad, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])
@pytest.mark.parametrize("shape,dim", [((3, 4), (-2, -1)), ((2, 3, 4), (-2, -1)),
                                       ((3, 2, 4), (0, 2))])
def test_matrix_norm_matches_torch(ord, shape, dim, rng):
    A = conditioned(rng, (3, 4), np.float64) if len(shape) == 2 else rng.standard_normal(shape)
    (ea, ta) = pair(A, True)
    for keepdim in (False, True):
        e = ember.linalg.matrix_norm(ea, ord, dim, keepdim)
        t = torch.linalg.matrix_norm(ta, ord, dim, keepdim)
        assert_close(e, t)
    e.sum().backward()
    t.sum().backward()
    assert_close(ea.grad, ta.grad)


@pytest.mark.parametrize("ord,dim,shape", [(None, None, (3, 4)), (None, 1, (3, 4)),
                                           (None, (0, 1), (2, 3, 4)), (2, None, (5,)),
                                           ("fro", None, (3, 4)), (1, None, (3, 4)),
                                           (3, (1,), (3, 4)), (-math.inf, None, (4,))])
def test_linalg_norm_matches_torch(ord, dim, shape, rng):
    (ea, ta) = pair(rng.standard_normal(shape), True)
    e, t = ember.linalg.norm(ea, ord, dim), torch.linalg.norm(ta, ord, dim)
    assert_close(e, t)
    e.sum().backward()
    t.sum().backward()
    assert_close(ea.grad, ta.grad)


def test_norm_errors_and_zero_vector_gradient():
    _raises("linalg.norm", np.ones((2, 2, 2)), 2)
    _raises("linalg.matrix_norm", np.ones((3, 3)), 3)
    (ea, ta) = pair(np.zeros(3), True)
    ember.linalg.vector_norm(ea).backward()
    torch.linalg.vector_norm(ta).backward()
    assert_close(ea.grad, ta.grad)


def test_vector_norm_dtype_argument(rng):
    (ea, ta) = pair(rng.standard_normal((3, 4)).astype(np.float32), True)
    e = ember.linalg.vector_norm(ea, dtype=ember.float64)
    t = torch.linalg.vector_norm(ta, dtype=torch.float64)
    assert_close(e, t)
    e.backward()
    t.backward()
    assert_close(ea.grad, ta.grad)


@pytest.mark.parametrize("driver", [None, "gelsy", "gelsd", "gelss", "gels"])
def test_lstsq_matches_torch(driver, rng):
    A, B = conditioned(rng, (2, 5, 3), np.float64), rng.standard_normal((2, 5, 2))
    (ea, ta), (eb, tb) = pair(A, True), pair(B, True)
    e, t = ember.linalg.lstsq(ea, eb, driver=driver), torch.linalg.lstsq(ta, tb, driver=driver)
    for field in ("solution", "residuals", "rank", "singular_values"):
        assert_close(getattr(e, field), getattr(t, field), rtol=1e-8, atol=1e-8, what=field)
    e.solution.sum().backward()
    t.solution.sum().backward()
    assert_close(ea.grad, ta.grad, rtol=1e-8, atol=1e-8)
    assert_close(eb.grad, tb.grad, rtol=1e-8, atol=1e-8)


def test_ex_variants_report_failure_in_info(rng):
    A = spd(rng, (3, 3), np.float64)
    for name in ("inv_ex", "cholesky_ex"):
        e, t = _both(f"linalg.{name}", A)
        assert_close(e[0], t[0])
        assert_close(e.info, t.info)
        bad = _call(f"linalg.{name}", -np.eye(3) if name == "cholesky_ex" else np.zeros((3, 3)))
        assert int(bad.info) != 0
        with pytest.raises(ember.linalg.LinAlgError):
            _call(f"linalg.{name}", np.zeros((3, 3)), check_errors=True)


def test_eig_is_complex_and_satisfies_definition(rng):
    A = rng.standard_normal((4, 4)).astype(np.float32)
    values, vectors = ember.linalg.eig(ember.from_numpy(A))
    assert values.dtype == ember.complex64 and vectors.dtype == ember.complex64
    V, L = vectors.numpy(), values.numpy()
    np.testing.assert_allclose(A @ V, V * L[None, :], atol=1e-4)
    assert ember.linalg.eigvals(ember.from_numpy(A.astype(np.float64))).dtype == ember.complex128


def test_matrix_rank_and_pinv_of_rank_deficient(rng):
    u, v = rng.standard_normal((5, 1)), rng.standard_normal((1, 4))
    A = u @ v + (rng.standard_normal((5, 1)) @ rng.standard_normal((1, 4)))
    for kwargs in ({}, {"hermitian": False}, {"atol": 1e-3}):
        e, t = _both("linalg.matrix_rank", A, **kwargs)
        assert_close(e, t)
    e, t = _both("linalg.pinv", A)
    assert_close(e, t, rtol=1e-8, atol=1e-8)


def test_solve_left_false_and_batched_vectors(rng):
    A = conditioned(rng, (2, 3, 3), np.float64)
    for B, kwargs in ((rng.standard_normal((2, 3)), {}), (rng.standard_normal((4, 3)),
                                                           {"left": False})):
        e, t = _both("linalg.solve", A if not kwargs else A[0], B, **kwargs)
        assert_close(e, t)
    _raises("linalg.solve", np.eye(3), np.ones((4, 2)))


def test_det_double_backward_matches_torch(rng):
    A = conditioned(rng, (3, 3), np.float64)
    (ea, ta) = pair(A, True)
    (ge,) = ember.autograd.grad(ember.linalg.det(ea), ea, create_graph=True)
    (gt,) = torch.autograd.grad(torch.linalg.det(ta), ta, create_graph=True)
    assert_close(ge, gt)
    ember.autograd.backward(ge.sum())
    gt.sum().backward()
    assert_close(ea.grad, ta.grad)


def test_vander_matches_torch(rng):
    x = rng.standard_normal((2, 4))
    e, t = _both("linalg.vander", x, N=5)
    assert_close(e, t)
    for kwargs in ({}, {"N": 3}, {"N": 2, "increasing": True}):
        e, t = _both("vander", x[0], **kwargs)
        assert_close(e, t)


def test_det_gradient_of_singular_matrix_is_the_cofactor_matrix():
    # (PyTorch returns zeros here; the cofactor matrix is the derivative.)
    A = ember.tensor([[1., 2, 3], [2, 4, 6], [1, 0, 1]], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(ember.linalg.det, (A,))
    B = ember.tensor(np.diag([0., 2., 3.]), requires_grad=True)
    assert ember.autograd.gradcheck(ember.linalg.det, (B,))


@pytest.mark.parametrize("name,shapes", [("matmul", [(3, 4), (4, 2)]), ("mm", [(3, 4), (4, 2)]),
                                         ("linalg.inv", [(3, 3)]), ("linalg.det", [(3, 3)]),
                                         ("linalg.solve", [(3, 3), (3, 2)]),
                                         ("inner", [(3, 4), (2, 4)]),
                                         ("einsum", [(3, 4), (4, 2)])])
def test_complex_gradients_match_torch(name, shapes, rng):
    arrays = [rng.standard_normal(s) + 1j * rng.standard_normal(s) for s in shapes]
    if name.startswith("linalg"):
        arrays[0] = arrays[0] + 3 * np.eye(3)
    es, ts = zip(*(pair(a, True) for a in arrays))
    prefix = ("ij,jk->ik",) if name == "einsum" else ()
    e, t = _resolve(ember, name)(*prefix, *es), _resolve(torch, name)(*prefix, *ts)
    assert_close(e, t)
    g = rng.standard_normal(tuple(t.shape)) + 1j * rng.standard_normal(tuple(t.shape))
    e.backward(ember.tensor(g))
    t.backward(torch.tensor(g))
    for x, y in zip(es, ts):
        assert_close(x.grad, y.grad)


@pytest.mark.parametrize("upper,left,unitriangular", [(True, True, False), (False, True, False),
                                                      (False, False, True), (True, False, True)])
def test_solve_triangular_reads_one_triangle(upper, left, unitriangular, rng):
    A = conditioned(rng, (2, 3, 3), np.float64)
    B = rng.standard_normal((2, 3, 4) if left else (2, 4, 3))
    (ea, ta), (eb, tb) = pair(A, True), pair(B, True)
    kwargs = {"upper": upper, "left": left, "unitriangular": unitriangular}
    e = ember.linalg.solve_triangular(ea, eb, **kwargs)
    t = torch.linalg.solve_triangular(ta, tb, **kwargs)
    assert_close(e, t, rtol=1e-8, atol=1e-8)
    e.sum().backward()
    t.sum().backward()
    assert_close(ea.grad, ta.grad, rtol=1e-8, atol=1e-8)
    assert_close(eb.grad, tb.grad, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("name", ["linalg.inv", "linalg.det", "linalg.slogdet",
                                  "linalg.cholesky", "linalg.eigh", "linalg.svd", "linalg.qr",
                                  "linalg.pinv", "linalg.matrix_rank", "linalg.eigvals"])
def test_empty_matrices_like_torch(name):
    e, t = _both(name, np.zeros((2, 0, 0)))
    for x, y in zip(*((e, t) if isinstance(t, tuple) else ((e,), (t,)))):
        assert_close(x, y)


@pytest.mark.parametrize("name", ["linalg.cholesky", "linalg.svd", "linalg.pinv"])
def test_nan_input_raises_linalg_error(name):
    with pytest.raises(ember.linalg.LinAlgError):
        _call(name, np.full((2, 2), np.nan))
    with pytest.raises(torch.linalg.LinAlgError):
        _resolve(torch, name)(torch.full((2, 2), math.nan))


def test_nan_propagates_through_inv_det_eigh():
    for name in ("linalg.inv", "linalg.det", "linalg.eigh"):
        e, t = _both(name, np.full((2, 2), np.nan))
        for x, y in zip(*((e, t) if isinstance(t, tuple) else ((e,), (t,)))):
            assert_close(x, y)


@st.composite
def _matmul_shapes(draw):
    k = draw(st.integers(1, 4))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    a_shape = batch.input_shapes[0] + (draw(st.integers(1, 4)), k)
    b_shape = batch.input_shapes[1] + (k, draw(st.integers(1, 4)))
    if draw(st.booleans()):
        a_shape = (k,)
    elif draw(st.booleans()):
        b_shape = (k,)
    return a_shape, b_shape


@settings(max_examples=40, deadline=None)
@given(shapes=_matmul_shapes(), seed=st.integers(0, 2**32 - 1))
def test_matmul_any_broadcast_matches_torch(shapes, seed):
    rng = np.random.default_rng(seed)
    (ea, ta), (eb, tb) = (pair(rng.standard_normal(s), True) for s in shapes)
    e, t = ember.matmul(ea, eb), torch.matmul(ta, tb)
    assert_close(e, t)
    g = rng.standard_normal(tuple(t.shape))
    e.backward(ember.tensor(g))
    t.backward(torch.tensor(g))
    assert_close(ea.grad, ta.grad)
    assert_close(eb.grad, tb.grad)


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, math.inf])
def test_cond_matches_torch(p, rng):
    (ea, ta) = pair(conditioned(rng, (2, 3, 3), np.float64), True)
    e, t = ember.linalg.cond(ea, p), torch.linalg.cond(ta, p)
    assert_close(e, t, rtol=1e-8, atol=1e-8)
    if p not in (None, 2, -2):  # torch's own backward fails here (an in-place write)
        assert ember.autograd.gradcheck(lambda A: ember.linalg.cond(A, p), (ea,))
        return
    e.sum().backward()
    t.sum().backward()
    assert_close(ea.grad, ta.grad, rtol=1e-8, atol=1e-8)
