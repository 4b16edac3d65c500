"""Losses against PyTorch: values and input gradients for every option combination."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_close, assert_raises_like_torch, to_numpy

CE_OPTIONS = [dict(), dict(weight=True), dict(label_smoothing=0.1),
              dict(weight=True, label_smoothing=0.2), dict(reduction="sum"),
              dict(reduction="none"), dict(reduction="sum", label_smoothing=0.3),
              dict(ignore_index=1)]


def _weights(kw, w):
    e, t = dict(kw), dict(kw)
    if kw.get("weight"):
        e["weight"], t["weight"] = ember.tensor(w), torch.tensor(w)
    return e, t


@pytest.mark.parametrize("kw", CE_OPTIONS)
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3, 4), (5,)])
def test_cross_entropy_with_class_indices(kw, shape, rng):
    x = rng.standard_normal(shape)
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, shape[0 if len(shape) == 1 else 1], target_shape)
    if t.ndim:
        t.flat[0] = kw.get("ignore_index", -100)
    elif t == kw.get("ignore_index", -100):
        t = t + 1  # a lone ignored target makes the mean 0/0 (nan), with an undefined gradient
    w = rng.uniform(0.5, 2, shape[0 if len(shape) == 1 else 1])
    kwe, kwt = _weights(kw, w)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    el = ember.nn.functional.cross_entropy(ex, ember.tensor(t), **kwe)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(t), **kwt)
    assert_close(el, tl)
    el.sum().backward()
    tl.sum().backward()
    assert_close(ex.grad, tx.grad)


@pytest.mark.parametrize("kw", [dict(), dict(label_smoothing=0.2), dict(weight=True),
                                dict(reduction="none")])
def test_cross_entropy_with_probabilities(kw, rng):
    x = rng.standard_normal((6, 5))
    p = rng.dirichlet(np.ones(5), 6)
    kwe, kwt = _weights(kw, rng.uniform(0.5, 2, 5))
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    el = ember.nn.functional.cross_entropy(ex, ember.tensor(p), **kwe)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(p), **kwt)
    assert_close(el, tl)
    el.sum().backward()
    tl.sum().backward()
    assert_close(ex.grad, tx.grad)


def _composite_cross_entropy(x, t, weight=None, ignore_index=-100, label_smoothing=0.0,
                             reduction="mean"):
    """The reference the fused op must equal: log_softmax, then -sum(q * logp) over a dense
    target distribution q."""
    dim = 1 if x.dim() > 1 else 0
    classes = x.shape[dim]
    logp = x.log_softmax(dim)
    kept = (t != ignore_index)
    safe = t.masked_fill(kept.logical_not(), 0)
    w = ember.ones(classes, dtype=x.dtype) if weight is None else weight
    onehot = ember.zeros_like(logp).scatter(dim, safe.unsqueeze(dim), 1.0)
    w_view = w.reshape((1, -1) + (1,) * (x.dim() - 2)) if dim else w
    q = ((1 - label_smoothing) * onehot + label_smoothing / classes) * w_view
    loss = -(q * logp).sum(dim) * kept.to(x.dtype)
    if reduction == "mean":
        return loss.sum() / (w[safe] * kept.to(x.dtype)).sum()
    return loss.sum() if reduction == "sum" else loss


@pytest.mark.parametrize("kw", CE_OPTIONS)
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3, 4), (5,)])
def test_fused_cross_entropy_equals_its_composite(kw, shape, rng):
    x = ember.tensor(rng.standard_normal(shape), requires_grad=True)
    classes = shape[0 if len(shape) == 1 else 1]
    t = ember.tensor(rng.integers(0, classes, () if len(shape) == 1 else
                                  (shape[0],) + shape[2:]))
    if (t == kw.get("ignore_index", -100)).all():
        # the composite divides 0 by 0 where every sample is ignored (PyTorch's gradient is
        # then 0: test_every_target_ignored_gives_zero_gradients_like_torch)
        t = t.masked_fill(ember.ones_like(t, dtype=ember.bool), 0)
    kwe, _ = _weights(kw, rng.uniform(0.5, 2, classes))
    fused = ember.nn.functional.cross_entropy(x, t, **kwe)
    reference = _composite_cross_entropy(x, t, **kwe)
    assert_close(fused, reference)
    (g_fused,) = ember.autograd.grad(fused.sum(), x, create_graph=True)
    (g_ref,) = ember.autograd.grad(reference.sum(), x, create_graph=True)
    assert_close(g_fused, g_ref)
    v = ember.tensor(rng.standard_normal(shape))
    assert_close(ember.autograd.grad((g_fused * v).sum(), x)[0],
                 ember.autograd.grad((g_ref * v).sum(), x)[0])


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_every_target_ignored_gives_zero_gradients_like_torch(reduction, label_smoothing, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    grads = []
    for T in (ember, torch):
        xt = T.tensor(x, requires_grad=True)
        loss = T.nn.functional.cross_entropy(xt, T.tensor([1, 1, 1]), ignore_index=1,
                                             reduction=reduction, label_smoothing=label_smoothing)
        loss.backward()
        grads.append((loss, xt.grad))
    (ours, our_grad), (theirs, their_grad) = grads
    assert_close(ours, theirs)
    assert_close(our_grad, their_grad)


def test_cross_entropy_is_stable_on_large_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype=np.float32)
    loss = ember.nn.CrossEntropyLoss()(ember.tensor(x, requires_grad=True), ember.tensor([0, 2]))
    expected = torch.nn.CrossEntropyLoss()(torch.tensor(x), torch.tensor([0, 2]))
    assert np.isfinite(loss.item())
    assert_close(loss, expected)


def test_nll_and_mse_modules_match_torch(rng):
    x = rng.standard_normal((4, 3))
    t = rng.integers(0, 3, 4)
    assert_close(ember.nn.NLLLoss(reduction="sum")(ember.tensor(x), ember.tensor(t)),
                 torch.nn.NLLLoss(reduction="sum")(torch.tensor(x), torch.tensor(t)))
    y = rng.standard_normal((4, 3))
    assert_close(ember.nn.MSELoss()(ember.tensor(x), ember.tensor(y)),
                 torch.nn.MSELoss()(torch.tensor(x), torch.tensor(y)))


def test_loss_errors_like_torch():
    x = np.zeros((3, 4), np.float32)
    for target in (np.array([0, 1]), np.array([0, 1, 7])):
        assert_raises_like_torch(
            lambda: ember.nn.functional.cross_entropy(ember.tensor(x), ember.tensor(target)),
            lambda: torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(target)))
    assert_raises_like_torch(
        lambda: ember.nn.functional.mse_loss(ember.tensor(x), ember.tensor(x), reduction="avg"),
        lambda: torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(x), reduction="avg"))


# ----------------------------------------------------------------------------- other losses

def _compare(name, arrays, kwargs=None, grad=(0,), atol=None, rtol=None):
    """Run F.<name> on the same arrays in ember and torch; compare the loss and the
    gradients of the arrays at the positions ``grad``."""
    kwargs = kwargs or {}
    es, ts = [], []
    for i, a in enumerate(arrays):
        if isinstance(a, np.ndarray):
            needs = i in grad
            es.append(ember.tensor(a, requires_grad=needs))
            ts.append(torch.tensor(a, requires_grad=needs))
        else:
            es.append(a)
            ts.append(a)
    ekw = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    el = getattr(ember.nn.functional, name)(*es, **ekw)
    tl = getattr(torch.nn.functional, name)(*ts, **tkw)
    assert_close(el, tl, atol=atol, rtol=rtol)
    if not grad:
        return el
    seed = np.random.default_rng(0).standard_normal(tuple(tl.shape))
    el.backward(ember.tensor(seed.astype(to_numpy(tl).dtype)))
    tl.backward(torch.tensor(seed.astype(to_numpy(tl).dtype)))
    for i in grad:
        assert_close(es[i].grad, ts[i].grad, atol=atol, rtol=rtol,
                     what=f"{name} grad of arg {i}")
    return el


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
                                     ("smooth_l1_loss", {"beta": 0.5}),
                                     ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}),
                                     ("huber_loss", {"delta": 0.3})])
def test_regression_losses(name, kw, reduction, rng):
    x, y = rng.standard_normal((2, 4, 5))
    _compare(name, (x, y), dict(kw, reduction=reduction), grad=(0, 1))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_regression_losses(name, reduction, rng):
    x, y = rng.standard_normal((2, 4, 5))
    _compare(name, (x, y), dict(weight=rng.uniform(0.5, 2, (4, 5)), reduction=reduction),
             grad=(0, 1))


def test_regression_loss_warns_on_broadcast_and_is_zero_grad_at_equal(rng):
    x = rng.standard_normal((3, 1))
    with pytest.warns(UserWarning, match="target size"):
        _compare("mse_loss", (x, rng.standard_normal(3)))
    _compare("smooth_l1_loss", (x, x.copy()), grad=(0, 1))
    _compare("l1_loss", (x, x.copy()), grad=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted, rng):
    x = rng.uniform(0.01, 0.99, (4, 3))
    x[0, 0], x[0, 1] = 0.0, 1.0  # the log is clamped at -100 there
    y = rng.uniform(0, 1, (4, 3))
    w = {"weight": rng.uniform(0.5, 2, (3,))} if weighted else {}
    _compare("binary_cross_entropy", (x[1:], y[1:]), dict(w, reduction=reduction), grad=(0, 1))
    _compare("binary_cross_entropy", (x, y), dict(w, reduction=reduction), grad=(1,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"weight": True}, {"pos_weight": True},
                                     {"weight": True, "pos_weight": True}])
def test_binary_cross_entropy_with_logits(reduction, options, rng):
    x = rng.standard_normal((4, 3)) * 3
    x[0, 0] = 0.0  # the gradient at exactly 0 is sigmoid(0) - y
    y = rng.uniform(0, 1, (4, 3))
    kw = {"reduction": reduction}
    if options.get("weight"):
        kw["weight"] = rng.uniform(0.5, 2, (4, 1))
    if options.get("pos_weight"):
        kw["pos_weight"] = rng.uniform(0.5, 3, (3,))
    _compare("binary_cross_entropy_with_logits", (x, y), kw, grad=(0, 1))


@pytest.mark.parametrize("name", ["binary_cross_entropy_with_logits", "soft_margin_loss",
                                  "multilabel_soft_margin_loss"])
def test_logit_losses_are_finite_on_large_logits(name):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 50.0]])
    y = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    if name == "soft_margin_loss":
        y = 2 * y - 1
    e = ember.tensor(x, requires_grad=True)
    loss = getattr(ember.nn.functional, name)(e, ember.tensor(y))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(to_numpy(e.grad)).all()
    expected = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y))
    if np.isfinite(expected.item()):
        assert_close(loss, expected)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target, rng):
    x = np.log(rng.dirichlet(np.ones(5), 4))
    p = rng.dirichlet(np.ones(5), 4)
    p[0, 0] = 0.0  # 0 * log 0 is 0
    y = np.log(p + 1e-3) if log_target else p
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare("kl_div", (x, y), dict(reduction=reduction, log_target=log_target),
                 grad=(0, 1) if log_target else (0,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True),
                                            (False, True)])
def test_poisson_nll_loss(reduction, log_input, full, rng):
    x = rng.standard_normal((4, 3)) if log_input else rng.uniform(0.1, 3, (4, 3))
    y = rng.poisson(2.0, (4, 3)).astype(np.float64)
    _compare("poisson_nll_loss", (x, y), dict(log_input=log_input, full=full,
                                              reduction=reduction), grad=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss(reduction, var_shape, full, rng):
    x, y = rng.standard_normal((2, 4, 3))
    var = rng.uniform(0.1, 2, var_shape)
    var.flat[0] = 1e-9  # clamped to eps; the gradient still reaches var
    _compare("gaussian_nll_loss", (x, y, var), dict(full=full, reduction=reduction),
             grad=(0, 1, 2))


def test_gaussian_nll_loss_with_float_var(rng):
    x, y = rng.standard_normal((2, 4, 3))
    _compare("gaussian_nll_loss", (x, y, 0.5), grad=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_losses(reduction, rng):
    x = rng.standard_normal((4, 3))
    y = rng.choice([-1.0, 1.0], (4, 3))
    _compare("soft_margin_loss", (x, y), dict(reduction=reduction))
    labels = rng.integers(0, 2, (4, 3)).astype(np.float64)
    _compare("multilabel_soft_margin_loss", (x, labels), dict(reduction=reduction), grad=(0, 1))
    _compare("multilabel_soft_margin_loss", (x, labels),
             dict(reduction=reduction, weight=rng.uniform(0.5, 2, 3)), grad=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_ranking_and_embedding_losses(reduction, margin, rng):
    a, b = rng.standard_normal((2, 6))
    y = rng.choice([-1.0, 1.0], 6)
    kw = dict(margin=margin, reduction=reduction)
    _compare("margin_ranking_loss", (a, b, y), kw, grad=(0, 1))
    _compare("hinge_embedding_loss", (a, y), dict(kw, margin=margin + 1), grad=(0,))
    x1, x2 = rng.standard_normal((2, 6, 4))
    x2[0] = 0.0  # a zero vector: the epsilon keeps the cosine finite (its gradient ~1e4 is
    # ill-conditioned, hence the looser rtol)
    _compare("cosine_embedding_loss", (x1, x2, y), kw, grad=(0, 1), rtol=1e-7)
    _compare("cosine_embedding_loss", (x1[1], x2[1], np.array(-1.0)), kw, grad=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2, False), (1, True), (3, False), (2, True)])
def test_triplet_margin_loss(reduction, p, swap, rng):
    a, pos, neg = rng.standard_normal((3, 5, 4))
    _compare("triplet_margin_loss", (a, pos, neg),
             dict(p=p, swap=swap, margin=1.5, reduction=reduction), grad=(0, 1, 2))
    _compare("triplet_margin_loss", (a[0], pos[0], neg[0]), dict(p=p, swap=swap),
             grad=(0, 1, 2))


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss(swap, rng):
    a, pos, neg = rng.standard_normal((3, 5, 4))
    _compare("triplet_margin_with_distance_loss", (a, pos, neg), dict(swap=swap),
             grad=(0, 1, 2))
    e = [ember.tensor(v, requires_grad=True) for v in (a, pos, neg)]
    t = [torch.tensor(v, requires_grad=True) for v in (a, pos, neg)]
    el = ember.nn.functional.triplet_margin_with_distance_loss(
        *e, distance_function=lambda x, y: (x - y).abs().sum(-1), swap=swap, reduction="sum")
    tl = torch.nn.functional.triplet_margin_with_distance_loss(
        *t, distance_function=lambda x, y: (x - y).abs().sum(-1), swap=swap, reduction="sum")
    assert_close(el, tl)
    el.backward()
    tl.backward()
    for x, y in zip(e, t):
        assert_close(x.grad, y.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (2, 0.5, False),
                                               (1, 2.0, True), (2, 1.0, True)])
def test_multi_margin_loss(reduction, p, margin, weighted, rng):
    x = rng.standard_normal((5, 4))
    y = rng.integers(0, 4, 5)
    kw = dict(p=p, margin=margin, reduction=reduction)
    if weighted:
        kw["weight"] = rng.uniform(0.5, 2, 4)
    _compare("multi_margin_loss", (x, y), kw)
    _compare("multi_margin_loss", (x[0], y[:1]), kw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction, rng):
    x = rng.standard_normal((4, 5))
    y = np.array([[3, 0, -1, 1, 2], [1, 1, 4, -1, -1], [-1, 2, 2, 2, 2], [0, 1, 2, 3, 4]])
    _compare("multilabel_margin_loss", (x, y), dict(reduction=reduction))
    _compare("multilabel_margin_loss", (x[0], y[0]), dict(reduction=reduction))


def _arrays(rng, kind):
    x, y = rng.standard_normal((2, 4, 3))
    signs = rng.choice([-1.0, 1.0], 4)
    return {
        "pair": (x, y),
        "prob": (rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))),
        "logp": (np.log(rng.dirichlet(np.ones(3), 4)), rng.dirichlet(np.ones(3), 4)),
        "gauss": (x, y, rng.uniform(0.1, 1, (4, 3))),
        "signs": (x, rng.choice([-1.0, 1.0], (4, 3))),
        "rank": (x[:, 0], y[:, 0], signs),
        "cos": (x, y, signs),
        "triplet": tuple(rng.standard_normal((3, 4, 3))),
        "classes": (x, rng.integers(0, 3, 4)),
        "labels": (x, np.array([[2, -1, 0], [0, 1, 2], [1, -1, -1], [-1, 0, 0]])),
        "multilabel": (x, rng.integers(0, 2, (4, 3)).astype(np.float64)),
    }[kind]


MODULES = [("L1Loss", {}, "pair"), ("SmoothL1Loss", {"beta": 0.5}, "pair"),
           ("HuberLoss", {"delta": 0.5}, "pair"), ("BCELoss", {"weight": (3,)}, "prob"),
           ("BCEWithLogitsLoss", {"weight": (3,), "pos_weight": (3,)}, "prob"),
           ("KLDivLoss", {"reduction": "batchmean"}, "logp"),
           ("PoissonNLLLoss", {"full": True}, "prob"), ("GaussianNLLLoss", {"full": True}, "gauss"),
           ("SoftMarginLoss", {}, "signs"), ("MultiLabelSoftMarginLoss", {}, "multilabel"),
           ("MarginRankingLoss", {"margin": 0.2}, "rank"),
           ("HingeEmbeddingLoss", {"margin": 2.0}, "rank"),
           ("CosineEmbeddingLoss", {"margin": 0.1}, "cos"),
           ("TripletMarginLoss", {"margin": 0.5, "p": 1, "swap": True}, "triplet"),
           ("TripletMarginWithDistanceLoss", {"margin": 0.5}, "triplet"),
           ("MultiMarginLoss", {"p": 2, "weight": (3,)}, "classes"),
           ("MultiLabelMarginLoss", {}, "labels"), ("MSELoss", {"reduction": "sum"}, "pair"),
           ("NLLLoss", {"weight": (3,), "ignore_index": 1}, "classes"),
           ("CrossEntropyLoss", {"label_smoothing": 0.1}, "classes")]


@pytest.mark.parametrize("name,options,kind", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules_match_torch(name, options, kind, rng):
    ekw, tkw = {}, {}
    for k, v in options.items():
        if isinstance(v, tuple):  # a weight of that shape
            w = rng.uniform(0.5, 2, v)
            ekw[k], tkw[k] = ember.tensor(w), torch.tensor(w)
        else:
            ekw[k] = tkw[k] = v
    arrays = _arrays(rng, kind)
    if name == "HingeEmbeddingLoss":
        arrays = arrays[::2]
    # torch doesn't differentiate soft_margin_loss's target
    grads = [a.dtype.kind == "f" and not (name == "SoftMarginLoss" and i) for i, a in
             enumerate(arrays)]
    e_in = [ember.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    t_in = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    e_loss = getattr(ember.nn, name)(**ekw)(*e_in)
    t_loss = getattr(torch.nn, name)(**tkw)(*t_in)
    assert_close(e_loss, t_loss)
    e_loss.sum().backward()
    t_loss.sum().backward()
    for e, t in zip(e_in, t_in):
        if t.grad is not None:
            assert_close(e.grad, t.grad)


def test_legacy_reduction_flags(rng):
    x, y = rng.standard_normal((2, 4, 3))
    for flags in (dict(size_average=False), dict(reduce=False), dict(size_average=True,
                                                                    reduce=True)):
        assert_close(ember.nn.L1Loss(**flags)(ember.tensor(x), ember.tensor(y)),
                     torch.nn.L1Loss(**flags)(torch.tensor(x), torch.tensor(y)))
        _compare("soft_margin_loss", (x, np.sign(y)), flags)


ERRORS = [
    ("binary_cross_entropy", lambda: ((np.full(3, 0.5), np.ones((3, 1))), {})),
    ("binary_cross_entropy", lambda: ((np.array([0.5, 1.5]), np.ones(2)), {})),
    ("binary_cross_entropy_with_logits", lambda: ((np.zeros(3), np.ones(4)), {})),
    ("smooth_l1_loss", lambda: ((np.zeros(3), np.ones(3)), {"beta": -1.0})),
    ("huber_loss", lambda: ((np.zeros(3), np.ones(3)), {"delta": 0.0})),
    ("l1_loss", lambda: ((np.zeros(3), np.ones(3)), {"reduction": "avg"})),
    ("l1_loss", lambda: ((np.zeros(3), np.ones(3)), {"weight": np.ones(2)})),
    ("kl_div", lambda: ((np.zeros(3), np.ones(3)), {"reduction": "avg"})),
    ("gaussian_nll_loss", lambda: ((np.zeros((2, 3)), np.ones((2, 3)), np.ones((3, 2))), {})),
    ("gaussian_nll_loss", lambda: ((np.zeros(3), np.ones(3), -np.ones(3)), {})),
    ("margin_ranking_loss", lambda: ((np.zeros(3), np.ones((3, 1)), np.ones(3)), {})),
    ("cosine_embedding_loss", lambda: ((np.zeros((2, 3)), np.ones((2, 3)), np.ones(())), {})),
    ("cosine_embedding_loss", lambda: ((np.zeros((2, 3)), np.ones((2, 3)),
                                        np.ones((2, 1))), {})),
    ("triplet_margin_loss", lambda: ((np.zeros((2, 3)), np.ones(3), np.ones((2, 3))), {})),
    ("triplet_margin_with_distance_loss", lambda: ((np.zeros(3),) * 3, {"margin": 0.0})),
    ("multi_margin_loss", lambda: ((np.zeros((2, 3)), np.array([0, 1])), {"p": 3})),
    ("multi_margin_loss", lambda: ((np.zeros((2, 3)), np.array([0, 1, 2])), {})),
    ("multi_margin_loss", lambda: ((np.zeros((2, 3)), np.array([0, 1])),
                                   {"weight": np.ones((3, 1))})),
    ("multilabel_margin_loss", lambda: ((np.zeros((2, 3)), np.zeros((2, 2), np.int64)), {})),
    ("nll_loss", lambda: ((np.zeros((2, 3)), np.array([0.0, 1.0])), {})),
    ("cross_entropy", lambda: ((np.zeros((2, 3)), np.array([0, 1])), {"label_smoothing": 2.0})),
    ("cross_entropy", lambda: ((np.zeros((2, 3)), np.ones((2, 4))), {})),
    ("cross_entropy", lambda: ((np.zeros((2, 3), np.int64), np.array([0, 1])), {})),
    ("nll_loss", lambda: ((np.zeros((2, 3), np.int64), np.array([0, 1])), {})),
    ("cross_entropy", lambda: ((np.zeros((2, 3)), np.array([0, 1, 2])), {})),
    ("cross_entropy", lambda: ((np.zeros((2, 3, 4)), np.array([[0, 1, 2], [0, 1, 2]])), {})),
]


@pytest.mark.parametrize("name,case", ERRORS, ids=[e[0] for e in ERRORS])
def test_loss_errors_match_torch(name, case):
    arrays, kwargs = case()

    def call(lib):
        def convert(v):
            return (ember.tensor(v) if lib is ember else torch.tensor(v)) \
                if isinstance(v, np.ndarray) else v
        fn = getattr(lib.nn.functional, name)
        return lambda: fn(*map(convert, arrays), **{k: convert(v) for k, v in kwargs.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_raises_like_torch(call(ember), call(torch))


# ----------------------------------------------------------------------------- CTC

def _ctc_problem(rng, dtype=np.float64, t_max=12, n=3, classes=5, s=4):
    logits = rng.standard_normal((t_max, n, classes)).astype(dtype)
    targets = rng.integers(1, classes, (n, s))
    targets[0, :2] = 2  # a repeated label needs a blank between its copies
    input_lengths = np.array([t_max, t_max - 2, 7])[:n]
    target_lengths = np.array([s, 2, 3])[:n]
    return logits, targets, input_lengths, target_lengths


def _ctc_both(logits, targets, input_lengths, target_lengths, leaf=False, **kw):
    """The CTC loss and gradient in ember and in torch, of logits through a log_softmax (or
    of log-probabilities as the leaf)."""
    out = []
    for lib in (ember, torch):
        x = lib.tensor(logits if not leaf else
                       torch.tensor(logits).log_softmax(-1).numpy(), requires_grad=True)
        lp = x if leaf else x.log_softmax(-1)
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor(targets), lib.tensor(input_lengths),
                                          lib.tensor(target_lengths), **kw)
        loss.sum().backward()
        out.append((loss, x.grad))
    return out


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("leaf", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ctc_loss_matches_torch(reduction, leaf, dtype, rng):
    (el, eg), (tl, tg) = _ctc_both(*_ctc_problem(rng, dtype), leaf=leaf, reduction=reduction)
    scale = 10 if dtype == np.float32 else 1  # sums over many alignments
    assert_close(el, tl, atol=1e-5 * scale if dtype == np.float32 else None)
    assert_close(eg, tg, atol=1e-5 * scale if dtype == np.float32 else None)


def test_ctc_loss_module(rng):
    logits, targets, inputs, lengths = _ctc_problem(rng)
    args = (logits, targets, inputs, lengths)
    assert_close(ember.nn.CTCLoss(blank=0, reduction="sum")(*map(ember.tensor, args)),
                 torch.nn.CTCLoss(blank=0, reduction="sum")(*map(torch.tensor, args)))


def test_ctc_loss_concatenated_and_unbatched_targets(rng):
    logits, targets, inputs, lengths = _ctc_problem(rng)
    flat = np.concatenate([row[:k] for row, k in zip(targets, lengths)])
    (el, eg), (tl, tg) = _ctc_both(logits, flat, inputs, lengths, blank=0)
    assert_close(el, tl)
    assert_close(eg, tg)
    (el, eg), (tl, tg) = _ctc_both(logits[:, 0], targets[0], inputs[:1], lengths[:1],
                                   reduction="none")
    assert_close(el, tl)
    assert_close(eg, tg)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_of_impossible_alignment(zero_infinity, rng):
    logits, targets, _, lengths = _ctc_problem(rng, t_max=6)
    inputs = np.array([6, 3, 6])  # 2 labels + blank need 3 frames: sample 1 fits; 0 doesn't
    lengths = np.array([4, 2, 3])
    targets[0] = [1, 1, 1, 1]      # 4 repeats need 7 frames: impossible
    (el, eg), (tl, tg) = _ctc_both(logits, targets, inputs, lengths, reduction="none",
                                   zero_infinity=zero_infinity)
    assert_close(el, tl)
    if zero_infinity:
        assert_close(eg, tg)


def test_ctc_gradcheck_through_log_softmax(rng):
    logits, targets, inputs, lengths = _ctc_problem(rng, t_max=6, n=2, classes=4, s=2)
    inputs, lengths = np.array([6, 5]), np.array([2, 1])
    x = ember.tensor(logits, requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda v: ember.nn.functional.ctc_loss(v.log_softmax(-1), ember.tensor(targets),
                                               tuple(inputs), tuple(lengths)), [x])


def test_ctc_loss_errors_like_torch(rng):
    logits, targets, inputs, lengths = _ctc_problem(rng)
    for bad in (dict(input_lengths=inputs + 5), dict(blank=9), dict(reduction="avg")):
        kw = dict(input_lengths=inputs, target_lengths=lengths)
        kw.update(bad)
        assert_raises_like_torch(
            lambda: ember.nn.functional.ctc_loss(
                ember.tensor(logits), ember.tensor(targets), **{
                    k: ember.tensor(v) if isinstance(v, np.ndarray) else v
                    for k, v in kw.items()}),
            lambda: torch.nn.functional.ctc_loss(
                torch.tensor(logits), torch.tensor(targets), **{
                    k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                    for k, v in kw.items()}))
