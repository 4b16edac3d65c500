"""Convolution and pooling layers against PyTorch: forward, gradients, reprs, errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch, compare_modules


CONV_CASES = [
    ("Conv1d", dict(in_channels=4, out_channels=6, kernel_size=3), (2, 4, 9)),
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=3, padding=1), (2, 4, 7, 6)),
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, groups=2,
                    bias=False), (2, 4, 7, 6)),
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=3, padding="same",
                    dilation=2), (2, 4, 7, 6)),
    ("Conv2d", dict(in_channels=3, out_channels=2, kernel_size=3), (3, 5, 5)),  # unbatched
    ("Conv3d", dict(in_channels=2, out_channels=3, kernel_size=2, stride=(1, 2, 1)),
     (2, 2, 4, 5, 3)),
    ("ConvTranspose1d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2),
     (2, 4, 5)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2,
                             padding=1, output_padding=1, groups=2), (2, 4, 5, 4)),
    ("ConvTranspose3d", dict(in_channels=2, out_channels=3, kernel_size=2), (1, 2, 3, 3, 2)),
    # unstrided: computed as a convolution with the flipped kernel
    ("ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=3, padding=1,
                             dilation=2, output_padding=1, groups=2), (2, 4, 5, 4)),
    ("ConvTranspose1d", dict(in_channels=4, out_channels=2, kernel_size=3, padding=1),
     (2, 4, 6)),
]


@pytest.mark.parametrize("name,kwargs,shape", CONV_CASES)
def test_conv_layers_match_torch(name, kwargs, shape, rng):
    t_mod = getattr(torch.nn, name)(**kwargs).double()
    e_mod = getattr(ember.nn, name)(**kwargs).double()
    assert repr(e_mod) == repr(t_mod)
    compare_modules(t_mod, e_mod, shape, rng)


POOL_CASES = [
    ("MaxPool1d", dict(kernel_size=3, stride=2), (2, 3, 9)),
    ("MaxPool2d", dict(kernel_size=2), (2, 3, 8, 6)),
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 3, 7, 8)),
    ("MaxPool3d", dict(kernel_size=2, dilation=2), (1, 2, 6, 5, 5)),
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False,
                       ceil_mode=True), (2, 3, 7, 8)),
    ("AvgPool2d", dict(kernel_size=2, divisor_override=3), (3, 6, 6)),  # unbatched
    ("AvgPool3d", dict(kernel_size=2), (1, 2, 4, 4, 6)),
    ("AdaptiveAvgPool1d", dict(output_size=4), (2, 3, 9)),
    ("AdaptiveAvgPool2d", dict(output_size=1), (2, 3, 5, 6)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, None)), (2, 3, 6, 5)),   # divisible
    ("AdaptiveAvgPool2d", dict(output_size=(4, 7)), (3, 7, 5)),         # general, unbatched
    ("AdaptiveAvgPool3d", dict(output_size=(2, 3, 2)), (1, 2, 5, 4, 3)),
    ("AdaptiveMaxPool1d", dict(output_size=4), (2, 3, 9)),
    ("AdaptiveMaxPool2d", dict(output_size=(3, 2)), (2, 3, 7, 5)),
    ("AdaptiveMaxPool3d", dict(output_size=2), (1, 2, 5, 4, 3)),
    ("LPPool1d", dict(norm_type=2, kernel_size=3, stride=2), (2, 3, 9)),
    ("LPPool2d", dict(norm_type=3, kernel_size=2, ceil_mode=True), (2, 3, 5, 6)),
    ("LPPool2d", dict(norm_type=1.5, kernel_size=(2, 3), stride=1), (2, 3, 5, 6)),
    ("LPPool3d", dict(norm_type=2, kernel_size=2), (1, 2, 4, 4, 4)),
]


@pytest.mark.parametrize("name,kwargs,shape", POOL_CASES)
def test_pool_layers_match_torch(name, kwargs, shape, rng):
    t_mod = getattr(torch.nn, name)(**kwargs)
    e_mod = getattr(ember.nn, name)(**kwargs)
    assert repr(e_mod) == repr(t_mod)
    compare_modules(t_mod, e_mod, shape, rng)


def test_max_pool_return_indices_match_torch(rng):
    x = rng.standard_normal((2, 3, 7, 7))
    ev, ei = ember.nn.functional.max_pool2d(ember.tensor(x), 3, 2, 1, return_indices=True)
    tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    assert_close(ev, tv)
    assert_close(ei, ti)


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32"])
@pytest.mark.parametrize("kernel,stride,padding,dilation", [
    (2, 2, 0, 1),        # the written-out 2x2 loop
    (3, 2, 1, 2),        # the general loop: padding skipped, dilated taps
])
def test_max_pool_compiled_matches_torch(dtype, kernel, stride, padding, dilation, rng):
    """NaN and -inf windows, odd sizes, a channels_last input and the gradient's scatter."""
    x = rng.permutation(2 * 3 * 9 * 7).reshape(2, 3, 9, 7).astype(dtype)
    if dtype != "int32":
        x[0, 0, 0, 1] = np.nan
        x[1, 2, :4, :4] = -np.inf
    tx = torch.tensor(x).to(memory_format=torch.channels_last)
    ex = ember.tensor(x).to(memory_format=ember.channels_last)
    args = (kernel, stride, padding, dilation)
    tv, ti = torch.nn.functional.max_pool2d(tx, *args, return_indices=True)
    ev, ei = ember.nn.functional.max_pool2d(ex, *args, return_indices=True)
    assert_close(ev, tv)
    assert_close(ei, ti)
    if dtype == "float32":
        tx, ex = tx.requires_grad_(), ex.requires_grad_()
        g = rng.standard_normal(tuple(tv.shape)).astype(dtype)
        torch.nn.functional.max_pool2d(tx, *args).backward(torch.tensor(g))
        ember.nn.functional.max_pool2d(ex, *args).backward(ember.tensor(g))
        assert_close(ex.grad, tx.grad)


