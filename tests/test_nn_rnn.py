"""Recurrent layers, cells and sequence packing against PyTorch, with torch's weights loaded
into ember through its state_dict: outputs, final states and all gradients."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as trnn

import ember
from ember.nn.utils import rnn as ernn

from .helpers import assert_close, assert_raises_like_torch, flatten

MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}),
         ("LSTM", {"proj_size": 2}), ("GRU", {})]
IN, HID, T, B = 3, 4, 5, 2


def _pair(name, cls_kwargs):
    """A torch module and an ember module loaded with the same (torch's) weights."""
    t_mod = getattr(torch.nn, name)(**cls_kwargs).double()
    e_mod = getattr(ember.nn, name)(**cls_kwargs).double()
    state = {k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()}
    e_mod.load_state_dict(state)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert repr(e_mod) == repr(t_mod)
    return t_mod, e_mod


def _leaves(rng, *shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [ember.tensor(a, requires_grad=True) for a in arrays])


def _backward_and_compare(t_out, e_out, t_leaves, e_leaves, t_mod, e_mod, rng):
    t_flat, e_flat = flatten(t_out), flatten(e_out)
    for k, (t, e) in enumerate(zip(t_flat, e_flat)):
        assert_close(e, t, what=f"output {k}")
    t_loss, e_loss = 0, 0
    for t, e in zip(t_flat, e_flat):
        w = rng.standard_normal(tuple(t.shape))
        t_loss = t_loss + (t * torch.tensor(w)).sum()
        e_loss = e_loss + (e * ember.tensor(w)).sum()
    t_loss.backward()
    e_loss.backward()
    for k, (t, e) in enumerate(zip(t_leaves, e_leaves)):
        assert_close(e.grad, t.grad, what=f"grad of input {k}")
    for (name, p), (_, q) in zip(t_mod.named_parameters(), e_mod.named_parameters()):
        assert_close(q.grad, p.grad, what=f"grad of {name}")


def _state_shapes(mode_kwargs, name, layers, batch):
    out = mode_kwargs.get("proj_size") or HID
    if name == "LSTM":
        return [(layers, *batch, out), (layers, *batch, HID)]
    return [(layers, *batch, out)]


def _wrap_state(name, leaves):
    return tuple(leaves) if name == "LSTM" else leaves[0]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[0] + "".join(map(str, m[1].values())))
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("batch_first,bias,with_h0",
                         list(itertools.product([False, True], [True, False], [False, True])))
def test_rnn_layers_match_torch(mode, layers, bidirectional, batch_first, bias, with_h0, rng):
    name, extra = mode
    kwargs = dict(input_size=IN, hidden_size=HID, num_layers=layers, bias=bias,
                  batch_first=batch_first, bidirectional=bidirectional, **extra)
    t_mod, e_mod = _pair(name, kwargs)
    dirs = 2 if bidirectional else 1
    shapes = [(B, T, IN) if batch_first else (T, B, IN)]
    if with_h0:
        shapes += _state_shapes(extra, name, layers * dirs, (B,))
    t_leaves, e_leaves = _leaves(rng, *shapes)
    args_t, args_e = t_leaves[:1], e_leaves[:1]
    if with_h0:
        args_t.append(_wrap_state(name, t_leaves[1:]))
        args_e.append(_wrap_state(name, e_leaves[1:]))
    _backward_and_compare(t_mod(*args_t), e_mod(*args_e), t_leaves, e_leaves, t_mod, e_mod, rng)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[0] + "".join(map(str, m[1].values())))
@pytest.mark.parametrize("with_h0", [False, True])
def test_rnn_unbatched_input_matches_torch(mode, with_h0, rng):
    name, extra = mode
    t_mod, e_mod = _pair(name, dict(input_size=IN, hidden_size=HID, num_layers=2,
                                    bidirectional=True, **extra))
    shapes = [(T, IN)] + (_state_shapes(extra, name, 4, ()) if with_h0 else [])
    t_leaves, e_leaves = _leaves(rng, *shapes)
    args_t = [t_leaves[0]] + ([_wrap_state(name, t_leaves[1:])] if with_h0 else [])
    args_e = [e_leaves[0]] + ([_wrap_state(name, e_leaves[1:])] if with_h0 else [])
    _backward_and_compare(t_mod(*args_t), e_mod(*args_e), t_leaves, e_leaves, t_mod, e_mod, rng)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[0] + "".join(map(str, m[1].values())))
