"""nn.utils: gradient clipping and parameter/vector conversion, against torch."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import ember
from ember import nn
from tests.helpers import assert_close

SHAPES = [(4, 3), (7,), (2, 2, 2)]


def params_with_grads(rng, dtype=np.float32, scale=1.0):
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [(scale * rng.standard_normal(s)).astype(dtype) for s in SHAPES]
    e = [nn.Parameter(ember.tensor(v)) for v in values]
    t = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    for ep, tp, g in zip(e, t, grads):
        ep.grad = ember.tensor(g)
        tp.grad = torch.tensor(g)
    return e, t


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.5, 0.5, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype, rng):
    e, t = params_with_grads(rng, dtype)
    norm_type = float(norm_type)
    e_total = nn.utils.clip_grad_norm_(e, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type)
    assert_close(e_total, t_total)
    for ep, tp in zip(e, t):
        assert_close(ep.grad, tp.grad)


def test_clip_grad_norm_accepts_one_tensor_and_skips_missing_grads(rng):
    e, t = params_with_grads(rng)
    e[1].grad = None
    t[1].grad = None
    assert_close(nn.utils.clip_grad_norm_(e, 0.1), torch.nn.utils.clip_grad_norm_(t, 0.1))
    assert e[1].grad is None
    assert_close(nn.utils.clip_grad_norm_(e[0], 0.01), torch.nn.utils.clip_grad_norm_(t[0], 0.01))
    assert_close(e[0].grad, t[0].grad)
    assert_close(nn.utils.clip_grad_norm_([], 1.0), torch.nn.utils.clip_grad_norm_([], 1.0))


def test_clip_grad_norm_non_finite(rng):
    e, t = params_with_grads(rng)
    e[0].grad = ember.full((4, 3), float("nan"))
    t[0].grad = torch.full((4, 3), float("nan"))
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(e, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(t, 1.0, error_if_nonfinite=True)
    total = nn.utils.clip_grad_norm_(e, 1.0)
    assert math.isnan(total.item())
    assert np.isnan(e[2].grad.numpy()).all()  # scaled by nan, as torch does


def test_clip_grad_norm_warns_on_empty_generator():
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_moves_versions_and_keeps_arrays(rng):
    e, _ = params_with_grads(rng)
    before = [(p.grad.data_ptr(), p.grad._version) for p in e]
    nn.utils.clip_grad_norm_(e, 1e-3)
    for p, (ptr, version) in zip(e, before):
        assert p.grad.data_ptr() == ptr and p.grad._version > version
        assert p.grad.dtype == ember.float32


@pytest.mark.parametrize("clip", [0.3, 2])
def test_clip_grad_value_matches_torch(clip, rng):
    e, t = params_with_grads(rng)
    assert nn.utils.clip_grad_value_(e, clip) is None
    torch.nn.utils.clip_grad_value_(t, clip)
    for ep, tp in zip(e, t):
        assert_close(ep.grad, tp.grad)
    nn.utils.clip_grad_value_(e[0], 0.1)
    assert np.abs(e[0].grad.numpy()).max() <= 0.1


def test_parameters_to_vector_and_back(rng):
    e, t = params_with_grads(rng)
    ev, tv = nn.utils.parameters_to_vector(e), torch.nn.utils.parameters_to_vector(t)
    assert_close(ev.detach(), tv.detach())
    # the vector is differentiable with respect to the parameters
    (ev * ev).sum().backward()
    for p in e:
        p.grad = None
    (nn.utils.parameters_to_vector(e) * 3).sum().backward()
    assert all((p.grad.numpy() == 3).all() for p in e)

    new = rng.standard_normal(ev.shape[0]).astype(np.float32)
    nn.utils.vector_to_parameters(ember.tensor(new), e)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t)
    for ep, tp in zip(e, t):
        assert_close(ep.detach(), tp.detach())
        assert isinstance(ep, nn.Parameter) and ep.requires_grad
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters(new, e)


def test_deprecated_clip_grad_norm_warns(rng):
    e, _ = params_with_grads(rng)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.utils.clip_grad_norm(e, 1.0)
    assert any(issubclass(w.category, FutureWarning) for w in caught)
