"""Learning-rate schedulers: the rate sequences match torch's step for step."""
from __future__ import annotations

import math
import warnings

import pytest
import torch

import ember

STEPS = 40


def flat(rows):
    """Nested lists of numbers as one flat list (pytest.approx compares flat sequences)."""
    if isinstance(rows, (list, tuple)):
        return [x for r in rows for x in flat(r)]
    return [rows]


def make_optimizer(lib, kind="sgd"):
    """Two parameter groups with different rates, so per-group logic is exercised."""
    a = lib.nn.Parameter(lib.zeros(2))
    b = lib.nn.Parameter(lib.zeros(3))
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


# (name, constructor over (lib, optimizer)); each builds the same scheduler in either library
CASES = {
    "lambda": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 0.9 ** e + 0.01 * e),
    "lambda-per-group": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(
        o, [lambda e: 1 / (e + 1), lambda e: 0.5 * e]),
    "multiplicative": lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.95),
    "step": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3),
    "multistep": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, [3, 9, 9, 20], 0.5),
    "constant": lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, factor=0.25,
                                                                 total_iters=6),
    "linear": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=0.2,
                                                             end_factor=0.9, total_iters=12),
    "exponential": lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.93),
    "polynomial": lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(o, total_iters=25,
                                                                     power=2.0),
    "cosine": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10,
                                                                      eta_min=0.001),
    "cosine-restarts": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=0.002),
    "cyclic-triangular": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4, step_size_down=6),
    "cyclic-triangular2": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2"),
    "cyclic-exp-range": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.97,
        base_momentum=0.7, max_momentum=0.95),
    "cyclic-custom": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=lambda x: 1 / (x + 1),
        scale_mode="iterations", cycle_momentum=False),
    "onecycle-cos": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=[0.3, 0.5],
                                                                     total_steps=STEPS + 1),
    "onecycle-linear-3phase": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.4, epochs=4, steps_per_epoch=11, pct_start=0.25,
        anneal_strategy="linear", three_phase=True, div_factor=10.0),
    "sequential": lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=5),
            lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=15),
            lib.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5)], milestones=[5, 20]),
    "chained": lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler(
        [lib.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=4),
         lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)]),
}


def trajectory(lib, case, kind, steps=STEPS):
    opt = make_optimizer(lib, kind)
    sched = CASES[case](lib, opt)
    rates = [list(sched.get_last_lr())]
    momenta = [_momenta(opt)]
    for _ in range(steps):
        opt.step()
        sched.step()
        rates.append(list(sched.get_last_lr()))
        momenta.append(_momenta(opt))
    return rates, momenta


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("case", list(CASES))
def test_rates_match_torch(case, kind):
    e_rates, e_momenta = trajectory(ember, case, kind)
    t_rates, t_momenta = trajectory(torch, case, kind)
    assert len(e_rates) == len(t_rates) == STEPS + 1
    assert flat(e_rates) == pytest.approx(flat(t_rates), rel=1e-12, abs=1e-15)
    assert flat(e_momenta) == pytest.approx(flat(t_momenta), rel=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if not c.startswith("onecycle")])
def test_state_dict_round_trip(case):
    opt = make_optimizer(ember)
    sched = CASES[case](ember, opt)
    for _ in range(11):
        opt.step()
        sched.step()
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    expected = []
    for _ in range(12):
        opt.step()
        sched.step()
        expected.append(list(sched.get_last_lr()))

    opt2 = make_optimizer(ember)
    sched2 = CASES[case](ember, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    resumed = []
    for _ in range(12):
        opt2.step()
        sched2.step()
        resumed.append(list(sched2.get_last_lr()))
    assert flat(resumed) == pytest.approx(flat(expected), rel=1e-12)
    assert "optimizer" not in saved_sched


def test_onecycle_refuses_to_step_past_total():
    opt = make_optimizer(ember)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


@pytest.mark.parametrize("kwargs", [
    {},
    {"mode": "max", "factor": 0.5, "patience": 2},
    {"threshold_mode": "abs", "threshold": 0.05, "cooldown": 3, "patience": 1},
    {"mode": "max", "threshold_mode": "abs", "min_lr": [0.02, 0.001], "factor": 0.3,
     "patience": 0},
    {"eps": 0.02, "factor": 0.9, "patience": 0},
])
def test_reduce_on_plateau_matches_torch(kwargs):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.8, 0.8, 0.81, 0.82, 0.79, 0.79, 0.79, 0.79, 0.9,
               0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    runs = []
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        rates = []
        for m in metrics:
            sched.step(m)
            rates.append(list(sched.get_last_lr()))
        runs.append((rates, sched.num_bad_epochs, sched.cooldown_counter, sched.best))
    assert flat(runs[0]) == pytest.approx(flat(runs[1]), rel=1e-12)


def test_reduce_on_plateau_state_dict_and_errors():
    opt = make_optimizer(ember)
    sched = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    for m in (1.0, 2.0, 3.0):
        sched.step(ember.tensor(m))
    state = sched.state_dict()
    sched2 = ember.optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(ember))
    sched2.load_state_dict(state)
    assert sched2.best == 1.0 and sched2.patience == 1 and sched2.last_epoch == 3
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        ember.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        ember.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="up")


@pytest.mark.parametrize("build", [
    lambda lib, o: lib.optim.lr_scheduler.StepLR(o.param_groups, 3),
    lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, factor=2.0),
    lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=0),
    lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, [lambda e: 1.0]),
    lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="zigzag"),
    lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        lib.optim.Adagrad(o.param_groups[0]["params"]), 0.1, 1.0),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 0.1),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, pct_start=2.0),
    lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.StepLR(o, 2)], milestones=[3]),
    lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler([]),
    lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 3, last_epoch=4),
])
def test_bad_arguments_raise_like_torch(build):
    with pytest.raises(Exception) as expected:
        build(torch, make_optimizer(torch))
    with pytest.raises(expected.type):
        build(ember, make_optimizer(ember))


def test_step_with_epoch_uses_closed_form_and_warns():
    runs = []
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched.step(7)
        assert any("epoch" in str(w.message) for w in caught)
        runs.append(sched.get_last_lr())
    assert runs[0] == pytest.approx(runs[1])
    assert math.isclose(runs[0][0], 0.1 * 0.25)


def test_scheduler_sets_initial_lr_and_base_lrs():
    opt = make_optimizer(ember)
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert sched.base_lrs == [0.1, 0.05]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert sched.last_epoch == 0
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.05, 0.025] == [g["lr"] for g in opt.param_groups]


def test_warns_when_stepped_before_the_optimizer():
    for lib in (ember, torch):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
    opt = make_optimizer(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
