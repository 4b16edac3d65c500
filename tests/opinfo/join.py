"""OpInfos for joining tensors (`ember/ops/join.py`)."""
from __future__ import annotations

from . import OpInfo, Sample
from . import samples as S


def _lists(*cases):
    """Samples whose first argument is a list of tensors: ``([shapes...], *args)``."""
    def samples(rng, dtype):
        return [Sample(([S.randn(rng, s, dtype) for s in shapes], *args))
                for shapes, *args in cases]
    return samples


def _varargs(*cases):
    """Samples passing each tensor as its own argument: ``(shapes...)``."""
    def samples(rng, dtype):
        return [Sample(tuple(S.randn(rng, s, dtype) for s in shapes)) for shapes in cases]
    return samples


def _mixed_dtypes(rng, dtype):
    # cat promotes: a float tensor joined with an int tensor gives the float dtype.
    ints = rng.integers(-5, 5, size=(2, 3))
    return [Sample(([S.randn(rng, (2, 3), dtype), ints],)),
            Sample(([ints, S.randn(rng, (1, 3), dtype)], 0))]


def _cat_samples(rng, dtype):
    return (_lists(([(2, 3), (4, 3)],), ([(2, 3), (2, 1), (2, 0)], 1), ([(2, 3, 4)], -1),
                   ([(2, 3), (0,), (1, 3)],), ([(0,), (0,)],))(rng, dtype)
            + _mixed_dtypes(rng, dtype))


def _meshgrid_samples(indexing):
    def samples(rng, dtype):
        return [Sample((S.randn(rng, (3,), dtype), S.randn(rng, (4,), dtype)),
                       {"indexing": indexing}),
                Sample((S.randn(rng, (2,), dtype), S.randn(rng, (), dtype),
                        S.randn(rng, (3,), dtype)), {"indexing": indexing})]
    return samples


def _meshgrid_both(rng, dtype):
    return _meshgrid_samples("ij")(rng, dtype) + _meshgrid_samples("xy")(rng, dtype)


def _combinations_samples(rng, dtype):
    return [Sample((S.randn(rng, (4,), dtype),)), Sample((S.randn(rng, (4,), dtype), 3)),
            Sample((S.randn(rng, (3,), dtype), 2, True)), Sample((S.randn(rng, (3,), dtype), 0)),
            Sample((S.randn(rng, (2,), dtype), 3))]


OPINFOS = [
    OpInfo("cat", _cat_samples),
    OpInfo("concat", _lists(([(2, 3), (4, 3)],), ([(2, 3), (2, 1)], 1))),
    OpInfo("concatenate", _lists(([(2, 3), (4, 3)],), ([(2, 3), (2, 1)], 1))),
    OpInfo("stack", _lists(([(2, 3), (2, 3)],), ([(2, 3), (2, 3), (2, 3)], 2),
                           ([(2, 3)], -1), ([(), ()],))),
    OpInfo("hstack", _lists(([(2, 3), (2, 1)],), ([(3,), (2,)],), ([(), ()],))),
    OpInfo("vstack", _lists(([(2, 3), (1, 3)],), ([(3,), (3,)],), ([(), ()],))),
    OpInfo("row_stack", _lists(([(2, 3), (1, 3)],), ([(3,), (3,)],))),
    OpInfo("dstack", _lists(([(2, 3), (2, 3)],), ([(3,), (3,)],), ([(2, 3, 1), (2, 3, 2)],))),
    OpInfo("column_stack", _lists(([(3,), (3, 2)],), ([(), ()],), ([(3,), (3,)],))),
    OpInfo("meshgrid", _meshgrid_both),
    OpInfo("cartesian_prod", _varargs([(3,), (2,)], [(2,), (2,), (3,)], [(4,)])),
    OpInfo("combinations", _combinations_samples),
    OpInfo("block_diag", _varargs([(2, 2), (1, 3)], [(2,), (), (3, 1)], [(2, 3)])),
]
