"""Whole LSTM and GRU layers as single ops: the time loop runs on arrays.

Step by step through the op table, a layer costs a dozen op calls, graph nodes and fresh
arrays per time step, and its weight gradient one small product per step. Here the forward
writes every step into preallocated (time, batch, ...) arrays with one recurrent product per
step and two compiled passes around one NumPy ``tanh`` (`ember.kernels.recurrent`), and the
backward walks the steps once with a compiled kernel per step, then forms ``grad W_hh`` as
one product over all steps. The GRU's recurrent product runs against a contiguous copy of
``W_hh^T`` (BLAS runs the transposed view ~1.6x slower); the LSTM's as ``W_hh @ h.T``,
faster still, its result read transposed by the gate pass.

``gi`` is the input's projection for all steps, with every bias that can be folded into it.
Steps run from the first to the last, or backwards with ``reverse`` (the second direction of
a bidirectional layer). Gradients of gradients recompute the layer with the single-step ops
(`lstm_cell`, `gru_cell`) and differentiate that, so they stay exact.
"""
from __future__ import annotations

import numpy as np

from .._tensor import wrap
from ..autograd.grad_mode import STATE
from ._op import TABLE, op
from .reduce import column_sum
from .rnn import gru_cell, lstm_cell


def _order(steps: int, reverse: bool) -> range:
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _check(name: str, gi, gates: int, states: tuple, w_hh) -> None:
    size = w_hh.shape[-1]
    ok = (gi.ndim == 3 and gi.shape[2] == gates * size and w_hh.shape == (gates * size, size)
          and all(s.shape == (gi.shape[1], size) for s in states))
    if not ok:
        raise RuntimeError(f"{name}: expected the input projection (time, batch, {gates} * "
                           f"hidden), states (batch, hidden) and weight_hh ({gates} * hidden, "
                           f"hidden), got {list(gi.shape)}, "
                           f"{[list(s.shape) for s in states]} and {list(w_hh.shape)}")


@op(nin=5, n_outputs=3, save="all", save_output=True, stash=True, method=False,
    function=False)
def lstm_layer(xp, gi, h0, c0, w_hh, bias, reverse=False):
    """An LSTM layer over all steps of ``gi`` (time, batch, 4 * hidden; gates i, f, g, o)
    plus ``bias`` (4 * hidden, added as each step sums its gates: one pass fewer than adding
    it to ``gi``) from the state ``(h0, c0)``: returns the output (time, batch, hidden),
    ``h_n``, ``c_n``."""
    _check("lstm_layer", gi, 4, (h0, c0), w_hh)
    from ..kernels.recurrent import lstm_forward_step, lstm_gate_inputs
    steps, batch, size = gi.shape[0], gi.shape[1], w_hh.shape[1]
    # One tanh over all four gates: the sigmoid gates' pre-activations are halved as each
    # step sums them, and the step kernel maps tanh(x / 2) to sigmoid(x).
    scale = xp.full(4 * size, 0.5, gi.dtype)
    scale[2 * size:3 * size] = 1
    # The backward reads every step's gates and cells; without a graph two slots, reused
    # in turn, stay in cache.
    slots = steps if STATE.grad_enabled else 2
    act = xp.empty((slots, batch, 4 * size), gi.dtype)
    cells, tanh_c = xp.empty((2, slots, batch, size), gi.dtype)
    out = xp.empty((steps, batch, size), gi.dtype)
    recurrent_t = xp.empty((4 * size, batch), gi.dtype)
    precise = gi.dtype.itemsize == 8
    h, c = h0, c0
    for t in _order(steps, reverse):
        k = t % slots
        xp.matmul(w_hh, h.T, out=recurrent_t)
        lstm_gate_inputs(gi[t], recurrent_t, bias, scale, act[k])
        xp.tanh(act[k], out=act[k])
        lstm_forward_step(act[k], c, cells[k], tanh_c[k], out[t], precise)
        h, c = out[t], cells[k]
    return (out, h.copy(), c.copy()), (act, cells, tanh_c)


