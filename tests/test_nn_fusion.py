"""nn.utils fusion (conv/linear + batch norm), skip_init and weight memory formats,
against torch with the same weights."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember import nn
from tests.helpers import assert_close


def twins(rng, name, *args, **kwargs):
    e, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    state = {}
    for k, v in t.state_dict().items():
        if v.is_floating_point():
            v = torch.tensor(rng.uniform(0.5, 1.5, tuple(v.shape)).astype(np.float32))
        state[k] = v
    t.load_state_dict(state)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in state.items()})
    return e.eval(), t.eval()


@pytest.mark.parametrize("conv,bias,shape", [("Conv2d", True, (2, 3, 6, 6)),
                                             ("Conv1d", False, (2, 3, 7)),
                                             ("ConvTranspose2d", True, (2, 3, 4, 4))])
def test_fuse_conv_bn_eval(rng, conv, bias, shape):
    ec, tc = twins(rng, conv, 3, 4, 3, bias=bias)
    bn_name = "BatchNorm1d" if conv == "Conv1d" else "BatchNorm2d"
    eb, tb = twins(rng, bn_name, 4)
    transpose = conv.startswith("ConvTranspose")
    ef = nn.utils.fusion.fuse_conv_bn_eval(ec, eb, transpose=transpose)
    tf = torch.nn.utils.fusion.fuse_conv_bn_eval(tc, tb, transpose=transpose)
    assert ef is not ec and isinstance(ef.weight, nn.Parameter)
    assert_close(ef.weight, tf.weight, atol=1e-6, rtol=1e-5)
    assert_close(ef.bias, tf.bias, atol=1e-6, rtol=1e-5)
    x = ember.tensor(rng.standard_normal(shape).astype(np.float32))
    assert_close(ef(x), eb(ec(x)), atol=1e-5, rtol=1e-4)
    with pytest.raises(AssertionError):
        nn.utils.fusion.fuse_conv_bn_eval(ec.train(), eb)


def test_fuse_linear_bn_eval(rng):
    el, tl = twins(rng, "Linear", 5, 4)
    eb, tb = twins(rng, "BatchNorm1d", 4)
    ef = nn.utils.fuse_linear_bn_eval(el, eb)
    tf = torch.nn.utils.fusion.fuse_linear_bn_eval(tl, tb)
    assert_close(ef.weight, tf.weight, atol=1e-6, rtol=1e-5)
    assert_close(ef.bias, tf.bias, atol=1e-6, rtol=1e-5)
    x = ember.tensor(rng.standard_normal((3, 5)).astype(np.float32))
    assert_close(ef(x), eb(el(x)), atol=1e-5, rtol=1e-4)
    with pytest.raises(AssertionError):
        nn.utils.fuse_linear_bn_eval(el, nn.BatchNorm1d(3).eval())


def test_fuse_weights_without_optional_parts(rng):
    w = rng.standard_normal((4, 3)).astype(np.float32)
    rm, rv = rng.standard_normal(4).astype(np.float32), rng.uniform(1, 2, 4).astype(np.float32)
    g, b = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    e = nn.utils.fusion.fuse_linear_bn_weights(ember.tensor(w), None, ember.tensor(rm),
                                               ember.tensor(rv), 1e-5, ember.tensor(g),
                                               ember.tensor(b))
    t = torch.nn.utils.fusion.fuse_linear_bn_weights(torch.tensor(w), None, torch.tensor(rm),
                                                     torch.tensor(rv), 1e-5, torch.tensor(g),
                                                     torch.tensor(b))
    for a, b in zip(e, t):
        assert_close(a, b.detach(), atol=1e-6, rtol=1e-5)
    w4 = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    e = nn.utils.fuse_conv_bn_weights(ember.tensor(w4), None, ember.tensor(rm),
                                      ember.tensor(rv), 1e-5, None, None)
    t = torch.nn.utils.fuse_conv_bn_weights(torch.tensor(w4), None, torch.tensor(rm),
                                            torch.tensor(rv), 1e-5, None, None)
    for a, b in zip(e, t):
        assert_close(a, b.detach(), atol=1e-6, rtol=1e-5)


def test_skip_init():
    m = nn.utils.skip_init(nn.Linear, 5, 3, bias=False)
    assert type(m) is nn.Linear and m.weight.shape == (3, 5) and m.bias is None

    class NoDevice(nn.Module):
        def __init__(self, n):
            super().__init__()
    with pytest.raises(RuntimeError):
        nn.utils.skip_init(NoDevice, 3)


def test_convert_conv2d_weight_memory_format():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(),
                          nn.Sequential(nn.ConvTranspose2d(4, 2, 3)), nn.Conv1d(2, 2, 1))
    weight = model[0].weight
    out = nn.utils.convert_conv2d_weight_memory_format(model, ember.channels_last)
    assert out is model and model[0].weight is weight
    assert model[0].weight.is_contiguous(memory_format=ember.channels_last)
    assert model[2][0].weight.is_contiguous(memory_format=ember.channels_last)
    assert not model[0].weight.is_contiguous()
    assert model[3].weight.is_contiguous()