@pytest.mark.parametrize("n,kernel,stride,padding,shape,output_size", [
    (1, 2, None, 0, (2, 3, 8), None),
    (2, 2, None, 0, (2, 3, 6, 8), None),
    (2, 3, 2, 1, (2, 3, 7, 8), (2, 3, 7, 8)),   # overlapping windows: repeated indices
    (2, 2, None, 0, (3, 5, 7), (5, 7)),          # unbatched, odd size recovered
    (3, 2, None, 0, (1, 2, 4, 4, 6), None),
])
def test_max_unpool_matches_torch(n, kernel, stride, padding, shape, output_size, rng):
    x = rng.standard_normal(shape)
    tv, ti = getattr(torch.nn.functional, f"max_pool{n}d")(
        torch.tensor(x), kernel, stride, padding, return_indices=True)
    e_in = ember.tensor(tv.numpy(), requires_grad=True)
    t_in = tv.detach().requires_grad_(True)
    t_mod = getattr(torch.nn, f"MaxUnpool{n}d")(kernel, stride, padding)
    e_mod = getattr(ember.nn, f"MaxUnpool{n}d")(kernel, stride, padding)
    assert repr(e_mod) == repr(t_mod)
    ty = t_mod(t_in, ti, output_size)
    ey = e_mod(e_in, ember.tensor(ti.numpy()), output_size)
    assert_close(ey, ty)
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g))
    assert_close(e_in.grad, t_in.grad)


def test_adaptive_max_pool_return_indices_match_torch(rng):
    x = rng.standard_normal((2, 3, 7, 9))
    ev, ei = ember.nn.AdaptiveMaxPool2d((3, 4), return_indices=True)(ember.tensor(x))
    tv, ti = torch.nn.AdaptiveMaxPool2d((3, 4), return_indices=True)(torch.tensor(x))
    assert_close(ev, tv)
    assert_close(ei, ti)