@lstm_layer.derivative
def lstm_layer(ctx, grad_out, grad_h, grad_c, reverse=False):
    gi, h0, c0, w_hh, bias, out = ctx.saved_tensors[:6]
    if STATE.grad_enabled:  # gradients of gradients: through the single-step ops
        return _composite_grads(ctx, _lstm_steps, (gi, h0, c0, w_hh, bias), reverse,
                                (grad_out, grad_h, grad_c))
    from ..kernels.recurrent import lstm_backward_step
    act, cells, tanh_c = ctx.stash
    steps, batch, size = out.shape
    grad_out_a = _array_or_zeros(grad_out, out)
    # the gradient through W_hh as W_hh.T @ grad_gates.T, transposed (as the forward's)
    carry_h_t = _array_or_zeros(grad_h, h0).T.copy()
    carry_c = _array_or_zeros(grad_c, c0, copy=True)
    grad_gates = np.empty_like(act)
    total_h = np.empty_like(carry_c)
    w_t, c0a = w_hh._data.T, c0._data
    for t in _order(steps, not reverse):
        prev = t + 1 if reverse else t - 1
        c_prev = cells[prev] if 0 <= prev < steps else c0a
        lstm_backward_step(grad_out_a[t], carry_h_t, carry_c, act[t], c_prev, tanh_c[t],
                           grad_gates[t], total_h)
        np.matmul(w_t, grad_gates[t].T, out=carry_h_t)
    needs = ctx.needs_input_grad
    grad_w = _weight_grad(grad_gates, out._data, h0._data, reverse) if needs[3] else None
    return (wrap(grad_gates), wrap(np.ascontiguousarray(carry_h_t.T)), wrap(carry_c), grad_w,
            _bias_grad(grad_gates) if needs[4] else None)


@lstm_layer.onnx
def lstm_layer(g, gi, h0, c0, w_hh, bias, reverse=False):
    # Unrolled over the traced steps, one MatMul and the gate arithmetic per step.
    steps, size = g.shape(gi)[0], g.shape(h0)[1]
    w_t = g.op("Transpose", w_hh, perm=[1, 0])
    h, c, outs = h0, c0, [None] * steps
    for t in _order(steps, reverse):
        gates = g.op("Add", g.op("Add", g.op("MatMul", h, w_t), bias),
                     g.op("Gather", gi, g.ints([t]), axis=0))
        i, f, cell, o = g.op("Split", g.op("Squeeze", gates, g.ints([0])), g.ints([size] * 4),
                             axis=1, outputs=4)
        c = g.op("Add", g.op("Mul", g.op("Sigmoid", f), c),
                 g.op("Mul", g.op("Sigmoid", i), g.op("Tanh", cell)))
        h = g.op("Mul", g.op("Sigmoid", o), g.op("Tanh", c))
        outs[t] = g.op("Unsqueeze", h, g.ints([0]))
    return g.op("Concat", *outs, axis=0), h, c


@op(nin=4, n_outputs=2, save="all", save_output=True, stash=True, method=False,
    function=False)
def gru_layer(xp, gi, h0, w_hh, b_hh, reverse=False):
    """A GRU layer over all steps of ``gi`` (time, batch, 3 * hidden; gates r, z, n, with
    ``b_ih``) from the state ``h0``: returns the output (time, batch, hidden) and ``h_n``."""
    _check("gru_layer", gi, 3, (h0,), w_hh)
    from ..kernels.recurrent import gru_forward_step, gru_gate_inputs
    steps, batch, size = gi.shape[0], gi.shape[1], w_hh.shape[1]
    w_t = xp.ascontiguousarray(w_hh.T)
    out = xp.empty((steps, batch, size), gi.dtype)
    gh = xp.empty_like(gi)  # the hidden projections, kept for the reset gate's derivative
    rz, n = xp.empty((steps, batch, 2 * size), gi.dtype), xp.empty_like(out)
    precise = gi.dtype.itemsize == 8
    h = h0
    for t in _order(steps, reverse):
        gru_gate_inputs(gi[t], xp.matmul(h, w_t, out=gh[t]), b_hh, rz[t])
        xp.tanh(rz[t], out=rz[t])  # sigmoid(x) = (1 + tanh(x / 2)) / 2, finished below
        gru_forward_step(gi[t], gh[t], rz[t], h, n[t], out[t], precise)
        h = out[t]
    return (out, h.copy()), (rz, n, gh)


