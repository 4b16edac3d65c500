"""ember.testing against torch.testing: the same inputs pass or fail alike, with the same
message (up to the library's name)."""
import numpy as np
import pytest
import torch

import ember


def _both(value):
    """A pair of builders: the same nested value as ember and as torch objects."""
    def build(lib):
        def go(v):
            if isinstance(v, np.ndarray):
                return lib.tensor(v)
            if isinstance(v, list):
                return [go(x) for x in v]
            if isinstance(v, dict):
                return {k: go(x) for k, x in v.items()}
            return v
        return go(value)
    return build(ember), build(torch)


def _outcome(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return type(e), str(e).replace("torch.", "ember.").replace("ember._tensor.", "ember.")
    return None


def _check(actual, expected, **kwargs):
    (ea, ta), (ee, te) = _both(actual), _both(expected)
    ours = _outcome(ember.testing.assert_close, ea, ee, **kwargs)
    theirs = _outcome(torch.testing.assert_close, ta, te, **kwargs)
    assert ours == theirs


F32 = np.float32
CASES = [
    (np.array([1., 2, 3], F32), np.array([1., 3, 3], F32), {}),
    (np.array([1., 2, 3], F32), np.array([1., 2, 3.000001], F32), {}),
    (np.array([[1., 2], [3, 4]], F32), np.array([[1., 2], [3, 5]], F32), {}),
    (np.array([1., 2, 3]), np.array([1., 2, 3 + 1e-8]), {}),
    (np.array([1, 2, 3]), np.array([1, 3, 3]), {}),
    (np.array([True]), np.array([False]), {}),
    (np.array([1., 2], F32), np.array([1., 2, 3], F32), {}),
    (np.array([1., 2], F32), np.array([1., 2]), {}),
    (np.array([1., 2], F32), np.array([1., 2]), {"check_dtype": False}),
    (np.array([np.nan], F32), np.array([np.nan], F32), {}),
    (np.array([np.nan], F32), np.array([np.nan], F32), {"equal_nan": True}),
    (np.array([np.inf], F32), np.array([np.inf], F32), {}),
    (np.array([np.inf], F32), np.array([-np.inf], F32), {}),
    (np.array([1.], F32), np.array([2.], F32), {"atol": 2, "rtol": 0}),
    (np.array([1., 0.], F32), np.array([2., 0.], F32), {}),
    (np.array([0.], F32), np.array([1.], F32), {}),
    (np.array([1. + 1j]), np.array([1. + 2j]), {}),
    (np.zeros((2, 3), np.float16), np.full((2, 3), 1e-3, np.float16), {}),
    (np.float32(1.0) * np.ones((), F32), np.array(1.5, F32), {}),
    (1.0, 2.0, {}),
    (1, 2, {}),
    (1.0, 1.0 + 1e-9, {}),
    ([np.array(1., F32), np.array(2., F32)], [np.array(1., F32), np.array(3., F32)], {}),
    ({"a": np.array([1.], F32)}, {"a": np.array([3.], F32)}, {}),
    ([1, 2], [1, 2, 3], {}),
    (np.array([1.], F32), 1.0, {}),
    (np.array([1.], F32), "a", {}),
]


@pytest.mark.parametrize("actual,expected,kwargs", CASES)
def test_assert_close_matches_torch(actual, expected, kwargs):
    _check(actual, expected, **kwargs)


def test_assert_close_random_tensors_match_torch():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.standard_normal((3, 4)).astype(F32)
        b = a + rng.standard_normal((3, 4)).astype(F32) * rng.choice([0, 1e-7, 1e-5, 1e-2])
        _check(a, b)


def test_only_one_tolerance_is_an_error_like_torch():
    with pytest.raises(ValueError, match="no atol"):
        ember.testing.assert_close(ember.ones(1), ember.ones(1), rtol=1e-3)


def test_msg_replaces_or_transforms_the_message():
    a, b = ember.tensor([1.]), ember.tensor([2.])
    with pytest.raises(AssertionError, match="^custom$"):
        ember.testing.assert_close(a, b, msg="custom")
    with pytest.raises(AssertionError, match="^XTensor-likes are not close!"):
        ember.testing.assert_close(a, b, msg=lambda m: "X" + m)


def test_check_stride():
    a = ember.arange(6.).reshape(2, 3)
    with pytest.raises(AssertionError, match="stride"):
        ember.testing.assert_close(a.t(), a.t().contiguous(), check_stride=True)
    ember.testing.assert_close(a.t(), a.t().contiguous())


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool",
                                   "complex64"])
def test_make_tensor_shape_dtype_range(dtype):
    t = ember.testing.make_tensor(3, 4, dtype=getattr(ember, dtype))
    ref = torch.testing.make_tensor(3, 4, dtype=getattr(torch, dtype), device="cpu")
    assert t.shape == tuple(ref.shape) and str(t.dtype)[6:] == str(ref.dtype)[6:]
    if dtype not in ("bool", "complex64"):
        assert t.min().item() >= (0 if dtype == "uint8" else -9) and t.max().item() <= 9


def test_make_tensor_bounds_grad_and_layout():
    t = ember.testing.make_tensor((50,), dtype=ember.float64, low=2, high=3,
                                  requires_grad=True)
    assert t.requires_grad and t.is_leaf
    assert 2 <= t.min().item() and t.max().item() <= 3
    n = ember.testing.make_tensor(4, 5, dtype=ember.float32, noncontiguous=True)
    assert not n.is_contiguous()
    z = ember.testing.make_tensor(100, dtype=ember.int64, low=-1, high=2, exclude_zero=True)
    assert (z != 0).all()
    ember.manual_seed(3)
    first = ember.testing.make_tensor(5, dtype=ember.float32)
    ember.manual_seed(3)
    assert ember.equal(first, ember.testing.make_tensor(5, dtype=ember.float32))


def test_make_tensor_rejects_bad_bounds_like_torch():
    for kwargs in ({"low": 3, "high": 2}, {"low": float("nan")}):
        with pytest.raises(ValueError):
            torch.testing.make_tensor(2, dtype=torch.float32, device="cpu", **kwargs)
        with pytest.raises(ValueError):
            ember.testing.make_tensor(2, dtype=ember.float32, **kwargs)
