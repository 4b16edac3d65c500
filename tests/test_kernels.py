"""Ember's compiled kernels (ember/kernels) against PyTorch: sizes large enough for the
threaded twins, odd sizes, strided and channels-last layouts, NaN and infinities, and the fused
optimizer updates step for step against torch.optim."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember import kernels
from ember.ops import TABLE

from .helpers import assert_close

DTYPES = [np.float32, np.float64]
BIG = kernels.GRAIN + 1031  # past the grain: the threaded twin runs


@pytest.fixture(autouse=True)
def _threads_from_the_common_grain(monkeypatch):
    """The dense layers' loops thread only from a million elements or more (COMPUTE_GRAIN,
    STREAM_GRAIN): here they do from GRAIN, so that BIG inputs test the threaded twins."""
    from ember.kernels import activation, norm, optim, softmax
    for module in (activation, norm, optim, softmax):
        for value in vars(module).values():
            if isinstance(value, kernels._Threaded):
                monkeypatch.setattr(value, "grain", kernels.GRAIN)


def _both(array, requires_grad=True):
    e = ember.tensor(array, requires_grad=requires_grad)
    t = torch.tensor(array, requires_grad=requires_grad)
    return e, t


def _check(e_fn, t_fn, array, grad=None, atol=None, rtol=None):
    """Forward and first-order gradient of ``e_fn`` vs ``t_fn`` on ``array``."""
    e, t = _both(array)
    ey, ty = e_fn(e), t_fn(t)
    assert_close(ey, ty, atol=atol, rtol=rtol)
    g = np.random.default_rng(1).standard_normal(ty.shape).astype(array.dtype) \
        if grad is None else grad
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(e.grad, t.grad, atol=atol, rtol=rtol, what="gradient")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, dim", [((BIG // 1031, 1031), -1), ((3, 1031, 37), 1),
                                        ((5, 7), 0)])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_large_and_odd(dtype, shape, dim, log):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype) * 4
    fn = "log_softmax" if log else "softmax"
    _check(lambda e: getattr(ember, fn)(e, dim), lambda t: getattr(torch, fn)(t, dim), x)


@pytest.mark.parametrize("log", [False, True])
def test_softmax_nan_and_infinities(log):
    x = np.random.default_rng(0).standard_normal((6, 9)).astype(np.float32)
    x[0, 3] = np.nan
    x[1, :] = -np.inf          # a fully masked row: NaN, as in PyTorch
    x[2, ::2] = -np.inf        # masked entries: exactly 0 probability
    x[3, 4] = np.inf
    x[4, 1] = -1e30
    fn = "log_softmax" if log else "softmax"
    e, t = getattr(ember, fn)(ember.tensor(x), 1), getattr(torch, fn)(torch.tensor(x), 1)
    assert_close(e, t)
    if not log:
        assert (e.numpy()[2, ::2] == 0).all()


def test_masked_attention_softmax_matches_torch():
    rng = np.random.default_rng(2)
    scores = rng.standard_normal((2, 3, 17, 17)).astype(np.float32)
    causal = np.triu(np.ones((17, 17), bool), 1)
    e, t = _both(scores)
    ey = ember.softmax(e.masked_fill(ember.tensor(causal), float("-inf")), -1)
    ty = torch.softmax(t.masked_fill(torch.tensor(causal), float("-inf")), -1)
    assert_close(ey, ty)
    g = rng.standard_normal(ty.shape).astype(np.float32)
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(BIG // 513, 513), (3, 5, 7), (1, 1)])
def test_layer_norm_large_and_odd(dtype, shape):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype) * 3 + 2
    w = rng.standard_normal(shape[-1:]).astype(dtype)
    b = rng.standard_normal(shape[-1:]).astype(dtype)
    e, t = _both(x)
    ew, tw = _both(w)
    eb, tb = _both(b)
    ey = ember.nn.functional.layer_norm(e, shape[-1:], ew, eb)
    ty = TF.layer_norm(t, shape[-1:], tw, tb)
    assert_close(ey, ty, atol=1e-4 if dtype == np.float32 else None)
    g = rng.standard_normal(shape).astype(dtype)
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    tol = 1e-3 if dtype == np.float32 else None  # sums over thousands of rows
    for a, c, what in ((e, t, "x"), (ew, tw, "weight"), (eb, tb, "bias")):
        assert_close(a.grad, c.grad, atol=tol, rtol=tol, what=what)


def test_layer_norm_of_a_strided_input():
    x = np.random.default_rng(4).standard_normal((9, 6, 5)).astype(np.float32)
    e, t = _both(x)
    ey = ember.nn.functional.layer_norm(e.transpose(0, 2), (9,))
    ty = TF.layer_norm(t.transpose(0, 2), (9,))
    assert_close(ey, ty)


def _arrange(t, lib, layout):
    if layout == "channels_last":
        return t.contiguous(memory_format=lib.channels_last)
    return t[:, :, ::2] if layout == "strided" else t


ACTIVATIONS = {"gelu": (ember.nn.functional.gelu, TF.gelu),
               "gelu_tanh": (lambda v: ember.nn.functional.gelu(v, approximate="tanh"),
                             lambda v: TF.gelu(v, approximate="tanh")),
               "relu": (ember.relu, torch.relu)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", ["gelu", "gelu_tanh", "relu"])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "strided"])
def test_activations_large_layouts(dtype, fn, layout):
    x = np.random.default_rng(5).uniform(-6, 6, (4, 12, 61, 59)).astype(dtype)
    if fn == "relu":  # (GELU's: test_activations_at_nan_and_infinities)
        x.reshape(-1)[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, -1e-30]
    assert x.size > kernels.GRAIN
    e_fn, t_fn = ACTIVATIONS[fn]
    e, t = _both(x)
    ey, ty = e_fn(_arrange(e, ember, layout)), t_fn(_arrange(t, torch, layout))
    assert_close(ey, ty)
    assert ey.stride() == ty.stride()
    if fn == "relu":  # -0.0 stays -0.0, as in PyTorch
        assert (np.signbit(ey.detach().numpy()) == np.signbit(ty.detach().numpy())).all()
    g = np.random.default_rng(6).standard_normal(ty.shape).astype(dtype)
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_silu_large(dtype):
    x = np.random.default_rng(7).uniform(-30, 30, BIG).astype(dtype)
    _check(ember.nn.functional.silu, TF.silu, x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mask_shape", [(61, 59), (1, 1, 61, 59), (12, 1, 59), (59,)])
@pytest.mark.parametrize("value", [float("-inf"), 2.5, float("nan")])
def test_masked_fill_large(dtype, mask_shape, value):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((4, 12, 61, 59)).astype(dtype)
    x.reshape(-1)[:3] = [np.nan, np.inf, -np.inf]
    mask = rng.random(mask_shape) < 0.4
    e, t = _both(x)
    ey = e.masked_fill(ember.tensor(mask), value)
    ty = t.masked_fill(torch.tensor(mask), value)
    assert_close(ey, ty)
    g = rng.standard_normal(ty.shape).astype(dtype)
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("fn", ["gelu", "gelu_tanh", "silu"])
def test_activations_at_nan_and_infinities(fn):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, 88.0, -88.0, 20.0, -20.0],
                 np.float32)
    e_fn = {"gelu": ember.nn.functional.gelu, "silu": ember.nn.functional.silu,
            "gelu_tanh": lambda v: ember.nn.functional.gelu(v, approximate="tanh")}[fn]
    t_fn = {"gelu": TF.gelu, "silu": TF.silu,
            "gelu_tanh": lambda v: TF.gelu(v, approximate="tanh")}[fn]
    # Against torch in double precision: its single-precision vectorized gelu answers NaN
    # for +inf where its scalar path and its double path answer inf.
    assert_close(e_fn(ember.tensor(x)), t_fn(torch.tensor(x, dtype=torch.float64)).float())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(BIG // 97, 97), (5, 11, 3), (7,)])
def test_cross_entropy_large_and_odd(dtype, shape):
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape).astype(dtype) * 3
    classes = shape[1] if len(shape) > 1 else shape[0]
    target_shape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    target = rng.integers(0, classes, target_shape)
    if len(shape) > 1:
        target.reshape(-1)[::5] = -100  # ignored samples
    for reduction in ("mean", "sum", "none"):
        e, t = _both(x)
        ey = ember.nn.functional.cross_entropy(e, ember.tensor(target), reduction=reduction)
        ty = TF.cross_entropy(t, torch.tensor(target), reduction=reduction)
        assert_close(ey, ty, atol=1e-4 if dtype == np.float32 else None)
        ey.sum().backward()
        ty.sum().backward()
        assert_close(e.grad, t.grad, what=f"gradient ({reduction})")


def test_cross_entropy_with_infinite_logits():
    x = np.array([[np.inf, 1.0, 2.0], [-np.inf, 0.0, 1.0], [np.nan, 0.0, 0.0]], np.float32)
    target = np.array([1, 2, 0])
    e, t = _both(x)
    ey = ember.nn.functional.cross_entropy(e, ember.tensor(target), reduction="none")
    ty = TF.cross_entropy(t, torch.tensor(target), reduction="none")
    assert_close(ey, ty)
    ey.sum().backward()
    ty.sum().backward()
    assert_close(e.grad, t.grad)


_EXP32_CHECK = """
import numpy as np
from ember import kernels
from ember.kernels._math import exp32


