"""The fused LSTM cell: gates to new states in one op (the recurrent layers' hot loop).

An LSTM step is a dozen small elementwise ops on (batch, hidden) arrays, so per-op
bookkeeping, not arithmetic, sets its cost; fused, the forward is one op. The op also returns
the activated gates ``act = [sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)]``, which its
derivative reuses; having them as an output (rather than a private stash) keeps gradients
of gradients exact, since anything downstream of ``act`` is differentiated through this op.
"""
from __future__ import annotations

from ._op import op
from .join import cat
from .transcendental import _sigmoid


@op(nin=2, n_outputs=3, save=(1,), save_output=True, method=False, function=False)
def lstm_cell(xp, gates, c):
    """One LSTM step from its pre-activation ``gates`` (batch, 4 * hidden), stacked in
    PyTorch's order i, f, g, o, and the cell state ``c``: returns ``(h, c_new, act)``."""
    if gates.ndim != 2 or c.ndim != 2 or gates.shape != (c.shape[0], 4 * c.shape[1]):
        raise RuntimeError(f"lstm_cell: expected gates of shape (batch, 4 * hidden) and a cell "
                           f"state (batch, hidden), got {list(gates.shape)} and "
                           f"{list(c.shape)}")
    size = c.shape[1]
    act = _sigmoid(xp, gates)
    act[:, 2 * size:3 * size] = xp.tanh(gates[:, 2 * size:3 * size])
    i, f, g, o = (act[:, k * size:(k + 1) * size] for k in range(4))
    c_new = f * c + i * g
    h = o * xp.tanh(c_new)
    return h, c_new, act


@lstm_cell.derivative
def lstm_cell(ctx, grad_h, grad_c, grad_act):
    c, h, c_new, act = ctx.saved_tensors
    i, f, g, o = act.chunk(4, 1)
    tanh_c = c_new.tanh()
    grad_h = grad_h if grad_h is not None else h.new_zeros(h.shape)
    through_h = grad_h * o * (1 - tanh_c * tanh_c)
    grad_c = through_h if grad_c is None else grad_c + through_h
    grad_act_total = cat((grad_c * g, grad_c * c, grad_c * i, grad_h * tanh_c), 1)
    if grad_act is not None:
        grad_act_total = grad_act_total + grad_act
    sig_i, sig_f, _, sig_o = (act * (1 - act)).chunk(4, 1)
    d_i, d_f, d_g, d_o = grad_act_total.chunk(4, 1)
    grad_gates = cat((d_i * sig_i, d_f * sig_f, d_g * (1 - g * g), d_o * sig_o), 1)
    return grad_gates, grad_c * f


@lstm_cell.onnx
def lstm_cell(g, gates, c):
    size = g.shape(c)[1]
    i, f, cell, o = g.op("Split", gates, g.ints([size] * 4), axis=1, outputs=4)
    c_new = g.op("Add", g.op("Mul", g.op("Sigmoid", f), c),
                 g.op("Mul", g.op("Sigmoid", i), g.op("Tanh", cell)))
    return g.op("Mul", g.op("Sigmoid", o), g.op("Tanh", c_new)), c_new, None


@op(nin=3, n_outputs=3, save=(1, 2), save_output=True, method=False, function=False)
def gru_cell(xp, gi, gh, h):
    """One GRU step from the input's and the hidden state's projections ``gi`` and ``gh``
    (batch, 3 * hidden; gates r, z, n, biases included) and the state ``h``: returns
    ``(h_new, rz, n)`` with ``rz`` the activated reset and update gates."""
    if gi.ndim != 2 or gi.shape != gh.shape or gi.shape != (h.shape[0], 3 * h.shape[1]):
        raise RuntimeError(f"gru_cell: expected projections of shape (batch, 3 * hidden) and a "
                           f"state (batch, hidden), got {list(gi.shape)}, {list(gh.shape)} "
                           f"and {list(h.shape)}")
    size = h.shape[1]
    rz = _sigmoid(xp, gi[:, :2 * size] + gh[:, :2 * size])
    # the reset gate scales the hidden projection *with* its bias b_hn (PyTorch's GRU)
    n = xp.tanh(gi[:, 2 * size:] + rz[:, :size] * gh[:, 2 * size:])
    return n + rz[:, size:] * (h - n), rz, n


@gru_cell.derivative
def gru_cell(ctx, grad_h, grad_rz, grad_n):
    gh, h, _, rz, n = ctx.saved_tensors
    r, z = rz.chunk(2, 1)
    grad_h = grad_h if grad_h is not None else h.new_zeros(h.shape)
    grad_n_total = grad_h * (1 - z)
    if grad_n is not None:
        grad_n_total = grad_n_total + grad_n
    grad_n_pre = grad_n_total * (1 - n * n)
    gh_rz, gh_n = gh.split([2 * h.shape[1], h.shape[1]], 1)
    grad_rz_total = cat((grad_n_pre * gh_n, grad_h * (h - n)), 1)
    if grad_rz is not None:
        grad_rz_total = grad_rz_total + grad_rz
    grad_rz_pre = grad_rz_total * (rz * (1 - rz))
    return (cat((grad_rz_pre, grad_n_pre), 1), cat((grad_rz_pre, grad_n_pre * r), 1),
            grad_h * z)
