"""ember.amp against torch.amp: autocast output dtypes and values, GradScaler trajectories."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_close

pytest.importorskip("ml_dtypes")


def _pair_linear_model(seed=0):
    torch.manual_seed(seed)
    tm = torch.nn.Sequential(torch.nn.Linear(8, 6), torch.nn.ReLU(), torch.nn.Linear(6, 4))
    em = ember.nn.Sequential(ember.nn.Linear(8, 6), ember.nn.ReLU(), ember.nn.Linear(6, 4))
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def _as_float32(t):
    return t.float().detach().numpy()  # the same spelling in both libraries


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_autocast_model_dtypes_and_values(dtype):
    tm, em = _pair_linear_model()
    x = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    with torch.autocast("cpu", dtype=getattr(torch, dtype)):
        th = tm(torch.tensor(x))
        tp = torch.softmax(th, -1)
        tl = torch.nn.functional.cross_entropy(th, torch.tensor([0, 1, 2, 3, 0]))
    with ember.autocast("cpu", dtype=getattr(ember, dtype)):
        eh = em(ember.tensor(x))
        ep = ember.softmax(eh, -1)
        el = ember.nn.functional.cross_entropy(eh, ember.tensor([0, 1, 2, 3, 0]))
    for e, t in ((eh, th), (ep, tp), (el, tl)):
        assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
        np.testing.assert_allclose(_as_float32(e), _as_float32(t), rtol=5e-2, atol=5e-2)
    assert eh.dtype == getattr(ember, dtype)


def test_autocast_gradients_reach_float32_weights():
    tm, em = _pair_linear_model(1)
    x = np.random.default_rng(1).standard_normal((5, 8)).astype(np.float32)
    with torch.autocast("cpu"):
        tl = tm(torch.tensor(x)).float().pow(2).mean()
    tl.backward()
    with ember.autocast("cpu"):
        el = em(ember.tensor(x)).float().pow(2).mean()
    el.backward()
    for (name, tp), ep in zip(tm.named_parameters(), em.parameters()):
        assert ep.grad.dtype == ember.float32, name
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=5e-2, atol=5e-2)


@pytest.mark.parametrize("fn", ["mm", "matmul", "bmm", "addmm", "baddbmm", "conv2d", "linear",
                                "conv_transpose1d", "prod", "sum", "add", "sdpa"])
def test_autocast_op_dtypes(fn):
    rng = np.random.default_rng(2)
    shapes = {"mm": [(3, 4), (4, 5)], "matmul": [(2, 3, 4), (4, 5)], "bmm": [(2, 3, 4), (2, 4, 5)],
              "addmm": [(3, 5), (3, 4), (4, 5)], "baddbmm": [(2, 3, 5), (2, 3, 4), (2, 4, 5)],
              "conv2d": [(1, 2, 5, 5), (3, 2, 3, 3), (3,)],
              "conv_transpose1d": [(1, 2, 5), (2, 3, 3), (3,)], "prod": [(3, 4)],
              "sum": [(3, 4)], "linear": [(2, 3, 4), (5, 4), (5,)], "add": [(3, 4), (3, 4)], "sdpa": [(2, 3, 4)] * 3}[fn]
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    name = {"conv2d": "nn.functional.conv2d", "linear": "nn.functional.linear", "conv_transpose1d": "nn.functional.conv_transpose1d",
            "sdpa": "nn.functional.scaled_dot_product_attention"}.get(fn, fn)

    def call(lib, ins):
        f = lib
        for part in name.split("."):
            f = getattr(f, part)
        return f(*ins)
    with torch.autocast("cpu"):
        t = call(torch, [torch.tensor(a) for a in arrays])
    with ember.autocast("cpu"):
        e = call(ember, [ember.tensor(a) for a in arrays])
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    np.testing.assert_allclose(_as_float32(e), _as_float32(t), rtol=5e-2, atol=5e-2)


def test_autocast_state_nesting_decorator_and_float64():
    x = ember.randn(3, 3)
    assert not ember.is_autocast_enabled("cpu")
    with ember.autocast("cpu"):
        assert ember.is_autocast_enabled("cpu") and not ember.is_autocast_enabled()
        assert ember.get_autocast_dtype("cpu") == ember.bfloat16
        assert ember.mm(x.double(), x.double()).dtype == ember.float64
        with ember.autocast("cpu", enabled=False):
            assert ember.mm(x, x).dtype == ember.float32
        with ember.autocast("cpu", dtype=ember.float16):
            assert ember.mm(x, x).dtype == ember.float16
        assert ember.mm(x, x).dtype == ember.bfloat16
    assert not ember.is_autocast_enabled("cpu") and ember.mm(x, x).dtype == ember.float32

    @ember.amp.autocast("cpu")
    def f(a):
        return ember.matmul(a, a)
    assert f(x).dtype == ember.bfloat16 and ember.matmul(x, x).dtype == ember.float32
    with pytest.warns(UserWarning, match="target dtype is not supported"):
        with ember.autocast("cpu", dtype=ember.float64):
            assert ember.mm(x, x).dtype == ember.float32
    with pytest.warns(FutureWarning):
        with ember.cpu.amp.autocast():
            assert ember.mm(x, x).dtype == ember.bfloat16
    with pytest.raises(RuntimeError, match="unsupported autocast device_type"):
        ember.autocast("tpu")


def _scaler_run(lib, grads_per_step, **kwargs):
    """Run a GradScaler over hand-set gradients; return (scale, growth tracker, param) per step."""
    p = lib.nn.Parameter(lib.tensor([1.0, -2.0, 3.0]))
    opt = lib.optim.SGD([p], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **kwargs)
    trace = []
    for g in grads_per_step:
        opt.zero_grad()
        loss = scaler.scale((p * lib.tensor(g)).sum())
        loss.backward()
        scaler.step(opt)
        scaler.update()
        trace.append((scaler.get_scale(), scaler.state_dict()["_growth_tracker"],
                      p.detach().numpy().copy()))
    return trace, scaler


def test_grad_scaler_trajectory_matches_torch():
    steps = [[1.0, 2.0, 3.0]] * 3 + [[np.inf, 1.0, 1.0]] + [[0.5, 0.5, 0.5]] * 4 + \
            [[np.nan, 0.0, 0.0]] + [[1.0, 1.0, 1.0]] * 3
    kwargs = dict(init_scale=1024.0, growth_factor=4.0, backoff_factor=0.25, growth_interval=2)
    et, es = _scaler_run(ember, steps, **kwargs)
    tt, ts = _scaler_run(torch, steps, **kwargs)
    for (escale, etrack, ep), (tscale, ttrack, tp) in zip(et, tt):
        assert escale == tscale and etrack == ttrack
        np.testing.assert_allclose(ep, tp, rtol=1e-6)
    assert es.state_dict() == ts.state_dict()


def test_grad_scaler_unscale_state_dict_and_errors():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=1.0)
    scaler = ember.amp.GradScaler("cpu", init_scale=8.0)
    assert scaler.get_scale() == 8.0 and scaler.is_enabled()
    scaler.scale(p.sum()).backward()
    scaler.unscale_(opt)
    assert_close(p.grad, torch.ones(2))
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    other = ember.amp.GradScaler("cpu")
    other.load_state_dict(scaler.state_dict())
    assert other.state_dict() == scaler.state_dict()
    off = ember.amp.GradScaler("cpu", enabled=False)
    assert off.state_dict() == {} and off.get_scale() == 1.0
    loss = p.sum()
    assert off.scale(loss) is loss
    with pytest.raises(RuntimeError, match="state dict is empty"):
        scaler.load_state_dict({})
    with pytest.raises(AssertionError, match="new_scale should be a float"):
        scaler.update(ember.tensor([2.0, 3.0]))
    scaler.update(ember.tensor([32.0]))
    assert scaler.get_scale() == 32.0
    fresh = ember.amp.GradScaler("cpu")
    with pytest.raises(AssertionError, match="_scale is None"):
        fresh.step(opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not ember.cuda.amp.GradScaler().is_enabled() or ember.cuda.is_available()


@pytest.mark.parametrize("cast_inputs", [None, "float32"])
def test_custom_fwd_bwd_match_torch(cast_inputs):
    def make(lib):
        class Square(lib.autograd.Function):
            @staticmethod
            @lib.amp.custom_fwd(device_type="cpu",
                                cast_inputs=cast_inputs and getattr(lib, cast_inputs))
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return lib.mm(a, a)

            @staticmethod
            @lib.amp.custom_bwd(device_type="cpu")
            def backward(ctx, grad):
                (a,) = ctx.saved_tensors
                seen.append(lib.mm(grad, a).dtype)
                return lib.mm(grad, a.T) + lib.mm(a.T, grad)
        return Square

    x = np.random.default_rng(3).standard_normal((3, 3)).astype(np.float32)
    results = []
    for lib in (torch, ember):
        seen = []
        a = lib.tensor(x, requires_grad=True)
        with lib.autocast("cpu"):
            y = make(lib).apply(a)
        y.float().sum().backward()
        results.append((str(y.dtype).split(".")[1], str(seen[0]).split(".")[1],
                        str(a.grad.dtype).split(".")[1]))
    assert results[0] == results[1]


def test_autocast_is_per_thread():
    import threading
    x = ember.randn(3, 3)
    seen = {}
    with ember.autocast("cpu"):
        worker = threading.Thread(target=lambda: seen.update(
            dtype=ember.mm(x, x).dtype, enabled=ember.is_autocast_enabled("cpu")))
        worker.start()
        worker.join()
        assert ember.mm(x, x).dtype == ember.bfloat16
    assert seen == dict(dtype=ember.float32, enabled=False)