@kernels.kernel()
def apply(x, out):
    for i in range(x.size):
        out[i] = exp32(x[i])


x = np.concatenate([np.linspace(-104, 89, 200001, dtype=np.float32),
                    np.array([np.nan, np.inf, -np.inf, 0, -0.0, 88.72, -87.4, -103.9],
                             np.float32)])
out = np.empty_like(x)
apply(x, out)
exact = np.exp(x.astype(np.float64))
single = np.finfo(np.float32)
finite = (exact < single.max) & (exact > single.tiny)  # NaN: neither
relative = np.abs(out[finite] / exact[finite] - 1)
assert relative.max() < 4 * single.eps, relative.max()
special = ~finite
with np.errstate(over="ignore"):
    np.testing.assert_allclose(out[special], exact[special].astype(np.float32),
                               rtol=4 * single.eps, atol=2e-45, equal_nan=True)
"""


def test_exp32_accuracy_and_special_values(tmp_path):
    # In a fresh process with its own kernel cache: what exp32 computes as compiled from its
    # source, whatever other tests' processes compiled or cached before.
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path),
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = tmp_path / "exp32_check.py"
    script.write_text(_EXP32_CHECK)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr


# ----------------------------------------------------------------------------- optimizers


def _params(lib, dtype, strided):
    rng = np.random.default_rng(9)
    shapes = [(BIG,), (7, 13), (5,)]
    params = [lib.nn.Parameter(lib.tensor(rng.standard_normal(s).astype(dtype)))
              for s in shapes]
    if strided:  # a parameter whose memory is not contiguous
        base = lib.tensor(rng.standard_normal((13, 7)).astype(dtype))
        params[1] = lib.nn.Parameter(base.t()) if lib is torch else \
            lib.nn.Parameter(base.t())
    return params


OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), maximize=True, eps=1e-6)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.5, amsgrad=True, maximize=True)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, kwargs", OPTIMIZERS,
                         ids=[f"{n}-{'-'.join(k)}" for n, k in OPTIMIZERS])
@pytest.mark.parametrize("strided", [False, True])
def test_fused_optimizer_steps_match_torch(dtype, name, kwargs, strided):
    eps, tps = _params(ember, dtype, strided), _params(torch, dtype, strided)
    eopt = getattr(ember.optim, name)(eps, **kwargs)
    topt = getattr(torch.optim, name)(tps, **kwargs)
    rng = np.random.default_rng(10)
    for step in range(5):
        for ep, tp in zip(eps, tps):
            g = rng.standard_normal(tuple(tp.shape)).astype(dtype)
            ep.grad, tp.grad = ember.tensor(g), torch.tensor(g)
        eopt.step()
        topt.step()
        for i, (ep, tp) in enumerate(zip(eps, tps)):
            assert_close(ep.detach(), tp.detach(), what=f"param {i} after step {step + 1}",
                         rtol=1e-5 if dtype == np.float32 else 1e-12,
                         atol=1e-6 if dtype == np.float32 else 1e-12)
    for key, value in topt.state[tps[0]].items():
        if key != "step":
            assert_close(eopt.state[eps[0]][key], value, what=f"state {key}",
                         rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                          ("Adam", dict(lr=0.1, amsgrad=True))])
def test_fused_optimizer_steps_propagate_nan_and_inf(name, kwargs):
    g = np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)
    results = []
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.ones(4))
        opt = getattr(lib.optim, name)([p], **kwargs)
        for _ in range(2):
            p.grad = lib.tensor(g)
            opt.step()
        results.append(p.detach().numpy())
    np.testing.assert_array_equal(results[0], results[1])


# ----------------------------------------------------------------------------- threads, imports


def test_set_num_threads_reaches_numba():
    import numba
    TABLE["softmax"].fn(ember.ones(2, 3), 1)  # kernels loaded
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert numba.get_num_threads() == 1
    finally:
        ember.set_num_threads(before)
    assert numba.get_num_threads() == min(before, numba.config.NUMBA_NUM_THREADS)


def test_import_loads_no_numba_and_thread_count_applies_at_kernel_load():
    code = ("import sys, ember; assert 'numba' not in sys.modules; ember.set_num_threads(1); "
            "ember.softmax(ember.ones(2, 3), 1); import numba; "
            "assert numba.get_num_threads() == 1, numba.get_num_threads()")
    subprocess.run([sys.executable, "-c", code], check=True)
