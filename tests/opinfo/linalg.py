"""OpInfos for matrix products (ember/ops/linalg.py) and contractions (einsum, tensordot)."""
from __future__ import annotations

import numpy as np

from . import OpInfo, Sample
from . import samples as S

# (shape of a, shape of b) for every broadcasting case of matmul
MATMUL_SHAPES = [((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((3, 4), (4, 5)),
                 ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)),
                 ((4,), (2, 4, 3)), ((2, 3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2)),
                 ((1, 3, 4), (2, 4, 1))]


def _pairs(shapes):
    return lambda rng, dt: [Sample((S.randn(rng, a, dt), S.randn(rng, b, dt))) for a, b in shapes]


def _add_samples(c_shapes, x_shape, y_shape):
    def samples(rng, dt):
        x, y = S.randn(rng, x_shape, dt), S.randn(rng, y_shape, dt)
        out = [Sample((S.randn(rng, c, dt), x, y)) for c in c_shapes]
        out.append(Sample((S.randn(rng, c_shapes[0], dt), x, y), {"beta": 0.5, "alpha": -2.0}))
        out.append(Sample((S.randn(rng, c_shapes[0], dt), x, y), {"beta": 0}))
        return out
    return samples


def _einsum_samples(rng, dt):
    r = lambda *s: S.randn(rng, s, dt)  # noqa: E731
    return [Sample(("ij,jk->ik", r(3, 4), r(4, 5))),
            Sample(("bij,bjk->bik", r(2, 3, 4), r(2, 4, 5))),
            Sample(("ii->i", r(4, 4))),
            Sample(("ii", r(4, 4))),
            Sample(("ij->", r(3, 4))),
            Sample(("ij->j", r(3, 4))),
            Sample(("i,j->ij", r(3), r(4))),
            Sample(("...ij,...jk", r(2, 3, 4), r(4, 5))),
            Sample(("bn,anm,bm->ba", r(2, 3), r(4, 3, 5), r(2, 5))),
            Sample(("iij->ji", r(3, 3, 2))),
            Sample(("ij,kj", r(3, 4), r(5, 4))),
            Sample(("i...->...", r(3, 2, 4))),
            Sample(("ij,jk->ik", r(3, 1), r(4, 5)))]


OPINFOS = [
    OpInfo("matmul", _pairs(MATMUL_SHAPES), gradgradcheck=True),
    OpInfo("mm", _pairs([((3, 4), (4, 5)), ((1, 4), (4, 1))]), gradgradcheck=True),
    OpInfo("bmm", _pairs([((2, 3, 4), (2, 4, 5))])),
    OpInfo("mv", _pairs([((3, 4), (4,))])),
    OpInfo("dot", _pairs([((5,), (5,))])),
    OpInfo("vdot", _pairs([((5,), (5,))])),
    OpInfo("outer", _pairs([((3,), (4,)), ((1,), (2,))])),
    OpInfo("addmm", _add_samples([(3, 5), (5,), (1, 1)], (3, 4), (4, 5))),
    OpInfo("baddbmm", _add_samples([(2, 3, 5), (3, 5), (5,)], (2, 3, 4), (2, 4, 5))),
    OpInfo("addmv", _add_samples([(3,), (1,)], (3, 4), (4,))),
    OpInfo("addr", _add_samples([(3, 4), (4,)], (3,), (4,))),
    OpInfo("addbmm", _add_samples([(3, 5), (5,), (1, 1)], (2, 3, 4), (2, 4, 5))),
]


def _tensordot_samples(rng, dt):
    r = lambda *s: S.randn(rng, s, dt)  # noqa: E731
    return [Sample((r(3, 4, 5), r(4, 5, 6))),
            Sample((r(3, 4, 5), r(5, 2)), {"dims": 1}),
            Sample((r(3, 4, 5), r(5, 3, 2)), {"dims": ([0, 2], [1, 0])}),
            Sample((r(3, 4), r(2, 5)), {"dims": 0})]


def _cross_samples(rng, dt):
    r = lambda *s: S.randn(rng, s, dt)  # noqa: E731
    return [Sample((r(4, 3), r(4, 3)), {"dim": -1}), Sample((r(3, 5), r(3, 5)), {"dim": 0}),
            Sample((r(2, 4, 3), r(1, 4, 3)), {"dim": 2}), Sample((r(5, 3), r(1, 3)), {"dim": 1}),
            Sample((r(4, 3, 2), r(4, 3, 2)))]


OPINFOS += [
    OpInfo("einsum", _einsum_samples, gradgradcheck=True,
           ember_fn=lambda *a: __import__("ember").einsum(*a),
           torch_fn=lambda *a: __import__("torch").einsum(*a)),
    OpInfo("tensordot", _tensordot_samples),
    OpInfo("inner", _pairs([((3, 4), (5, 4)), ((4,), (4,)), ((2, 3, 4), (4,)), ((), (2, 3)),
                            ((3,), ())])),
    OpInfo("cross", _cross_samples),
]

OPINFOS += [
    OpInfo("chain_matmul", _pairs([((3, 4), (4, 5))]), ember_fn=lambda *m: _lib("ember").chain_matmul(*m),
           torch_fn=lambda *m: _lib("torch").chain_matmul(*m)),
]


def _lib(name):
    return __import__(name)
