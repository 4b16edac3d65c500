"""Thread counts: ember.set_num_threads and friends, with and without threadpoolctl, and the
threading policy of the compiled kernels."""
import importlib
import os
import pkgutil
import subprocess
import sys
import warnings

import numpy as np
import pytest
import threadpoolctl
import torch

import ember
from ember import _threads, kernels
from tests.helpers import assert_raises_like_torch


@pytest.fixture
def restore_threads():
    saved = dict(_threads._counts), _threads._warned[0]
    with threadpoolctl.threadpool_limits(limits=None, user_api="blas"):  # restored on exit
        yield
    _threads._counts.clear()
    _threads._counts.update(saved[0])
    _threads._warned[0] = saved[1]


def _blas_threads():
    return [info["num_threads"] for info in threadpoolctl.threadpool_info()
            if info["user_api"] == "blas"]


def test_defaults_are_positive_like_torch():
    assert isinstance(ember.get_num_threads(), int) and ember.get_num_threads() >= 1
    assert isinstance(ember.get_num_interop_threads(), int)
    assert ember.get_num_interop_threads() >= 1
    assert isinstance(torch.get_num_threads(), int)


def test_set_num_threads_limits_blas(restore_threads):
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    blas = _blas_threads()
    assert blas and all(n == 1 for n in blas)
    a = ember.randn(64, 64)
    assert (a @ a).shape == (64, 64)


