"""OpInfos for the fused LSTM and GRU cells and whole layers, against the same steps
composed from torch's ops."""
from __future__ import annotations

import torch

import ember

from . import OpInfo, Sample
from . import samples as S


def _lstm_cell_samples(rng, dtype):
    return [Sample((S.randn(rng, (3, 8), dtype), S.randn(rng, (3, 2), dtype))),
            Sample((S.randn(rng, (1, 4), dtype), S.randn(rng, (1, 1), dtype)))]


def _torch_lstm_cell(gates, c):
    i, f, g, o = gates.chunk(4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c_new = f * c + i * g
    return o * c_new.tanh(), c_new, torch.cat((i, f, g, o), 1)


def _gru_cell_samples(rng, dtype):
    return [Sample((S.randn(rng, (3, 6), dtype), S.randn(rng, (3, 6), dtype),
                    S.randn(rng, (3, 2), dtype))),
            Sample((S.randn(rng, (1, 3), dtype), S.randn(rng, (1, 3), dtype),
                    S.randn(rng, (1, 1), dtype)))]


def _torch_gru_cell(gi, gh, h):
    size = h.shape[1]
    rz = (gi[:, :2 * size] + gh[:, :2 * size]).sigmoid()
    n = (gi[:, 2 * size:] + rz[:, :size] * gh[:, 2 * size:]).tanh()
    return n + rz[:, size:] * (h - n), rz, n


OPINFOS = [
    OpInfo("lstm_cell", _lstm_cell_samples, ember_fn=ember.ops.TABLE["lstm_cell"].fn,
           torch_fn=_torch_lstm_cell, gradgradcheck=True),
    OpInfo("gru_cell", _gru_cell_samples, ember_fn=ember.ops.TABLE["gru_cell"].fn,
           torch_fn=_torch_gru_cell, gradgradcheck=True),
]


def _lstm_layer_samples(rng, dtype):
    def sample(steps, batch, size, **kwargs):
        return Sample((S.randn(rng, (steps, batch, 4 * size), dtype),
                       S.randn(rng, (batch, size), dtype), S.randn(rng, (batch, size), dtype),
                       S.randn(rng, (4 * size, size), dtype), S.randn(rng, (4 * size,), dtype)),
                      kwargs)
    return [sample(4, 3, 2), sample(3, 2, 3, reverse=True), sample(1, 1, 1)]


def _torch_lstm_layer(gi, h, c, w_hh, bias, reverse=False):
    outs = []
    for t in (reversed(range(gi.shape[0])) if reverse else range(gi.shape[0])):
        h, c, _ = _torch_lstm_cell(gi[t] + h @ w_hh.T + bias, c)
        outs.append(h)
    return torch.stack(outs[::-1] if reverse else outs), h, c


def _gru_layer_samples(rng, dtype):
    def sample(steps, batch, size, **kwargs):
        return Sample((S.randn(rng, (steps, batch, 3 * size), dtype),
                       S.randn(rng, (batch, size), dtype),
                       S.randn(rng, (3 * size, size), dtype), S.randn(rng, (3 * size,), dtype)),
                      kwargs)
    return [sample(4, 3, 2), sample(3, 2, 3, reverse=True), sample(1, 1, 1)]


def _torch_gru_layer(gi, h, w_hh, b_hh, reverse=False):
    outs = []
    for t in (reversed(range(gi.shape[0])) if reverse else range(gi.shape[0])):
        h = _torch_gru_cell(gi[t], h @ w_hh.T + b_hh, h)[0]
        outs.append(h)
    return torch.stack(outs[::-1] if reverse else outs), h


OPINFOS += [
    OpInfo("lstm_layer", _lstm_layer_samples, ember_fn=ember.ops.TABLE["lstm_layer"].fn,
           torch_fn=_torch_lstm_layer, gradgradcheck=True),
    OpInfo("gru_layer", _gru_layer_samples, ember_fn=ember.ops.TABLE["gru_layer"].fn,
           torch_fn=_torch_gru_layer, gradgradcheck=True),
]