@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [5, 3, 3, 1]), (False, [2, 5, 1, 4])])
@pytest.mark.parametrize("bidirectional,with_h0", [(False, False), (True, True)])
def test_rnn_packed_sequences_match_torch(mode, enforce_sorted, lengths, bidirectional,
                                         with_h0, rng):
    name, extra = mode
    t_mod, e_mod = _pair(name, dict(input_size=IN, hidden_size=HID, num_layers=2,
                                    bidirectional=bidirectional, **extra))
    layers = 4 if bidirectional else 2
    shapes = [(len(lengths), 5, IN)]
    shapes += _state_shapes(extra, name, layers, (len(lengths),)) if with_h0 else []
    t_leaves, e_leaves = _leaves(rng, *shapes)
    t_in = trnn.pack_padded_sequence(t_leaves[0], lengths, batch_first=True,
                                     enforce_sorted=enforce_sorted)
    e_in = ernn.pack_padded_sequence(e_leaves[0], lengths, batch_first=True,
                                     enforce_sorted=enforce_sorted)
    args_t = [t_in] + ([_wrap_state(name, t_leaves[1:])] if with_h0 else [])
    args_e = [e_in] + ([_wrap_state(name, e_leaves[1:])] if with_h0 else [])
    (t_out, t_h), (e_out, e_h) = t_mod(*args_t), e_mod(*args_e)
    assert isinstance(e_out, ernn.PackedSequence)
    assert_close(e_out.batch_sizes, t_out.batch_sizes)
    t_pad = trnn.pad_packed_sequence(t_out, batch_first=True, padding_value=-1.0)
    e_pad = ernn.pad_packed_sequence(e_out, batch_first=True, padding_value=-1.0)
    assert_close(e_pad[1], t_pad[1])
    _backward_and_compare((t_pad[0], t_h), (e_pad[0], e_h), t_leaves, e_leaves, t_mod, e_mod,
                          rng)


def test_rnn_train_mode_without_dropout_matches_torch(rng):
    t_mod, e_mod = _pair("LSTM", dict(input_size=IN, hidden_size=HID, num_layers=3,
                                      dropout=0.0))
    t_mod.train(), e_mod.train()
    t_leaves, e_leaves = _leaves(rng, (T, B, IN))
    _backward_and_compare(t_mod(t_leaves[0]), e_mod(e_leaves[0]), t_leaves, e_leaves, t_mod,
                          e_mod, rng)


def test_rnn_float32_stays_float32(rng):
    t_mod = torch.nn.GRU(IN, HID)
    e_mod = ember.nn.GRU(IN, HID)
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    x = rng.standard_normal((T, B, IN)).astype(np.float32)
    (t_out, t_h), (e_out, e_h) = t_mod(torch.tensor(x)), e_mod(ember.tensor(x))
    assert_close(e_out, t_out)
    assert_close(e_h, t_h)


def test_rnn_default_init_is_uniform_in_torch_bounds():
    mod = ember.nn.LSTM(3, 16, num_layers=2, bidirectional=True)
    names = [n for n, _ in torch.nn.LSTM(3, 16, num_layers=2, bidirectional=True)
             .named_parameters()]
    assert [n for n, _ in mod.named_parameters()] == names
    values = np.concatenate([p.detach().numpy().ravel() for p in mod.parameters()])
    assert np.abs(values).max() <= 0.25 and np.abs(values).max() > 0.2
    assert len(mod.all_weights) == 4 and len(mod.all_weights[0]) == 4


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch,with_h0", [((B,), False), ((B,), True), ((), True), ((), False)])
def test_cells_match_torch(name, bias, batch, with_h0, rng):
    t_mod, e_mod = _pair(name, dict(input_size=IN, hidden_size=HID, bias=bias))
    n_states = (2 if name == "LSTMCell" else 1) if with_h0 else 0
    t_leaves, e_leaves = _leaves(rng, (*batch, IN), *[(*batch, HID)] * n_states)
    args_t, args_e = t_leaves[:1], e_leaves[:1]
    if with_h0:
        args_t.append(tuple(t_leaves[1:]) if name == "LSTMCell" else t_leaves[1])
        args_e.append(tuple(e_leaves[1:]) if name == "LSTMCell" else e_leaves[1])
    _backward_and_compare(t_mod(*args_t), e_mod(*args_e), t_leaves, e_leaves, t_mod, e_mod, rng)


def test_relu_cell_repr_and_result(rng):
    t_mod, e_mod = _pair("RNNCell", dict(input_size=IN, hidden_size=HID, nonlinearity="relu"))
    t_leaves, e_leaves = _leaves(rng, (B, IN))
    _backward_and_compare(t_mod(t_leaves[0]), e_mod(e_leaves[0]), t_leaves, e_leaves, t_mod,
                          e_mod, rng)