def test_without_threadpoolctl_records_and_warns_once(restore_threads, monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import now fails
    _threads._warned[0] = False
    with pytest.warns(UserWarning, match="OPENBLAS_NUM_THREADS.*threadpoolctl"):
        ember.set_num_threads(3)
    assert ember.get_num_threads() == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.set_num_threads(2)  # the second call is silent
    assert ember.get_num_threads() == 2


def test_interop_threads_recorded(restore_threads):
    ember.set_num_interop_threads(2)
    assert ember.get_num_interop_threads() == 2


@pytest.mark.parametrize("name", ["set_num_threads", "set_num_interop_threads"])
@pytest.mark.parametrize("bad", [0, -1])
def test_non_positive_counts_raise_like_torch(name, bad):
    assert_raises_like_torch(getattr(ember, name), getattr(torch, name), bad)
    with pytest.raises(RuntimeError, match=f"{name} expects a positive integer"):
        getattr(ember, name)(bad)


# ----------------------------------------------------------------------------- kernel threads
# The policy of ember/kernels: a loop runs its parallel twin when its first argument is large,
# more than one thread is allowed and no other thread is inside a parallel loop.

BIG = kernels.COMPUTE_GRAIN * 2 + 17


def _threaded_kernels():
    found = []
    for info in pkgutil.iter_modules(kernels.__path__):
        module = importlib.import_module(f"ember.kernels.{info.name}")
        found += [k for k in vars(module).values() if isinstance(k, kernels._Threaded)]
    return found


@pytest.fixture
def twin_calls(monkeypatch):
    """Counts of calls into the serial and the parallel twins of every threaded kernel."""
    calls = {"serial": 0, "parallel": 0}
    for k in _threaded_kernels():
        for twin in ("serial", "parallel"):
            def counted(*args, _run=getattr(k, twin), _twin=twin):
                calls[_twin] += 1
                return _run(*args)
            monkeypatch.setattr(k, twin, counted)
    return calls


def _workload(seed):
    """Forward and backward of every kernel-backed op on inputs past the grain, and a step of
    each fused optimizer; returns every result array."""
    rng = np.random.default_rng(seed)
    F = ember.nn.functional
    x = ember.tensor(rng.standard_normal((BIG // 61, 61)).astype(np.float32),
                     requires_grad=True)
    w = ember.tensor(rng.standard_normal(61).astype(np.float32), requires_grad=True)
    target = ember.tensor(rng.integers(0, 61, BIG // 61))
    loss = (ember.softmax(x, 1) * x).sum() + ember.log_softmax(x, 1).mean() \
        + F.layer_norm(x, (61,), w, w).square().sum() + F.gelu(x).sum() \
        + F.gelu(x, approximate="tanh").sum() + F.silu(x).sum() + F.cross_entropy(x, target)
    images = ember.tensor(rng.standard_normal((8, 16, 32, 32)).astype(np.float32),
                          requires_grad=True)
    conv = ember.nn.Conv2d(16, 16, 3, padding=1)
    norm = ember.nn.BatchNorm2d(16)
    loss = loss + norm(conv(images)).relu().sum()
    loss.backward()
    params = [images, w, x] + list(conv.parameters()) + list(norm.parameters())
    before = [p.detach().numpy().copy() for p in params]
    # (Adam where the gradients are equal bit for bit: its step turns an ulp of a tiny
    # gradient into a visible change)
    ember.optim.Adam(params[:2], lr=0.1, weight_decay=0.01).step()
    ember.optim.SGD(params[2:], lr=0.1, momentum=0.9).step()
    return [loss.detach().numpy()] + before + [p.grad.numpy() for p in params] + \
        [p.detach().numpy() for p in params]


def test_results_equal_serial_and_threaded(restore_threads, twin_calls):
    ember.manual_seed(0)
    ember.set_num_threads(1)
    serial = _workload(0)
    assert twin_calls["parallel"] == 0 and twin_calls["serial"] > 0
    ember.manual_seed(0)
    ember.set_num_threads(2)
    threaded = _workload(0)
    assert twin_calls["parallel"] >= 10, twin_calls  # each kernel's row or element split
    # Equal up to rounding: a twin may vectorize a row's reassociated sums differently (layer
    # norm's backward does, by a few float32 ulps); a race between threads would be far off.
    for i, (a, b) in enumerate(zip(serial, threaded)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=f"result {i}")


def test_small_inputs_stay_serial(restore_threads, twin_calls):
    ember.set_num_threads(2)
    x = ember.randn(kernels.COMPUTE_GRAIN // 64 - 1, 64, requires_grad=True)
    ember.softmax(x, 1).sum().backward()
    assert twin_calls == {"serial": 2, "parallel": 0}
    ember.softmax(ember.randn(kernels.COMPUTE_GRAIN // 64, 64), 1)
    assert twin_calls["parallel"] == 1


def test_a_busy_pool_runs_the_loop_serially(restore_threads, twin_calls):
    ember.set_num_threads(2)
    x = np.random.default_rng(0).standard_normal((BIG // 64, 64)).astype(np.float32)
    expected = ember.softmax(ember.tensor(x), 1).numpy()
    assert twin_calls["parallel"] == 1
    with kernels._POOL:  # another thread is inside a parallel loop
        np.testing.assert_array_equal(ember.softmax(ember.tensor(x), 1).numpy(), expected)
    assert twin_calls == {"serial": 1, "parallel": 1}


def test_default_threads_are_every_core_like_torch(restore_threads):
    _threads._counts.pop("intra", None)
    assert kernels._kernel_threads() == _threads._default_threads()
    ember.set_num_threads(1)
    assert kernels._kernel_threads() == 1


def test_parallel_declarations_follow_the_policy():
    @kernels.kernel(parallel=True)
    def twice(x, out):
        for i in kernels.prange(x.size):
            out[i] = 2 * x[i]
    assert isinstance(twice, kernels._Threaded) and twice.grain == kernels.GRAIN
    assert not isinstance(kernels.kernel()(lambda x: x), kernels._Threaded)


_PYTHON_THREADS = """
import threading, numpy as np, ember, numba
x = np.random.default_rng(0).standard_normal((4096, 64)).astype(np.float32)
expected = ember.softmax(ember.tensor(x), 1).numpy()
assert numba.threading_layer() == "workqueue", numba.threading_layer()
errors = []
def work():
    for _ in range(200):
        if not np.array_equal(ember.softmax(ember.tensor(x), 1).numpy(), expected):
            errors.append("differs")
threads = [threading.Thread(target=work) for _ in range(3)]
for t in threads: t.start()
for t in threads: t.join()
assert not errors, errors
"""

_FORKED_CHILD = """
import os, numpy as np, ember
x = np.random.default_rng(0).standard_normal((4096, 64)).astype(np.float32)
expected = ember.softmax(ember.tensor(x), 1).numpy()  # the parent's threads started
pid = os.fork()
if pid == 0:
    same = np.array_equal(ember.softmax(ember.tensor(x), 1).numpy(), expected)
    os._exit(0 if same else 3)
assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
"""


def _run(code, **env):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**{k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"},
           "PYTHONPATH": root, **env}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)


def test_concurrent_python_threads_share_the_kernels():
    # workqueue aborts the process on two parallel loops at once: the pool lock prevents it
    out = _run(_PYTHON_THREADS)
    assert out.returncode == 0, out.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_runs_parallel_kernels():
    out = _run(_FORKED_CHILD)
    assert out.returncode == 0, out.stderr


def test_a_threading_layer_chosen_by_the_user_is_kept():
    code = ("import numpy as np, ember, numba; ember.softmax(ember.randn(4096, 64), 1); "
            "print(numba.threading_layer())")
    out = _run(code, NUMBA_THREADING_LAYER="omp")
    assert out.returncode == 0 and out.stdout.split() == ["omp"], out.stderr
