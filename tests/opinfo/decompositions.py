"""OpInfos for `ember.linalg` (ember/ops/decompositions.py and norms.py).

Samples are well conditioned: random orthogonal mixes with chosen, well separated singular
values (or eigenvalues), so that finite differences and both libraries agree. Outputs that
are defined only up to sign (singular vectors, eigenvectors, Q) are compared through
functions that do not see the sign (absolute values).
"""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample


def _orthogonal(rng, n, batch=()):
    q, r = np.linalg.qr(rng.standard_normal(batch + (n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def conditioned(rng, shape, dtype, low=1.0, high=3.0):
    """A batch of matrices ``U diag(s) V^T`` with distinct ``s`` in [low, high]."""
    *batch, m, n = shape
    k = min(m, n)
    s = np.sort(rng.uniform(low, high, tuple(batch) + (k,)))[..., ::-1]
    s = s + np.arange(k)[::-1] * 0.3  # keep singular values apart
    U = _orthogonal(rng, m, tuple(batch))[..., :, :k]
    V = _orthogonal(rng, n, tuple(batch))[..., :, :k]
    return ((U * s[..., None, :]) @ np.swapaxes(V, -1, -2)).astype(dtype)


def spd(rng, shape, dtype):
    """Symmetric positive-definite matrices with separated eigenvalues."""
    *batch, n, _ = shape
    Q = _orthogonal(rng, n, tuple(batch))
    values = 1.0 + np.arange(n) * 0.7 + rng.uniform(0, 0.2, tuple(batch) + (n,))
    return ((Q * values[..., None, :]) @ np.swapaxes(Q, -1, -2)).astype(dtype)


SQUARE = [(3, 3), (2, 4, 4), (1, 1)]
RECT = [(4, 3), (3, 5), (2, 4, 2), (3, 3)]


def _square(rng, dt):
    return [Sample((conditioned(rng, s, dt),)) for s in SQUARE]


def _spd(rng, dt):
    return [Sample((spd(rng, s, dt),)) for s in SQUARE]


def _rect(rng, dt):
    return [Sample((conditioned(rng, s, dt),)) for s in RECT]


def _solve_samples(rng, dt):
    A = conditioned(rng, (3, 3), dt)
    Ab = conditioned(rng, (2, 3, 3), dt)
    r = lambda *s: rng.standard_normal(s).astype(dt)  # noqa: E731
    return [Sample((A, r(3, 2))), Sample((A, r(3))), Sample((Ab, r(2, 3))), Sample((Ab, r(3, 4))),
            Sample((A, r(2, 3, 2))), Sample((A, r(4, 3)), {"left": False})]


def _norm_samples(rng, dt):
    x = rng.standard_normal((3, 4)).astype(dt)
    return [Sample((x,)), Sample((x, 1)), Sample((x, np.inf)), Sample((x, -np.inf)),
            Sample((x, 3.5, 1)), Sample((x, 2, (0, 1), True)), Sample((x, 0.5, -1)),
            Sample((x, 0)), Sample((x, 2, 0), {"dtype": None})]


def _sym(A):
    return (A + A.transpose(-2, -1)) * 0.5


def _lib(name):
    return __import__(name)


def _abs_outputs(fn, *abs_positions):
    def wrapped(*args, **kwargs):
        out = fn(*args, **kwargs)
        return tuple(o.abs() if i in abs_positions else o for i, o in enumerate(out))
    return wrapped


def _linalg(name):
    return lambda lib: getattr(_lib(lib).linalg, name)


def _pair(make):
    return {"ember_fn": make("ember"), "torch_fn": make("torch")}


OPINFOS = [
    OpInfo("linalg_inv", _square, gradgradcheck=True,
           **_pair(lambda lib: getattr(_lib(lib).linalg, "inv"))),
    OpInfo("linalg_det", _square, gradgradcheck=True,
           **_pair(lambda lib: getattr(_lib(lib).linalg, "det"))),
    OpInfo("linalg_slogdet", _square, **_pair(lambda lib: getattr(_lib(lib).linalg, "slogdet"))),
    OpInfo("linalg_solve", _solve_samples, **_pair(lambda lib: getattr(_lib(lib).linalg, "solve"))),
    OpInfo("linalg_cholesky", lambda rng, dt: [Sample((spd(rng, s, dt),), kw) for s in SQUARE
                                               for kw in ({}, {"upper": True})],
           **_pair(lambda lib: lambda A, **kw: _lib(lib).linalg.cholesky(_sym(A), **kw))),
    OpInfo("linalg_qr", lambda rng, dt: [Sample((conditioned(rng, s, dt), mode))
                                         for s in [(4, 3), (2, 3, 3), (3, 5)]
                                         for mode in ("reduced", "complete")
                                         if mode == "reduced" or s[-2] <= s[-1]],
           **_pair(lambda lib: _abs_outputs(_lib(lib).linalg.qr, 0, 1))),
    OpInfo("linalg_svd", lambda rng, dt: [Sample((conditioned(rng, s, dt), False)) for s in RECT]
           + [Sample((conditioned(rng, (3, 3), dt),))],
           **_pair(lambda lib: _abs_outputs(_lib(lib).linalg.svd, 0, 2))),
    OpInfo("linalg_svdvals", _rect, **_pair(_linalg("svdvals"))),
    OpInfo("linalg_eigh", lambda rng, dt: [Sample((spd(rng, s, dt),)) for s in SQUARE]
           + [Sample((spd(rng, (3, 3), dt), "U"))],
           **_pair(lambda lib: _abs_outputs(lambda A, *a: _lib(lib).linalg.eigh(_sym(A), *a), 1))),
    OpInfo("linalg_eigvalsh", _spd,
           **_pair(lambda lib: lambda A: _lib(lib).linalg.eigvalsh(_sym(A)))),
    OpInfo("linalg_eig", _square, grad=False,
           **_pair(lambda lib: lambda A: _sorted_eig(lib, A))),
    OpInfo("linalg_eigvals", _square, grad=False,
           **_pair(lambda lib: lambda A: _sorted_values(lib, _lib(lib).linalg.eigvals(A)))),
    OpInfo("linalg_pinv", lambda rng, dt: _rect(rng, dt) + [
        Sample((spd(rng, (3, 3), dt),), {"hermitian": True})],
           **_pair(lambda lib: lambda A, **kw: _lib(lib).linalg.pinv(
               _sym(A) if kw.get("hermitian") else A, **kw))),
    OpInfo("linalg_matrix_rank", lambda rng, dt: _rect(rng, dt) + [
        Sample((np.ones((3, 4), dt),)), Sample((np.zeros((2, 2), dt),))],
           grad=False, **_pair(_linalg("matrix_rank"))),
    OpInfo("linalg_vector_norm", _norm_samples, **_pair(_linalg("vector_norm"))),
]


def _sorted_values(lib, values):
    # LAPACK returns eigenvalues in no fixed order: compare them sorted (outside autograd).
    array = np.asarray(values.detach().numpy())
    order = np.lexsort((np.round(array.imag, 4), np.round(array.real, 4)), axis=-1)
    return _lib(lib).tensor(np.take_along_axis(array, order, -1))


def _sorted_eig(lib, A):
    values, vectors = _lib(lib).linalg.eig(A)
    array = np.asarray(values.detach().numpy())
    order = np.lexsort((np.round(array.imag, 4), np.round(array.real, 4)), axis=-1)
    vecs = np.abs(np.asarray(vectors.detach().numpy()))
    return (_lib(lib).tensor(np.take_along_axis(array, order, -1)),
            _lib(lib).tensor(np.take_along_axis(vecs, order[..., None, :], -1)))


def _top(name):
    return {"ember_fn": getattr(__import__("ember"), name),
            "torch_fn": getattr(__import__("torch"), name)}


def _power_samples(rng, dt):
    return [Sample((conditioned(rng, s, dt), n)) for s, n in [((3, 3), 3), ((2, 3, 3), -2),
                                                               ((3, 3), 1), ((3, 3), 0)]]


# PyTorch's top-level (and older) forms of the same functions: composites of the ops above.
OPINFOS += [
    OpInfo("det", _square, **_top("det")),
    OpInfo("inverse", _square, **_top("inverse")),
    OpInfo("logdet", lambda rng, dt: [Sample((spd(rng, s, dt),)) for s in SQUARE],
           **_top("logdet")),
    OpInfo("slogdet", _square, **_top("slogdet")),
    OpInfo("cholesky", lambda rng, dt: [Sample((spd(rng, (3, 3), dt), upper))
                                        for upper in (False, True)],
           **_pair(lambda lib: lambda A, upper: _lib(lib).cholesky(_sym(A), upper))),
    OpInfo("svd", lambda rng, dt: [Sample((conditioned(rng, s, dt),)) for s in RECT],
           **_pair(lambda lib: _abs_outputs(_lib(lib).svd, 0, 2))),
    OpInfo("qr", lambda rng, dt: [Sample((conditioned(rng, (4, 3), dt),)),
                                  Sample((conditioned(rng, (2, 3, 3), dt), False))],
           **_pair(lambda lib: _abs_outputs(_lib(lib).qr, 0, 1))),
    OpInfo("pinverse", _rect, **_top("pinverse")),
    OpInfo("matrix_power", _power_samples, **_top("matrix_power")),
    OpInfo("vander", lambda rng, dt: [Sample((rng.standard_normal(4).astype(dt),)),
                                      Sample((rng.standard_normal(3).astype(dt), 5))],
           # torch.vander's own backward fails (an in-place write): its linalg twin, flipped
           ember_fn=_top("vander")["ember_fn"],
           torch_fn=lambda x, N=None: _lib("torch").linalg.vander(x, N=N).flip(-1)),
]


def _cholesky_factor(rng, shape, dt):
    return np.linalg.cholesky(spd(rng, shape, np.float64)).astype(dt)


OPINFOS += [
    OpInfo("cholesky_solve", lambda rng, dt: [
        Sample((rng.standard_normal((3, 2)).astype(dt), _cholesky_factor(rng, (3, 3), dt))),
        Sample((rng.standard_normal((2, 3, 4)).astype(dt),
                np.swapaxes(_cholesky_factor(rng, (2, 3, 3), dt), -1, -2).copy(), True))],
           **_pair(lambda lib: lambda B, L, upper=False: _lib(lib).cholesky_solve(
               B, L.triu() if upper else L.tril(), upper))),
    OpInfo("cholesky_inverse", lambda rng, dt: [
        Sample((_cholesky_factor(rng, (3, 3), dt),)),
        Sample((np.swapaxes(_cholesky_factor(rng, (2, 3, 3), dt), -1, -2).copy(), True))],
           **_pair(lambda lib: lambda L, upper=False: _lib(lib).cholesky_inverse(
               L.triu() if upper else L.tril(), upper))),
]

OPINFOS += [
    OpInfo("matrix_exp", lambda rng, dt: [
        Sample((rng.standard_normal((3, 3)).astype(dt) * 0.5,)),
        Sample((rng.standard_normal((2, 4, 4)).astype(dt) * 3,)),
        Sample((rng.standard_normal((1, 1)).astype(dt),))], gradgradcheck=True,
           rtol=1e-3),  # float32 scaling-and-squaring of a norm-6 matrix loses ~3 digits
]

OPINFOS += [
    OpInfo("linalg_lu_factor_ex", lambda rng, dt: [
        Sample((rng.standard_normal(s).astype(dt),)) for s in [(4, 4), (3, 5), (5, 3), (2, 3, 3)]],
           **_pair(_linalg("lu_factor_ex"))),
]


def _lu_solve_samples(rng, dt):
    A = conditioned(rng, (2, 3, 3), dt)
    LU, pivots = _lib("torch").linalg.lu_factor(_lib("torch").tensor(A))
    return [Sample((rng.standard_normal((2, 3, 2)).astype(dt), np.ascontiguousarray(LU.numpy()),
                    pivots.numpy()))]


def _orgqr_samples(rng, dt):
    return [Sample((rng.standard_normal((4, 3)).astype(dt), rng.standard_normal(2).astype(dt)))]


# PyTorch's older LU API and orgqr, composites of the LU op and householder_product
OPINFOS += [
    OpInfo("lu", lambda rng, dt: [Sample((conditioned(rng, (3, 3), dt),)),
                                  Sample((conditioned(rng, (2, 4, 3), dt),), {"get_infos": True})]),
    OpInfo("lu_solve", _lu_solve_samples),
    # gradients compared with torch's; gradcheck can't see past the constant output P
    OpInfo("lu_unpack", lambda rng, dt: [Sample(s.args[1:]) for s in _lu_solve_samples(rng, dt)],
           gradcheck=False),
    OpInfo("orgqr", _orgqr_samples),
]