def test_pool_errors_like_torch():
    import torch.nn.functional as TF
    F = ember.nn.functional
    x = np.zeros((1, 3, 4, 4), np.float32)
    index = np.zeros((1, 3, 2, 2), np.int64)
    bad = index + 100
    cases = [
        (lambda m, t: m.max_unpool2d(t(x[:, :, :2, :2]), t(bad), 2)),        # index too large
        (lambda m, t: m.max_unpool2d(t(x[:, :, :2, :2]), t(index[..., :1]), 2)),  # shapes
        (lambda m, t: m.max_unpool2d(t(x[:, :, :2, :2]), t(index), 2, output_size=(9, 9))),
        (lambda m, t: m.adaptive_avg_pool2d(t(x[:, :, :0]), 2)),             # empty input
        (lambda m, t: m.adaptive_max_pool2d(t(x[:, :, :0]), 2)),
        (lambda m, t: m.adaptive_avg_pool2d(t(x[0, 0, 0]), 2)),              # too few dims
    ]
    for case in cases:
        assert_raises_like_torch(lambda: case(F, ember.tensor),
                                 lambda: case(torch.nn.functional, torch.tensor))


def test_conv_errors_like_torch():
    import torch.nn.functional as TF
    F = ember.nn.functional
    x, w = np.zeros((1, 3, 5, 5), np.float32), np.zeros((4, 2, 3, 3), np.float32)
    # channel mismatch
    assert_raises_like_torch(lambda: F.conv2d(ember.tensor(x), ember.tensor(w)),
                             lambda: TF.conv2d(torch.tensor(x), torch.tensor(w)))
    # kernel larger than the input
    big = np.zeros((4, 3, 7, 7), np.float32)
    assert_raises_like_torch(lambda: F.conv2d(ember.tensor(x), ember.tensor(big)),
                             lambda: TF.conv2d(torch.tensor(x), torch.tensor(big)))
    # strided 'same'
    assert_raises_like_torch(lambda: ember.nn.Conv2d(3, 4, 3, stride=2, padding="same"),
                             lambda: torch.nn.Conv2d(3, 4, 3, stride=2, padding="same"))
    # pooling padding larger than half the kernel
    assert_raises_like_torch(lambda: F.max_pool2d(ember.tensor(x), 2, padding=2),
                             lambda: TF.max_pool2d(torch.tensor(x), 2, padding=2))


def test_conv2d_default_init_matches_torch_bounds():
    m = ember.nn.Conv2d(16, 8, 3)
    bound = 1 / np.sqrt(16 * 9)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("stride", [1, 2])
def test_conv_batch_split_across_threads_matches_torch(stride, monkeypatch, rng):
    """Every convolution product split by samples over threads (GRAIN 0), BLAS at one thread
    meanwhile and at its own count again afterwards."""
    import threadpoolctl
    from ember.ops import _sample_threads, conv
    monkeypatch.setattr(_sample_threads, "GRAIN", 0)
    calls = []
    split = _sample_threads.split_samples
    monkeypatch.setattr(conv, "split_samples",
                        lambda n, work, size: calls.append(n) or split(n, work, size))
    x = rng.standard_normal((5, 4, 9, 8)).astype(np.float32)
    w = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    g = rng.standard_normal((5, 6) + ((9, 8) if stride == 1 else (5, 4))).astype(np.float32)
    results = []
    for lib in (torch, ember):   # (torch first: it loads its own BLAS)
        before = {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info()}
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, stride=stride, padding=1)
        y.backward(lib.tensor(g))
        results.append((y, xt.grad, wt.grad))
    for what, t, e in zip(("output", "grad input", "grad weight"), *results):
        assert_close(e, t, rtol=1e-4, atol=1e-4, what=what)
    assert len(calls) == 3   # the forward, the input gradient and the weight gradient
    after = {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info()}
    assert {path: after[path] for path in before} == before


def test_convolutions_from_two_python_threads_leave_blas_as_it_was(monkeypatch, rng):
    """Splits from several Python threads at once (one splits, the others run in turn)."""
    import threading
    import threadpoolctl
    from ember.ops import _sample_threads
    monkeypatch.setattr(_sample_threads, "GRAIN", 0)
    x = rng.standard_normal((6, 3, 10, 10)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1)
    before = {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info()}
    results = []

    def run():
        for _ in range(20):
            results.append(ember.nn.functional.conv2d(ember.tensor(x), ember.tensor(w),
                                                      padding=1))
    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 60
    for y in results:
        assert_close(y, expected, rtol=1e-4, atol=1e-4)
    after = {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info()}
    assert {path: after[path] for path in before} == before
