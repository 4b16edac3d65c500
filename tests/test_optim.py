"""Optimizers: trajectories, state and state dicts side by side with torch."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_close

SHAPES = [(4, 3), (5,), ()]

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.2, amsgrad=True, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True,
                   maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, eps=1e-4)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.5, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.7, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=5, weight_decay=0.1, maximize=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-6, 1e-2), d=1.5, weight_decay=0.1,
                       maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
       for name, kw in CASES]


def pairs_of_params(rng, dtype, shapes=SHAPES):
    values = [rng.standard_normal(s).astype(dtype) for s in shapes]
    return ([ember.nn.Parameter(ember.tensor(v)) for v in values],
            [torch.nn.Parameter(torch.tensor(v)) for v in values])


def step_both(e_opt, t_opt, e_params, t_params, grads):
    for ep, tp, g in zip(e_params, t_params, grads):
        ep.grad = ember.tensor(g)
        tp.grad = torch.tensor(g)
    e_opt.step()
    t_opt.step()


def assert_params_close(e_params, t_params, rtol, atol, what):
    for i, (ep, tp) in enumerate(zip(e_params, t_params)):
        assert_close(ep.detach(), tp.detach(), rtol=rtol, atol=atol, what=f"{what} param {i}")


TOLERANCE = {np.float32: (2e-5, 2e-6), np.float64: (1e-10, 1e-12)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_trajectory_matches_torch(name, kwargs, dtype, rng):
    e_params, t_params = pairs_of_params(rng, dtype)
    e_opt = getattr(ember.optim, name)(e_params, **kwargs)
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    for step in range(20):
        grads = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        step_both(e_opt, t_opt, e_params, t_params, grads)
        if step % 5 == 0 or step == 19:
            assert_params_close(e_params, t_params, *TOLERANCE[dtype], f"step {step}")
    assert all(p.dtype == ember.as_tensor(np.zeros(1, dtype)).dtype for p in e_params)
    for ep, tp in zip(e_params, t_params):
        e_state, t_state = e_opt.state[ep], t_opt.state[tp]
        assert list(e_state) == list(t_state)
        for key in t_state:
            if isinstance(t_state[key], torch.Tensor):
                assert e_state[key].dtype.name == str(t_state[key].dtype)[6:], key
                assert_close(e_state[key], t_state[key], *TOLERANCE[dtype][::-1], what=key)


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_quadratic_loss_with_closure(name, kwargs, rng):
    """Minimize sum(scale * (p - target)^2) with gradients from autograd, through a closure."""
    target = rng.standard_normal(6)
    scale = rng.uniform(0.5, 2.0, 6)
    start = rng.standard_normal(6)
    results = []
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.tensor(start.copy()))
        opt = getattr(lib.optim, name)([p], **kwargs)
        tgt, sc = lib.tensor(target), lib.tensor(scale)

        def closure():
            opt.zero_grad()
            loss = (sc * (p - tgt) ** 2).sum()
            loss.backward()
            return loss
        losses = [float(opt.step(closure).detach()) for _ in range(20)]
        results.append((p.detach().numpy().copy(), losses))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-9, atol=1e-12)


def to_torch(obj):
    return _convert(obj, lambda t: torch.from_numpy(t.numpy().copy()), ember.Tensor)


def to_ember(obj):
    return _convert(obj, lambda t: ember.tensor(t.numpy().copy()), torch.Tensor)


def _convert(obj, fn, kind):
    if isinstance(obj, kind):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: _convert(v, fn, kind) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_convert(v, fn, kind) for v in obj)
    return obj


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_state_dict_travels_between_torch_and_ember(name, kwargs, rng):
    shapes = SHAPES[:2]
    e_params, t_params = pairs_of_params(rng, np.float32, shapes)
    groups = lambda ps: [{"params": ps[:1]}, {"params": ps[1:], "lr": 0.003}]  # noqa: E731
    t_opt = getattr(torch.optim, name)(groups(t_params), **kwargs)
    for _ in range(5):
        for p in t_params:
            p.grad = torch.randn(p.shape)
        t_opt.step()
    sd = t_opt.state_dict()
    # torch's state, converted through NumPy, loads into ember: same layout, same keys
    e_opt = getattr(ember.optim, name)(groups(e_params), **kwargs)
    for ep, tp in zip(e_params, t_params):
        ep.data = ember.tensor(tp.detach().numpy().copy())
    e_opt.load_state_dict(to_ember(sd))
    e_sd = e_opt.state_dict()
    assert e_sd["param_groups"] == sd["param_groups"]
    assert list(e_sd["state"]) == list(sd["state"])
    for i in sd["state"]:
        assert list(e_sd["state"][i]) == list(sd["state"][i])
    for _ in range(10):
        grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        step_both(e_opt, t_opt, e_params, t_params, grads)
    assert_params_close(e_params, t_params, 2e-5, 2e-6, "after torch state")
    # and ember's state converts back into a fresh torch optimizer that continues the same
    t_opt2 = getattr(torch.optim, name)(groups(t_params), **kwargs)
    t_opt2.load_state_dict(to_torch(e_opt.state_dict()))
    for _ in range(5):
        grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        step_both(e_opt, t_opt2, e_params, t_params, grads)
    assert_params_close(e_params, t_params, 2e-5, 2e-6, "after ember state")


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size,max_iter", [(100, 20), (3, 7)])
def test_lbfgs_matches_torch_on_rosenbrock(line_search, history_size, max_iter):
    results = []
    for lib in (ember, torch):
        x = lib.nn.Parameter(lib.tensor([-1.5], dtype=lib.float64))
        y = lib.nn.Parameter(lib.tensor([[2.0]], dtype=lib.float64))
        opt = lib.optim.LBFGS([x, y], lr=0.5 if line_search is None else 1,
                              history_size=history_size, max_iter=max_iter,
                              line_search_fn=line_search)

        def closure():
            opt.zero_grad()
            loss = ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum()
            loss.backward()
            return loss
        losses = [float(opt.step(closure).detach()) for _ in range(4)]
        state = opt.state[x]
        results.append((np.array([x.item(), y.item()]), losses, state["func_evals"],
                        state["n_iter"]))
    (e_xy, e_losses, e_evals, e_iters), (t_xy, t_losses, t_evals, t_iters) = results
    np.testing.assert_allclose(e_xy, t_xy, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-7, atol=1e-12)
    assert (e_evals, e_iters) == (t_evals, t_iters)


def test_lbfgs_rejects_groups_and_other_line_searches():
    p = ember.nn.Parameter(ember.ones(2))
    with pytest.raises(ValueError, match="parameter groups"):
        ember.optim.LBFGS([{"params": [p]}, {"params": [ember.nn.Parameter(ember.ones(1))]}])
    opt = ember.optim.LBFGS([p], line_search_fn="backtracking")

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="strong_wolfe"):
        opt.step(closure)


# -- the Optimizer base --------------------------------------------------------------------

def test_param_groups_defaults_and_add_param_group():
    a, b, c = (ember.nn.Parameter(ember.ones(2)) for _ in range(3))
    opt = ember.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["params"] == [b] and opt.param_groups[1]["momentum"] == 0.9
    opt.add_param_group({"params": [c], "nesterov": True, "lr": 0.2})
    assert opt.param_groups[2]["nesterov"] and len(opt.param_groups) == 3
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    assert "SGD (" in repr(opt) and "Parameter Group 2" in repr(opt)


@pytest.mark.parametrize("build", [
    lambda lib, p: lib.optim.SGD(p, lr=-1),
    lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=-0.5),
    lambda lib, p: lib.optim.SGD(p, lr=0.1, nesterov=True),
    lambda lib, p: lib.optim.Adam(p, betas=(1.0, 0.9)),
    lambda lib, p: lib.optim.Adam(p, eps=-1),
    lambda lib, p: lib.optim.AdamW(p, weight_decay=-1),
    lambda lib, p: lib.optim.RMSprop(p, alpha=-1),
    lambda lib, p: lib.optim.Adadelta(p, rho=1.5),
    lambda lib, p: lib.optim.Adagrad(p, lr_decay=-1),
    lambda lib, p: lib.optim.NAdam(p, momentum_decay=-1),
    lambda lib, p: lib.optim.SGD([], lr=0.1),
    lambda lib, p: lib.optim.SGD(p[0], lr=0.1),
    lambda lib, p: lib.optim.SGD(p, lr=0.1).add_param_group({"params": set(p)}),
    lambda lib, p: lib.optim.SGD(p, lr=0.1).add_param_group([p]),
    lambda lib, p: lib.optim.SGD([p[0] * 2], lr=0.1),
    lambda lib, p: lib.optim.SGD([1.0], lr=0.1),
    lambda lib, p: lib.optim.SGD([{"params": p}, {"params": p}], lr=0.1),
    lambda lib, p: lib.optim.SGD(p, lr="0.1"),
    lambda lib, p: lib.optim.Adam(p, lr=lib.tensor([0.1, 0.2])),
    lambda lib, p: lib.optim.LBFGS(p, lr=lib.tensor([0.1, 0.2])),
])
def test_bad_arguments_raise_like_torch(build):
    with pytest.raises(Exception) as expected:
        build(torch, [torch.nn.Parameter(torch.ones(2))])
    with pytest.raises(expected.type):
        build(ember, [ember.nn.Parameter(ember.ones(2))])


def test_load_state_dict_checks_group_layout():
    p, q = ember.nn.Parameter(ember.ones(2)), ember.nn.Parameter(ember.ones(2))
    one = ember.optim.Adam([p, q])
    two = ember.optim.Adam([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        one.load_state_dict(two.state_dict())
    three = ember.optim.Adam([p])
    with pytest.raises(ValueError, match="doesn't match the size"):
        three.load_state_dict(one.state_dict())


def test_load_state_dict_casts_state_to_the_parameters():
    p = ember.nn.Parameter(ember.ones(3, dtype=ember.float64))
    opt = ember.optim.Adam([p])
    sd = {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.ones(3),
                        "exp_avg_sq": ember.ones(3)}},
          "param_groups": opt.state_dict()["param_groups"]}
    opt.load_state_dict(sd)
    state = opt.state[p]
    assert state["exp_avg"].dtype == ember.float64 and state["step"].dtype == ember.float32
    assert state["exp_avg"] is not sd["state"][0]["exp_avg"]


def test_zero_grad_and_parameters_without_grad():
    p, q = ember.nn.Parameter(ember.ones(2)), ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p, q], lr=0.5, momentum=0.9)
    p.grad = ember.ones(2)
    opt.step()
    assert p.tolist() == [0.5, 0.5] and q.tolist() == [1.0, 1.0]
    assert q not in opt.state  # parameters without gradients get no state
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0] and q.grad is None
    opt.zero_grad()
    assert p.grad is None


def test_step_updates_in_place_and_moves_version():
    p = ember.nn.Parameter(ember.ones(3))
    before_ptr, before_version = p.data_ptr(), p._version
    opt = ember.optim.Adam([p], lr=0.1)
    p.grad = ember.ones(3)
    opt.step()
    assert p.data_ptr() == before_ptr and p._version > before_version
    assert p.dtype == ember.float32 and opt.state[p]["exp_avg"].dtype == ember.float32


def test_tensor_learning_rate():
    results = []
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.Adam([p], lr=lib.tensor(0.05))
        for _ in range(3):
            p.grad = lib.ones(3)
            opt.step()
        results.append(p.detach().numpy().copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_step_hooks_and_closure_loss():
    p = ember.nn.Parameter(ember.ones(1))
    opt = ember.optim.SGD([p], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))

    def closure():
        calls.append("closure")
        opt.zero_grad()
        loss = (p * 3).sum()
        loss.backward()
        return loss
    loss = opt.step(closure)
    assert calls == ["pre", "closure", "post"] and float(loss) == 3.0
    assert math.isclose(p.item(), 0.7, rel_tol=1e-6)
    pre.remove()
    calls.clear()
    opt.step()
    assert calls == ["post"]


def test_named_parameters_are_accepted():
    model = ember.nn.Module()
    model.w = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]


def test_state_dict_hooks():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.Adam([p])
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(
        lambda o, sd: {k: v for k, v in sd.items() if k != "extra"})
    opt.register_load_state_dict_post_hook(lambda o: calls.append("loaded"))
    sd = opt.state_dict()
    assert sd["extra"] == 1 and calls == ["pre"]
    opt.load_state_dict(sd)
    assert calls == ["pre", "loaded"]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop",
                                  "Adagrad", "Adadelta", "LBFGS", "Rprop", "ASGD",
                                  "Adafactor"])
def test_defaults_and_repr_match_torch(name):
    reprs = []
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.ones(2))
        opt = getattr(lib.optim, name)([p], lr=0.25)
        reprs.append((repr(opt), opt.defaults))
    assert reprs[0] == reprs[1]


def test_small_model_trains_like_torch(rng):
    """A Linear-ReLU-Linear model with torch's initial weights, trained by Adam under a
    StepLR schedule on the same batches: the losses follow torch's."""
    x = rng.standard_normal((32, 6)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    losses = []
    t_model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    e_model = ember.nn.Sequential(ember.nn.Linear(6, 16), ember.nn.ReLU(),
                                  ember.nn.Linear(16, 3))
    e_model.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_model.state_dict().items()})
    for lib, model in ((ember, e_model), (torch, t_model)):
        opt = lib.optim.Adam(model.parameters(), lr=0.05, weight_decay=1e-3)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
        inputs, targets = lib.tensor(x), lib.tensor(y)
        run = []
        for _ in range(12):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(inputs), targets)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            run.append(float(loss.detach()))
        losses.append(run)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4, atol=1e-5)
    assert losses[0][-1] < losses[0][0]
