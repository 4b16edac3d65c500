"""The models the graph-mode tests capture, each with example inputs of fresh values."""
from __future__ import annotations

import copy

import numpy as np

import ember
from ember.jit._tree import flatten
from bench import models


def zoo() -> dict:
    """name -> (model factory, inputs factory); factories so each test gets fresh ones."""
    nn = ember.nn
    return {
        "mlp": (lambda: models.mlp(ember), lambda: (ember.randn(4, 784),)),
        "lenet": (lambda: models.lenet(ember), lambda: (ember.randn(2, 1, 28, 28),)),
        "resnet": (lambda: models.resnet(ember, width=8), lambda: (ember.randn(4, 3, 16, 16),)),
        "lstm": (lambda: nn.LSTM(10, 16, num_layers=2, batch_first=True),
                 lambda: (ember.randn(3, 5, 10),)),
        "transformer": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(
            16, 4, 32, dropout=0.0, batch_first=True), 2), lambda: (ember.randn(2, 7, 16),)),
        "gpt": (lambda: models.gpt(ember, block=16), lambda: (ember.randint(0, 96, (2, 16)),)),
    }


def twins(make, train: bool = True):
    """Two models with the same weights and buffers, in train or eval mode: one runs
    eagerly, one in graph mode."""
    a = make().train(train)
    return a, copy.deepcopy(a)


def assert_same(a, b, what: str) -> None:
    """Two (nested) results hold tensors of equal shapes, dtypes and values, bit for bit."""
    ta, tb = flatten(a)[0], flatten(b)[0]
    assert len(ta) == len(tb), what
    for x, y in zip(ta, tb):
        assert x.shape == y.shape and x.dtype == y.dtype, what
        np.testing.assert_array_equal(x.detach().numpy(), y.detach().numpy(), err_msg=what)


def scalar_loss(out):
    """A loss that reaches every output tensor with a different weight per element."""
    tensors = [t for t in flatten(out)[0] if t.dtype.is_floating_point]
    return sum((t * t).sum() * (i + 1) for i, t in enumerate(tensors))
