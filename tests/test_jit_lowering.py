"""Graph mode's own forms of ops (`ember.jit.lowering`): compiled results and gradients equal
PyTorch's, and the eager op's errors are kept."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember import compiler


def _lowered(compiled) -> list[str]:
    """The generated source of each captured forward and backward."""
    entries = [e for e in compiled._cache.values() if isinstance(e, compiler.Entry)]
    return [run.source for e in entries for run in (e.forward, e.backward) if run is not None]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("ignore", [None, 3, "all"])  # "all": NaN loss
def test_cross_entropy_loss_and_gradient_equal_pytorch(rng, dtype, reduction, ignore):
    n, classes = 37, 11
    logits = rng.standard_normal((n, classes)).astype(dtype) * 3
    target = rng.integers(0, classes, n)
    ignore_index = -100
    if ignore == 3:
        ignore_index = 3  # some samples ignored
    elif ignore == "all":
        target[:] = ignore_index = 5
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)

    def loss_of(x, t):
        return ember.nn.functional.cross_entropy(x * 1.5, t, ignore_index=ignore_index,
                                                 reduction=reduction)

    compiled = ember.compile(loss_of)
    for step in range(2):  # capture, then the replay of the lowered graph
        x = ember.tensor(logits + step, requires_grad=True)
        loss = compiled(x, ember.tensor(target))
        loss.backward()
        xt = torch.tensor(logits + step, requires_grad=True)
        ref = torch.nn.functional.cross_entropy(xt * 1.5, torch.tensor(target),
                                                ignore_index=ignore_index, reduction=reduction)
        ref.backward()
        np.testing.assert_allclose(loss.detach().numpy(), ref.detach().numpy(), **tol)
        if ignore == "all":  # eager's gradient is NaN where PyTorch's is 0 (a known gap in
            x_eager = ember.tensor(logits + step, requires_grad=True)  # ops/loss.py); the
            loss_of(x_eager, ember.tensor(target)).backward()  # lowering follows eager
            np.testing.assert_array_equal(x.grad.numpy(), x_eager.grad.numpy())
            continue
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), **tol)
        assert loss.dtype == ember.float64 if dtype == "float64" else ember.float32
    forward, backward = _lowered(compiled._compiled if hasattr(compiled, "_compiled")
                                 else compiled)
    assert "low" in forward and "low" in backward and "run_derivative" not in backward


def test_cross_entropy_bad_target_raises_as_eager():
    compiled = ember.compile(lambda x, t: ember.nn.functional.cross_entropy(x, t))
    x = ember.randn(4, 3, requires_grad=True)
    compiled(x, ember.tensor([0, 1, 2, 1]))
    with pytest.raises(IndexError, match="Target 7 is out of bounds for 3 classes"):
        compiled(x, ember.tensor([0, 7, 2, 1]))
    with pytest.raises(IndexError, match="Target -2 is out of bounds"):
        compiled(x, ember.tensor([0, 1, -2, 1]))


def test_weighted_or_smoothed_cross_entropy_keeps_the_op_table_call(rng):
    x = ember.randn(8, 5, requires_grad=True)
    t = ember.tensor(rng.integers(0, 5, 8))
    w = ember.rand(5)
    compiled = ember.compile(lambda x, t: ember.nn.functional.cross_entropy(
        x, t, weight=w, label_smoothing=0.1))
    compiled(x, t)
    loss = compiled(x, t)
    eager = ember.nn.functional.cross_entropy(x, t, weight=w, label_smoothing=0.1)
    np.testing.assert_allclose(loss.detach().numpy(), eager.detach().numpy(), rtol=1e-6)
    assert all("low" not in source for source in _lowered(compiled))


def test_relu_gradient_runs_the_eager_kernel_on_arrays(rng):
    w = ember.tensor(rng.standard_normal((64, 512)).astype(np.float32), requires_grad=True)
    x = ember.tensor(rng.standard_normal((256, 64)).astype(np.float32))  # the kernel's size
    compiled = ember.compile(lambda x: (x @ w).relu().sum())
    grads = []
    for _ in range(2):
        compiled(x).backward()
        grads.append(w.grad.numpy().copy())
        w.grad = None
    (x @ w).relu().sum().backward()
    np.testing.assert_array_equal(grads[1], w.grad.numpy())
    xt, wt = torch.tensor(x.numpy()), torch.tensor(w.detach().numpy(), requires_grad=True)
    (xt @ wt).relu().sum().backward()
    np.testing.assert_allclose(grads[1], wt.grad.numpy(), rtol=1e-5, atol=1e-5)
    _, backward = _lowered(compiled)
    assert "run_derivative('relu'" not in backward and "low" in backward