def test_long_unrolled_rnn_backpropagates():
    mod = ember.nn.RNN(2, 3)
    x = ember.randn(10_000, 1, 2, requires_grad=True)
    out, h = mod(x)
    h.sum().backward()
    assert x.grad.shape == x.shape and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("make,call", [
    (lambda nn: nn.LSTM(3, 4), lambda m, t: m(t.randn(5, 2, 7))),
    (lambda nn: nn.LSTM(3, 4), lambda m, t: m(t.randn(5, 2, 3, 1))),
    (lambda nn: nn.GRU(3, 4), lambda m, t: m(t.randn(5, 2, 3), t.randn(2, 2, 4))),
    (lambda nn: nn.GRU(3, 4), lambda m, t: m(t.randn(5, 3), t.randn(1, 2, 4))),
    (lambda nn: nn.RNN(3, 4), lambda m, t: m(t.randn(5, 2, 3), t.randn(1, 4))),
    (lambda nn: nn.LSTM(3, 4), lambda m, t: m(t.randn(5, 2, 3), (t.randn(1, 2, 4),
                                                                 t.randn(1, 2, 5)))),
    (lambda nn: nn.RNN(3, 4), lambda m, t: m(t.randn(5, 2, 3, dtype=t.float64))),
    (lambda nn: nn.RNN(3, 4, nonlinearity="sigmoid"), lambda m, t: None),
    (lambda nn: nn.LSTM(3, 4, proj_size=4), lambda m, t: None),
    (lambda nn: nn.GRU(3, 4, proj_size=2), lambda m, t: None),
    (lambda nn: nn.GRU(3, 4, dropout=1.5), lambda m, t: None),
    (lambda nn: nn.GRU(3, 0), lambda m, t: None),
    (lambda nn: nn.GRUCell(3, 4), lambda m, t: m(t.randn(2, 2, 3))),
    (lambda nn: nn.LSTMCell(3, 4), lambda m, t: m(t.randn(2, 5))),
    (lambda nn: nn.LSTMCell(3, 4), lambda m, t: m(t.randn(2, 3), t.randn(2, 4))),
    (lambda nn: nn.LSTM(3, 4), lambda m, t: m(t.randn(5, 2, 3), t.randn(1, 2, 4))),
    (lambda nn: nn.LSTM(3, 4), lambda m, t: m(t.randn(5, 2, 3), (t.randn(1, 2, 4),))),
    (lambda nn: nn.GRU(3, 4), lambda m, t: m(t.randn(0, 2, 3))),
    (lambda nn: nn.GRUCell(3, 4), lambda m, t: m(t.randn(2, 3), t.randn(3, 4))),
])
def test_rnn_errors_like_torch(make, call):
    assert_raises_like_torch(lambda: call(make(ember.nn), ember),
                             lambda: call(make(torch.nn), torch))


def test_pack_pad_round_trip_matches_torch(rng):
    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    t_seqs = [torch.tensor(s, requires_grad=True) for s in seqs]
    e_seqs = [ember.tensor(s, requires_grad=True) for s in seqs]
    t_packed = trnn.pack_sequence(t_seqs, enforce_sorted=False)
    e_packed = ernn.pack_sequence(e_seqs, enforce_sorted=False)
    for field in ("data", "batch_sizes", "sorted_indices", "unsorted_indices"):
        assert_close(getattr(e_packed, field), getattr(t_packed, field), what=field)
    for batch_first, total in [(False, None), (True, 6)]:
        t_pad, t_len = trnn.pad_packed_sequence(t_packed, batch_first, 7.0, total)
        e_pad, e_len = ernn.pad_packed_sequence(e_packed, batch_first, 7.0, total)
        assert_close(e_pad, t_pad)
        assert_close(e_len, t_len)
    w = rng.standard_normal(tuple(t_packed.data.shape))
    (t_packed.data * torch.tensor(w)).sum().backward()
    (e_packed.data * ember.tensor(w)).sum().backward()
    for t, e in zip(t_seqs, e_seqs):
        assert_close(e.grad, t.grad)
    for t, e in zip(trnn.unpack_sequence(t_packed), ernn.unpack_sequence(e_packed)):
        assert_close(e, t)


@pytest.mark.parametrize("batch_first,side", list(itertools.product([False, True],
                                                                    ["right", "left"])))
def test_pad_sequence_matches_torch(batch_first, side, rng):
    seqs = [rng.standard_normal((n, 2, 1)) for n in (3, 1, 4)]
    t_seqs = [torch.tensor(s, requires_grad=True) for s in seqs]
    e_seqs = [ember.tensor(s, requires_grad=True) for s in seqs]
    t_pad = trnn.pad_sequence(t_seqs, batch_first, -2.0, side)
    e_pad = ernn.pad_sequence(e_seqs, batch_first, -2.0, side)
    assert_close(e_pad, t_pad)
    w = rng.standard_normal(tuple(t_pad.shape))
    (t_pad * torch.tensor(w)).sum().backward()
    (e_pad * ember.tensor(w)).sum().backward()
    for t, e in zip(t_seqs, e_seqs):
        assert_close(e.grad, t.grad)


