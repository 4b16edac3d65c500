"""ember.optim.swa_utils against torch.optim.swa_utils: averaged weights, SWALR, update_bn."""
import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_close


def _pair(seed=0):
    torch.manual_seed(seed)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
                             torch.nn.Linear(5, 2))
    em = ember.nn.Sequential(ember.nn.Linear(4, 5), ember.nn.BatchNorm1d(5), ember.nn.ReLU(),
                             ember.nn.Linear(5, 2))
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def _assert_same_state(em, tm):
    es, ts = em.state_dict(), tm.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        assert_close(es[k], ts[k], rtol=1e-6, atol=1e-6, what=k)


AVERAGES = {
    "swa": lambda lib: {},
    "ema_multi": lambda lib: dict(multi_avg_fn=lib.optim.swa_utils.get_ema_multi_avg_fn(0.9)),
    "swa_multi": lambda lib: dict(multi_avg_fn=lib.optim.swa_utils.get_swa_multi_avg_fn()),
    "ema": lambda lib: dict(avg_fn=lib.optim.swa_utils.get_ema_avg_fn(0.8)),
    "swa_fn": lambda lib: dict(avg_fn=lib.optim.swa_utils.get_swa_avg_fn()),
    "ema_buffers": lambda lib: dict(multi_avg_fn=lib.optim.swa_utils.get_ema_multi_avg_fn(0.9),
                                    use_buffers=True),
}


@pytest.mark.parametrize("kind", list(AVERAGES))
def test_averaged_model_trajectory_matches_torch(kind):
    tm, em = _pair()
    t_avg = torch.optim.swa_utils.AveragedModel(tm, **AVERAGES[kind](torch))
    e_avg = ember.optim.swa_utils.AveragedModel(em, **AVERAGES[kind](ember))
    t_opt = torch.optim.SGD(tm.parameters(), lr=0.1)
    e_opt = ember.optim.SGD(em.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    for _ in range(6):
        x = rng.standard_normal((8, 4)).astype(np.float32)
        for lib, model, opt in ((torch, tm, t_opt), (ember, em, e_opt)):
            opt.zero_grad()
            model(lib.tensor(x)).pow(2).mean().backward()
            opt.step()
        t_avg.update_parameters(tm)
        e_avg.update_parameters(em)
        _assert_same_state(e_avg, t_avg)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    assert_close(e_avg(ember.tensor(x)), t_avg(torch.tensor(x)), rtol=1e-5, atol=1e-6)


def test_update_bn_matches_torch():
    tm, em = _pair(1)
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((6, 4)).astype(np.float32) for _ in range(4)]
    tm.eval()
    em.eval()
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], tm)
    ember.optim.swa_utils.update_bn([(ember.tensor(b), 0) for b in batches], em)
    _assert_same_state(em, tm)
    assert not em.training and em[1].momentum == tm[1].momentum


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.05), dict(swa_lr=[0.05, 0.01], anneal_epochs=3,
                                                             anneal_strategy="linear"),
                                    dict(swa_lr=0.02, anneal_epochs=0)])
def test_swalr_matches_torch(kwargs):
    lrs = []
    for lib in (ember, torch):
        a, b = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.3}], lr=0.5)
        sched = lib.optim.swa_utils.SWALR(opt, **kwargs)
        trace = []
        for _ in range(14):
            opt.step()
            sched.step()
            trace.append(sched.get_last_lr())
        lrs.append(trace)
    np.testing.assert_allclose(np.array(lrs[0]), np.array(lrs[1]), rtol=1e-12)
    with pytest.raises(ValueError, match="anneal_strategy"):
        ember.optim.swa_utils.SWALR(ember.optim.SGD(
            [ember.nn.Parameter(ember.ones(1))], lr=0.1), swa_lr=0.1, anneal_strategy="step")
