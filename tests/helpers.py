"""Compare ember against PyTorch: values, dtypes, shapes and gradients."""
from __future__ import annotations

import numpy as np
import torch

import ember

# Tolerances by dtype: a few ulps of accumulated rounding for float32 reductions and
# transcendental functions; float64 results should agree to near machine precision.
TOL = {
    np.dtype(np.float16): (1e-3, 1e-2),
    np.dtype(np.float32): (1e-5, 1e-5),
    np.dtype(np.float64): (1e-10, 1e-10),
    np.dtype(np.complex64): (1e-5, 1e-5),
    np.dtype(np.complex128): (1e-10, 1e-10),
}


def to_numpy(x):
    if isinstance(x, ember.Tensor):
        return np.asarray(x.detach()._host())
    if isinstance(x, torch.Tensor):
        return x.detach().numpy(force=True)  # also ZeroTensor grads (e.g. of sgn)
    return np.asarray(x)


def flatten(out):
    if isinstance(out, (tuple, list)):
        return [y for o in out for y in flatten(o)]
    return [out]


def assert_close(actual, expected, atol=None, rtol=None, what="output", check_dtype=True):
    """``actual`` (ember) matches ``expected`` (torch) in type, shape, dtype and values."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, ember.Tensor), f"{what}: expected a Tensor, got {type(actual)}"
        assert tuple(actual.shape) == tuple(expected.shape), \
            f"{what}: shape {tuple(actual.shape)} != torch's {tuple(expected.shape)}"
        if check_dtype:
            assert actual.dtype.name == str(expected.dtype).removeprefix("torch."), \
                f"{what}: dtype {actual.dtype} != torch's {expected.dtype}"
    a, e = to_numpy(actual), to_numpy(expected)
    default = TOL.get(e.dtype, (0, 0))
    rtol = default[0] if rtol is None else rtol
    atol = default[1] if atol is None else atol
    if e.dtype.kind in "fc":
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(a, e, err_msg=what)


def pair(array, requires_grad=False):
    """The same values as an ember tensor and a torch tensor (sharing the NumPy layout)."""
    e = ember.from_numpy(array.copy() if not array.flags.writeable else array)
    t = torch.from_numpy(np.array(array, copy=True) if array.strides and min(array.strides) < 0
                         else array)
    if requires_grad:
        e = e.detach().requires_grad_(True)
        t = t.detach().requires_grad_(True)
    return e, t


def noncontiguous(a: np.ndarray) -> np.ndarray:
    """The same values in a non-contiguous layout."""
    if a.ndim >= 2:
        return np.swapaxes(np.ascontiguousarray(np.swapaxes(a, -1, -2)), -1, -2)
    if a.ndim == 1:
        return np.repeat(a, 2)[::2]
    return a


def assert_raises_like_torch(fn_ember, fn_torch, *args, **kwargs):
    """Both raise, and ember raises the same exception type as torch."""
    try:
        fn_torch(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - we record whatever torch raises
        expected = type(e)
    else:
        raise AssertionError("torch did not raise")
    import pytest
    with pytest.raises(expected):
        fn_ember(*args, **kwargs)


def copy_params(src, dst) -> None:
    """Give ember module ``dst`` the parameter values of torch module ``src``."""
    for (_, p), (_, q) in zip(src.named_parameters(), dst.named_parameters()):
        q.data = ember.tensor(p.detach().numpy())


def compare_modules(t_mod, e_mod, shape, rng, dtype=np.float64):
    """Run a torch module and its ember twin (same weights) on the same random input; their
    outputs, input gradients and parameter gradients must match."""
    copy_params(t_mod, e_mod)
    x = rng.standard_normal(shape).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    ty, ey = t_mod(tx), e_mod(ex)
    assert_close(ey, ty)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g))
    assert_close(ex.grad, tx.grad)
    for (name, p), (_, q) in zip(t_mod.named_parameters(), e_mod.named_parameters()):
        assert_close(q.grad, p.grad, what=f"grad of {name}")
