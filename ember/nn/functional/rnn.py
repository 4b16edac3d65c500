"""The recurrences behind `RNN`, `LSTM`, `GRU` and their cells (PyTorch has no functional
form of these, so nothing here is public).

Every recurrence splits into an input projection, done for all time steps at once as one
matrix product before the loop, and a step that adds the hidden projection (one matrix
product per step) and applies the gates. A state is a tuple: ``(h,)``, or ``(h, c)`` for
the LSTM; the step's output is always ``state[0]``.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from ...ops import TABLE
from .linear import linear

__all__: list[str] = []

_addmm = TABLE["addmm"].fn
_mm = TABLE["mm"].fn
_cat = TABLE["cat"].fn
_stack = TABLE["stack"].fn
_lstm_cell = TABLE["lstm_cell"].fn
_gru_cell = TABLE["gru_cell"].fn
_lstm_layer = TABLE["lstm_layer"].fn
_gru_layer = TABLE["gru_layer"].fn


class Weights(NamedTuple):
    """One direction of one layer: PyTorch's ``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh`` and (LSTM with proj_size) ``weight_hr``."""
    w_ih: object
    w_hh: object
    b_ih: object = None
    b_hh: object = None
    w_hr: object = None


def _tanh_step(gi, state, w_hh_t, b_hh, w_hr_t):
    return (_addmm(gi, state[0], w_hh_t).tanh(),)


def _relu_step(gi, state, w_hh_t, b_hh, w_hr_t):
    return (_addmm(gi, state[0], w_hh_t).relu(),)


def _lstm_step(gi, state, w_hh_t, b_hh, w_hr_t):
    h, c = state
    h, c, _ = _lstm_cell(_addmm(gi, h, w_hh_t), c)
    return (h if w_hr_t is None else _mm(h, w_hr_t)), c


def _gru_step(gi, state, w_hh_t, b_hh, w_hr_t):
    (h,) = state
    gh = _mm(h, w_hh_t) if b_hh is None else _addmm(b_hh, h, w_hh_t)
    return (_gru_cell(gi, gh, h)[0],)


def _lstm_layer_op(x, state, w: Weights, reverse: bool):
    # the biases go to the layer, which adds them as each step sums its gates
    rows = _mm(x.reshape(-1, x.shape[-1]), w.w_ih.mT)
    gi = rows.view(x.shape[0], x.shape[1], rows.shape[-1])
    bias = _folded_bias(w)
    if bias is None:
        bias = gi.new_zeros(gi.shape[-1])
    out, h, c = _lstm_layer(gi, state[0], state[1], w.w_hh, bias, reverse)
    return out, (h, c)


def _gru_layer_op(x, state, w: Weights, reverse: bool):
    gi = linear(x, w.w_ih, w.b_ih)
    b_hh = w.b_hh if w.b_hh is not None else gi.new_zeros(gi.shape[-1])
    out, h = _gru_layer(gi, state[0], w.w_hh, b_hh, reverse)
    return out, (h,)


class Recurrence(NamedTuple):
    step: Callable
    gates: int             # blocks of hidden_size rows in weight_ih / weight_hh
    fold_hidden_bias: bool  # b_hh may be added to the input projection once, before the loop
    layer: Callable | None = None  # the whole layer, projection included, as one op (CPU,
    # unpacked, no projection of the state)


RECURRENCES = {
    "RNN_TANH": Recurrence(_tanh_step, 1, True),
    "RNN_RELU": Recurrence(_relu_step, 1, True),
    "LSTM": Recurrence(_lstm_step, 4, True, _lstm_layer_op),
    "GRU": Recurrence(_gru_step, 3, False, _gru_layer_op),
}


def project_input(recurrence: Recurrence, x, w: Weights):
    """The input's share of every gate, for all time steps in one product."""
    return linear(x, w.w_ih, _folded_bias(w) if recurrence.fold_hidden_bias else w.b_ih)


def _folded_bias(w: Weights):
    return w.b_ih if w.b_ih is None else w.b_ih + w.b_hh


def cell(recurrence: Recurrence, x, state: tuple, w: Weights) -> tuple:
    """One step of a cell module on a batch ``x`` of shape (batch, input_size)."""
    return recurrence.step(project_input(recurrence, x, w), state, w.w_hh.mT, w.b_hh,
                           None if w.w_hr is None else w.w_hr.mT)


def run_direction(recurrence: Recurrence, steps, state: tuple, w: Weights, reverse: bool):
    """Run the recurrence over ``steps`` (the projected input of each step, whose batch may
    shrink over time as in a packed sequence). Returns the outputs and the final state."""
    step, w_hh_t, b_hh = recurrence.step, w.w_hh.mT, w.b_hh
    w_hr_t = None if w.w_hr is None else w.w_hr.mT
    outputs = []
    if reverse:
        # backwards the batch grows: sequences join with their initial state at their end
        initial = state
        state = tuple(s[:steps[-1].shape[0]] for s in initial)
        for gi in reversed(steps):
            batch, running = gi.shape[0], state[0].shape[0]
            if batch > running:
                state = tuple(_cat((s, s0[running:batch]), 0) for s, s0 in zip(state, initial))
            state = step(gi, state, w_hh_t, b_hh, w_hr_t)
            outputs.append(state[0])
        outputs.reverse()
        return outputs, state
    finished = []  # states of the sequences that ended, last-ending first
    for gi in steps:
        batch = gi.shape[0]
        if batch < state[0].shape[0]:
            finished.append(tuple(s[batch:] for s in state))
            state = tuple(s[:batch] for s in state)
        state = step(gi, state, w_hh_t, b_hh, w_hr_t)
        outputs.append(state[0])
    if finished:
        parts = [state] + finished[::-1]
        state = tuple(_cat([p[k] for p in parts], 0) for k in range(len(state)))
    return outputs, state


def run_layers(recurrence: Recurrence, x, batch_sizes, states: list, weights: list,
               num_directions: int, dropout: Callable | None):
    """A stack of (bi)directional layers over ``x``: a time-major (T, B, input_size) tensor,
    or the ``data`` of a packed sequence when ``batch_sizes`` is given. ``states[k]`` and
    ``weights[k]`` belong to layer ``k // num_directions``, direction ``k % num_directions``.
    Returns the last layer's output (same layout as ``x``) and the final states."""
    finals = []
    num_layers = len(weights) // num_directions
    for layer in range(num_layers):
        outputs = []
        for direction in range(num_directions):
            k = layer * num_directions + direction
            if (recurrence.layer is not None and batch_sizes is None
                    and weights[k].w_hr is None and x.device.type == "cpu"):
                out, final = recurrence.layer(x, states[k], weights[k], direction == 1)
                outputs.append(out)
                finals.append(final)
                continue
            gi = project_input(recurrence, x, weights[k])
            steps = gi.unbind(0) if batch_sizes is None else gi.split(batch_sizes, 0)
            out, final = run_direction(recurrence, steps, states[k], weights[k],
                                       reverse=direction == 1)
            outputs.append(_stack(out, 0) if batch_sizes is None else _cat(out, 0))
            finals.append(final)
        x = outputs[0] if num_directions == 1 else _cat(outputs, -1)
        if dropout is not None and layer < num_layers - 1:
            x = dropout(x)
    return x, finals
