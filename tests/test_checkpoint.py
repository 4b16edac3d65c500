"""ember.utils.checkpoint: gradients equal the plain run's and torch's; forward runs twice."""
import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcp

import ember
import ember.utils.checkpoint as ecp


def _pair(seed=0):
    torch.manual_seed(seed)
    tm = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3),
                             torch.nn.ReLU(), torch.nn.Linear(3, 2))
    em = ember.nn.Sequential(ember.nn.Linear(5, 7), ember.nn.Tanh(), ember.nn.Linear(7, 3),
                             ember.nn.ReLU(), ember.nn.Linear(3, 2))
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def _grads(lib, model, x, run):
    xt = lib.tensor(x, requires_grad=True)
    run(model, xt).pow(2).sum().backward()
    return [xt.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gradients_match_plain_run_and_torch(use_reentrant):
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    tm, em = _pair()
    calls = [0]

    def block(m):
        def run(h):
            calls[0] += 1
            return m[2](m[1](m[0](h)))
        return run

    plain = _grads(ember, _pair()[1], x, lambda m, h: m[4](m[3](block(m)(h))))
    calls[0] = 0
    ours = _grads(ember, em, x, lambda m, h: m[4](m[3](
        ecp.checkpoint(block(m), h, use_reentrant=use_reentrant))))
    assert calls[0] == 2  # once forward, once recomputed in backward
    theirs = _grads(torch, tm, x, lambda m, h: m[4](m[3](
        tcp.checkpoint(block(m), h, use_reentrant=use_reentrant))))
    for a, b, c in zip(ours, plain, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)


def test_checkpoint_replays_dropout_and_keeps_activations_out_of_the_graph():
    lin = ember.nn.Linear(6, 6)
    x = ember.randn(3, 6, requires_grad=True)

    def f(h):
        return ember.nn.functional.dropout(lin(h), 0.5, training=True) * 2

    ember.manual_seed(3)
    f(x).sum().backward()
    plain = (x.grad.clone(), lin.weight.grad.clone())
    x.grad = None
    lin.weight.grad = None
    ember.manual_seed(3)
    y = ecp.checkpoint(f, x, use_reentrant=False)
    assert type(y.grad_fn).__name__ == "_CheckpointBackward"  # one node stands for the block
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), plain[0].numpy())
    np.testing.assert_array_equal(lin.weight.grad.numpy(), plain[1].numpy())


def test_checkpoint_non_reentrant_without_grad_inputs_and_kwargs():
    lin = ember.nn.Linear(3, 2)
    y = ecp.checkpoint(lambda h, scale: lin(h) * scale, ember.randn(4, 3), use_reentrant=False,
                       scale=3.0)
    assert y.requires_grad
    y.sum().backward()
    assert lin.bias.grad is not None
    np.testing.assert_allclose(lin.bias.grad.numpy(), np.full(2, 12.0))
    with pytest.raises(ValueError, match="Unexpected keyword"):
        ecp.checkpoint(lambda h, s: h, ember.ones(1), use_reentrant=True, s=1)


@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential_matches_torch(segments):
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    tm, em = _pair(2)
    ours = _grads(ember, em, x, lambda m, h: ecp.checkpoint_sequential(
        m, segments, h, use_reentrant=False))
    theirs = _grads(torch, tm, x, lambda m, h: tcp.checkpoint_sequential(
        m, segments, h, use_reentrant=False))
    for a, c in zip(ours, theirs):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)


def test_non_reentrant_checkpoint_of_a_module_reaches_its_parameters_with_autograd_grad():
    tm, em = _pair(4)
    x = np.random.default_rng(4).standard_normal((3, 5)).astype(np.float32)
    grads = []
    for lib, cp, model in ((ember, ecp, em), (torch, tcp, tm)):
        xt = lib.tensor(x, requires_grad=True)
        loss = cp.checkpoint(model, xt, use_reentrant=False).pow(2).sum()
        grads.append([g.numpy() for g in lib.autograd.grad(loss, [xt, *model.parameters()])])
        assert all(p.grad is None for p in model.parameters())
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
