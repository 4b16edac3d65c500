"""The last compatibility gaps: autograd.Variable, Tensor.is_inference, and
nn.LinearCrossEntropyLoss / F.linear_cross_entropy, each against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch, copy_params


# -- Variable ---------------------------------------------------------------------------

@pytest.mark.parametrize("requires_grad", [False, True])
def test_variable_is_a_detached_alias_like_torch(requires_grad, rng):
    x = rng.standard_normal(3).astype(np.float32)
    e_src = ember.tensor(x, requires_grad=True) * 2
    t_src = torch.tensor(x, requires_grad=True) * 2
    ev = ember.autograd.Variable(e_src, requires_grad=requires_grad)
    tv = torch.autograd.Variable(t_src, requires_grad=requires_grad)
    assert type(ev) is ember.Tensor and ev is not e_src
    assert (ev.requires_grad, ev.is_leaf, ev.grad_fn) == \
        (tv.requires_grad, tv.is_leaf, tv.grad_fn)
    assert isinstance(ev, ember.autograd.Variable) and isinstance(tv, torch.autograd.Variable)
    assert not isinstance(x, ember.autograd.Variable)
    ev.data[0] = 7.0  # shares memory with what it wraps, as torch's does
    assert e_src[0].item() == 7.0
    if requires_grad:
        (ev * ev).sum().backward()
        assert_close(ev.grad, 2 * ev.detach())


def test_variable_bad_and_empty_inputs_like_torch():
    assert_raises_like_torch(ember.autograd.Variable, torch.autograd.Variable, [1.0, 2.0])
    assert tuple(ember.autograd.Variable().shape) == tuple(torch.autograd.Variable().shape)
    with pytest.warns(UserWarning, match="volatile"):
        ember.autograd.Variable(ember.ones(1), volatile=True)


# -- is_inference ------------------------------------------------------------------------

def test_is_inference_marks_what_inference_mode_makes():
    results = []
    for lib in (ember, torch):
        with lib.inference_mode():
            a = lib.ones(2, 3)
            b = a * 2 + 1        # ops' outputs, through the fast paths and the general one
            c = lib.exp(b).sum(0)
        with lib.no_grad():
            d = lib.ones(2)
        with lib.inference_mode(False):
            f = lib.ones(2)
        with lib.inference_mode():  # a view is what its base is, in or out of the mode
            views = [d[1:], d.view(2, 1), a[0], a.t()]
        views += [a[:, 1], b.view(-1)]
        results.append([a.is_inference(), b.is_inference(), c.is_inference(),
                        lib.is_inference(a), d.is_inference(), f.is_inference(),
                        (b + 1).is_inference()] + [v.is_inference() for v in views])
    assert results[0] == results[1]


# -- LinearCrossEntropyLoss --------------------------------------------------------------

CASES = [dict(), dict(bias=True), dict(reduction="sum"), dict(reduction="none"),
         dict(label_smoothing=0.2, bias=True), dict(ignore_index=2), dict(weight=True),
         dict(out_features=(3, 2), bias=True), dict(out_features=(4,), reduction="none")]


@pytest.mark.parametrize("kw,batched,probabilities", [
    (kw, batched, probabilities) for kw in CASES for batched in (True, False)
    for probabilities in (False, True)
    # torch refuses K-dimensional losses of one sample and ignore_index with probabilities
    if (batched or "out_features" not in kw) and not (probabilities and "ignore_index" in kw)])
def test_linear_cross_entropy_loss_matches_torch(kw, batched, probabilities, rng):
    out_features = kw.get("out_features", ())
    classes, features, n = 5, 4, 6
    kw_e, kw_t = dict(kw), dict(kw)
    if kw.get("weight"):
        w = rng.uniform(0.5, 2, classes)
        kw_e["weight"], kw_t["weight"] = ember.tensor(w), torch.tensor(w)
    t_loss = torch.nn.LinearCrossEntropyLoss(features, classes, dtype=torch.float64, **kw_t)
    e_loss = ember.nn.LinearCrossEntropyLoss(features, classes, dtype=ember.float64, **kw_e)
    copy_params(t_loss, e_loss)
    x = rng.standard_normal((n, features) if batched else (features,))
    lead = (n,) if batched else ()
    if probabilities:
        y = rng.uniform(size=lead + (classes,) + out_features)
        y /= y.sum(len(lead), keepdims=True)
    else:
        y = rng.integers(0, classes, lead + out_features)
        if "ignore_index" in kw:
            # one ignored row of several; a lone ignored target's mean is 0/0, its grad undefined
            y = np.where(y == kw["ignore_index"], kw["ignore_index"] + 1, y)
            if batched:
                y[0] = kw["ignore_index"]
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    t_out, e_out = t_loss(tx, torch.tensor(y)), e_loss(ex, ember.tensor(y))
    assert_close(e_out, t_out.detach())
    t_out.sum().backward()
    e_out.sum().backward()
    assert_close(ex.grad, tx.grad, what="input grad")
    for (name, tp), (_, ep) in zip(t_loss.named_parameters(), e_loss.named_parameters()):
        assert_close(ep.grad, tp.grad, what=f"{name} grad")
    assert repr(e_loss).replace("ember", "torch") == repr(t_loss)


def test_linear_cross_entropy_gradcheck(rng):
    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((5, 2, 4)), requires_grad=True)
    b = ember.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    y = ember.tensor(rng.integers(0, 5, (3, 2)))
    F = ember.nn.functional
    assert ember.autograd.gradcheck(
        lambda x, w, b: F.linear_cross_entropy(x, w, y, linear_bias=b, label_smoothing=0.1),
        (x, w, b))


@pytest.mark.parametrize("args", [
    dict(x=(2, 3, 4), w=(5, 4)),          # input of 3 dims
    dict(x=(2, 4), w=(5,)),               # weight of 1 dim
    dict(x=(2, 3), w=(5, 4)),             # in_features differ
    dict(x=(2, 4), w=(5, 4), b=(4,)),     # bias of the wrong shape
    dict(x=(4,), w=(5, 3, 4), y=(3,)),    # K-dimensional loss on unbatched input
    dict(x=(2, 4), w=(5, 4), y=(2, 5), ignore=1),  # ignore_index with probabilities
])
def test_linear_cross_entropy_errors_like_torch(args, rng):
    x, w = rng.standard_normal(args["x"]), rng.standard_normal(args["w"])
    b = rng.standard_normal(args["b"]) if "b" in args else None
    y_shape = args.get("y", args["x"][:-1])
    y = rng.uniform(size=y_shape) if "ignore" in args else rng.integers(0, 5, y_shape)

    def call(lib):
        return lambda: lib.nn.functional.linear_cross_entropy(
            lib.tensor(x), lib.tensor(w), lib.tensor(y),
            linear_bias=None if b is None else lib.tensor(b), ignore_index=args.get("ignore"))
    assert_raises_like_torch(call(ember), call(torch))
    with pytest.raises(RuntimeError, match="linear_cross_entropy"):
        call(ember)()


def test_linear_cross_entropy_loss_checks_its_options_like_torch():
    for kw in (dict(weight=ember.ones(3)), dict(label_smoothing=1.5)):
        kw_t = {k: torch.ones(3) if k == "weight" else v for k, v in kw.items()}
        assert_raises_like_torch(lambda: ember.nn.LinearCrossEntropyLoss(4, 5, **kw),
                                 lambda: torch.nn.LinearCrossEntropyLoss(4, 5, **kw_t))
    options = ember.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    loss = ember.nn.LinearCrossEntropyLoss(4, 5, options=options)
    x, y = ember.randn(6, 4), ember.randint(0, 5, (6,))
    plain = ember.nn.LinearCrossEntropyLoss(4, 5)
    plain.load_state_dict(loss.state_dict())
    assert_close(loss(x, y), plain(x, y))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kw", [dict(), dict(bias=True, weight=True), dict(ignore_index=3),
                                dict(batched=False, bias=True)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_chunked_linear_cross_entropy_matches_torch(reduction, kw, dtype, rng):
    """options=... goes through the batch 3 rows at a time, in both libraries."""
    n, features, classes = 10, 5, 7
    batched = kw.get("batched", True)
    x = rng.standard_normal((n, features) if batched else (features,)).astype(dtype)
    w = rng.standard_normal((classes, features)).astype(dtype)
    b = rng.standard_normal(classes).astype(dtype)
    y = rng.integers(0, classes, (n,) if batched else ())
    if "ignore_index" in kw:
        y = np.where(y == 3, 4, y)
        y[:2] = 3
    class_weight = rng.uniform(0.5, 2, classes).astype(dtype)
    grads = []
    for lib in (ember, torch):
        tensors = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        loss = lib.nn.functional.linear_cross_entropy(
            tensors[0], tensors[1], lib.tensor(y),
            linear_bias=tensors[2] if kw.get("bias") else None,
            weight=lib.tensor(class_weight) if kw.get("weight") else None,
            ignore_index=kw.get("ignore_index"), reduction=reduction,
            options=lib.nn.LinearCrossEntropyOptions(batch_chunk_size=3))
        loss.sum().backward()
        grads.append([loss] + [t.grad for t in tensors[:2 + bool(kw.get("bias"))]])
    for name, got, want in zip(["loss", "input", "weight", "bias"], *grads):
        assert_close(got, want.detach(), what=name)


def test_chunk_sizes_and_option_checks_like_torch():
    for kw in (dict(), dict(chunking_method="aspect_ratio"), dict(batch_chunk_size=48),
               dict(chunking_method="aspect_ratio:4"), dict(chunking_method=None)):
        for rows, features, classes in ((1000, 64, 5000), (37, 16, 10), (5, 8, 100000)):
            want = torch.nn.LinearCrossEntropyOptions(**kw)._adjust(
                rows, features, classes, torch.float32, torch.device("cpu")).batch_chunk_size
            got = ember.nn.LinearCrossEntropyOptions(**kw).chunk_rows(rows, features, classes)
            assert got == want, (kw, rows, features, classes)
    for kw in (dict(chunking_method="rows"), dict(chunking_method="aspect_ratio:0"),
               dict(batch_chunk_size=0), dict(acc_policy="fast")):
        assert_raises_like_torch(lambda: ember.nn.LinearCrossEntropyOptions(**kw),
                                 lambda: torch.nn.LinearCrossEntropyOptions(**kw))
    clash = dict(batch_chunk_size=7, chunking_method="aspect_ratio")
    with pytest.raises(ValueError, match="batch_chunk_size"):
        ember.nn.LinearCrossEntropyOptions(**clash).chunk_rows(100, 8, 64)


def test_options_the_chunked_path_cannot_take_warn_and_use_the_reference(rng):
    x, w = ember.randn(6, 4), ember.randn(5, 4)
    y = ember.randint(0, 5, (6,))
    F = ember.nn.functional
    options = ember.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    with pytest.warns(UserWarning, match="options ignored"):
        got = F.linear_cross_entropy(x, w, y, label_smoothing=0.1, options=options)
    assert_close(got, F.linear_cross_entropy(x, w, y, label_smoothing=0.1))