@gru_layer.derivative
def gru_layer(ctx, grad_out, grad_h, reverse=False):
    gi, h0, w_hh, b_hh, out = ctx.saved_tensors[:5]
    if STATE.grad_enabled:
        return _composite_grads(ctx, _gru_steps, (gi, h0, w_hh, b_hh), reverse,
                                (grad_out, grad_h))
    from ..kernels.recurrent import gru_backward_step
    rz, n, gh = ctx.stash
    steps, batch, size = out.shape
    grad_out_a = _array_or_zeros(grad_out, out)
    carry_h = _array_or_zeros(grad_h, h0, copy=True)
    grad_gi, grad_gh = np.empty_like(gh), np.empty_like(gh)
    through_w = np.empty_like(carry_h)
    w, outs, h0a = np.ascontiguousarray(w_hh._data), out._data, h0._data
    for t in _order(steps, not reverse):
        prev = t + 1 if reverse else t - 1
        h_prev = outs[prev] if 0 <= prev < steps else h0a
        gru_backward_step(grad_out_a[t], carry_h, rz[t], n[t], gh[t], h_prev, grad_gi[t],
                          grad_gh[t])
        carry_h += np.matmul(grad_gh[t], w, out=through_w)
    needs = ctx.needs_input_grad
    grad_w = _weight_grad(grad_gh, outs, h0a, reverse) if needs[2] else None
    grad_b = _bias_grad(grad_gh) if needs[3] else None
    return wrap(grad_gi), wrap(carry_h), grad_w, grad_b


@gru_layer.onnx
def gru_layer(g, gi, h0, w_hh, b_hh, reverse=False):
    steps, size = g.shape(gi)[0], g.shape(h0)[1]
    w_t = g.op("Transpose", w_hh, perm=[1, 0])
    h, outs = h0, [None] * steps
    for t in _order(steps, reverse):
        x = g.op("Squeeze", g.op("Gather", gi, g.ints([t]), axis=0), g.ints([0]))
        x_rz, x_n = g.op("Split", x, g.ints([2 * size, size]), axis=1, outputs=2)
        h_rz, h_n = g.op("Split", g.op("Add", g.op("MatMul", h, w_t), b_hh),
                         g.ints([2 * size, size]), axis=1, outputs=2)
        r, z = g.op("Split", g.op("Sigmoid", g.op("Add", x_rz, h_rz)), g.ints([size, size]),
                    axis=1, outputs=2)
        n = g.op("Tanh", g.op("Add", x_n, g.op("Mul", r, h_n)))
        h = g.op("Add", g.op("Mul", g.op("Sub", h, n), z), n)
        outs[t] = g.op("Unsqueeze", h, g.ints([0]))
    return g.op("Concat", *outs, axis=0), h


def _array_or_zeros(grad, like, copy=False):
    if grad is None:
        return np.zeros(like.shape, like._data.dtype)
    return grad._data.copy() if copy else grad._data


def _bias_grad(grad_gates):
    """``sum_t sum_b grad_gates[t, b]``."""
    return wrap(column_sum(grad_gates.reshape(-1, grad_gates.shape[-1])))


def _weight_grad(grad_gates, outs, h0, reverse):
    """``sum_t grad_gates[t]^T @ h_{t-1}``: the state each step started from is the previous
    step's output (the next one's, in reverse), or ``h0`` for the first step."""
    steps, batch, gates = grad_gates.shape
    first, rest = (steps - 1, slice(0, steps - 1)) if reverse else (0, slice(1, steps))
    h_prev = outs[slice(1, steps)] if reverse else outs[slice(0, steps - 1)]
    grad_w = grad_gates[first].T @ h0
    if steps > 1:
        grad_w += grad_gates[rest].reshape(-1, gates).T @ h_prev.reshape(-1, h0.shape[1])
    return wrap(grad_w)


_addmm, _mm, _stack = TABLE["addmm"].fn, TABLE["mm"].fn, TABLE["stack"].fn


def _lstm_steps(gi, h0, c0, w_hh, bias, reverse):
    h, c, w_t, outs = h0, c0, w_hh.mT, []
    for t in _order(gi.shape[0], reverse):
        h, c, _ = lstm_cell(_addmm(gi[t] + bias, h, w_t), c)
        outs.append(h)
    return _stack(outs[::-1] if reverse else outs, 0), h, c


def _gru_steps(gi, h0, w_hh, b_hh, reverse):
    h, w_t, outs = h0, w_hh.mT, []
    for t in _order(gi.shape[0], reverse):
        h = gru_cell(gi[t], _addmm(b_hh, h, w_t), h)[0]
        outs.append(h)
    return _stack(outs[::-1] if reverse else outs, 0), h


def _composite_grads(ctx, steps, inputs, reverse, grads):
    """The inputs' gradients through the step-by-step twin of the layer, with a graph."""
    from ..autograd import grad as autograd_grad
    wanted = [x for x, need in zip(inputs, ctx.needs_input_grad) if need]
    outputs = steps(*inputs, reverse)
    pairs = [(o, g) for o, g in zip(outputs, grads) if g is not None]
    found = iter(autograd_grad([o for o, _ in pairs], wanted, [g for _, g in pairs],
                               create_graph=True, allow_unused=True))
    return tuple(next(found) if need else None for need in ctx.needs_input_grad)