@pytest.mark.parametrize("call", [
    lambda r, t: r.pack_padded_sequence(t.zeros(3, 2), [1, 3]),
    lambda r, t: r.pack_padded_sequence(t.zeros(3, 2), [3, 0]),
    lambda r, t: r.pack_padded_sequence(t.zeros(3, 2), [3, 1, 1]),
    lambda r, t: r.pad_packed_sequence(r.pack_sequence([t.ones(3), t.ones(2)]),
                                       total_length=2),
    lambda r, t: r.pad_sequence([t.ones(3)], padding_side="middle"),
])
def test_packing_errors_like_torch(call):
    assert_raises_like_torch(lambda: call(ernn, ember), lambda: call(trnn, torch))


def test_rnn_dropout_between_layers_only_in_training():
    mod = ember.nn.GRU(3, 8, num_layers=2, dropout=0.5)
    x = ember.randn(4, 2, 3)
    a, b = mod(x)[0], mod(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())  # fresh masks each call
    mod.eval()
    assert_close(mod(x)[0], mod(x)[0].detach())
    with pytest.warns(UserWarning):
        ember.nn.LSTM(3, 4, dropout=0.2)  # one layer: nothing to drop between


# -- the whole-layer ops (lstm_layer, gru_layer): float32, partial outputs, double backward --

@pytest.mark.parametrize("name", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_fused_layers_float32_match_torch(name, bidirectional, rng):
    """The language-model path: float32, several layers, all steps in one op per layer."""
    t_mod = getattr(torch.nn, name)(6, 8, 2, bidirectional=bidirectional)
    e_mod = getattr(ember.nn, name)(6, 8, 2, bidirectional=bidirectional)
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    t_leaves, e_leaves = _leaves(rng, (7, 3, 6))
    t_leaves = [t.float().detach().requires_grad_() for t in t_leaves]
    e_leaves = [e.float().detach().requires_grad_() for e in e_leaves]
    t_out, e_out = t_mod(t_leaves[0]), e_mod(e_leaves[0])
    assert e_out[0].dtype == ember.float32
    _backward_and_compare(t_out, e_out, t_leaves, e_leaves, t_mod, e_mod, rng)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_layers_without_a_graph_match_torch(name, dtype, rng):
    """Under no_grad the LSTM keeps two slots of gates and cells, reused in turn (forwards
    and, in the second direction, backwards), instead of every step's."""
    t_mod = getattr(torch.nn, name)(6, 19, 2, bidirectional=True).to(getattr(torch, dtype))
    e_mod = getattr(ember.nn, name)(6, 19, 2, bidirectional=True).to(getattr(ember, dtype))
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    x = rng.standard_normal((9, 4, 6)).astype(dtype)
    with torch.no_grad(), ember.no_grad():
        t_out, e_out = t_mod(torch.tensor(x)), e_mod(ember.tensor(x))
    for k, (t, e) in enumerate(zip(flatten(t_out), flatten(e_out))):
        assert_close(e, t, what=f"output {k}")


@pytest.mark.parametrize("name,used", [("LSTM", "h_n"), ("LSTM", "c_n"), ("GRU", "h_n"),
                                       ("LSTM", "output")])
def test_fused_layers_with_only_some_outputs_used(name, used, rng):
    t_mod, e_mod = _pair(name, dict(input_size=IN, hidden_size=HID, num_layers=2))
    t_leaves, e_leaves = _leaves(rng, (T, B, IN))
    grads = []
    for mod, x in ((t_mod, t_leaves[0]), (e_mod, e_leaves[0])):
        out, state = mod(x)
        picked = {"output": out, "h_n": state[0] if name == "LSTM" else state,
                  "c_n": state[1] if name == "LSTM" else None}[used]
        (picked * picked).sum().backward()
        grads.append([x.grad] + [p.grad for p in mod.parameters()])
    for k, (t, e) in enumerate(zip(*grads)):
        assert_close(e, t, what=f"grad {k}")


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_fused_layers_gradients_of_gradients_match_torch(name, rng):
    """create_graph=True: the layer's derivative is itself differentiated (through the
    single-step ops), as for a gradient penalty."""
    t_mod, e_mod = _pair(name, dict(input_size=IN, hidden_size=HID, bidirectional=True))
    t_leaves, e_leaves = _leaves(rng, (T, B, IN))
    for mod, x, lib in ((t_mod, t_leaves[0], torch), (e_mod, e_leaves[0], ember)):
        out = mod(x)[0]
        (grad_x,) = lib.autograd.grad((out * out).sum(), x, create_graph=True)
        (grad_x * grad_x).sum().backward()
    assert_close(e_leaves[0].grad, t_leaves[0].grad, what="grad of the gradient penalty")
    for (name_, p), (_, q) in zip(t_mod.named_parameters(), e_mod.named_parameters()):
        assert_close(q.grad, p.grad, what=f"second-order grad of {name_}")
