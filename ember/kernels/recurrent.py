"""The arithmetic of one LSTM or GRU step as one pass over the (batch, hidden) state.

The gates' ``tanh`` stays in NumPy (its float32 ``tanh`` is vectorized and 2x faster than
the polynomial of `_math`), but what surrounds it is only products and sums: a dozen NumPy
passes with their temporaries become a compiled loop on each side of it.

Each loop runs over one row of one gate at a time, indexed from 0: LLVM vectorizes those,
while a loop that reads ``act[b, size + j]`` and writes ``act[b, j]`` (the gates of one cell
side by side) it leaves scalar, ~4x slower. Constants are the arrays' dtype (a bare ``1``
beside float32 computes in float64).
"""
from __future__ import annotations

from . import kernel
from ._math import tanh


@kernel(fastmath={"contract"})
def lstm_gate_inputs(gi, recurrent_t, bias, scale, act):
    """``act = scale * (gi + recurrent_t.T + bias)``: the gates' pre-activations (batch,
    4 * hidden), the sigmoid gates' halved by ``scale`` so that one ``tanh`` serves all
    four. The state's share comes transposed (4 * hidden, batch): BLAS forms
    ``W_hh @ h.T`` 1.4x faster than ``h @ W_hh.T`` at (800, 200) x (200, 20), even from a
    contiguous copy of ``W_hh.T``."""
    batch, width = act.shape
    for j in range(width):
        scale_j, bias_j = scale[j], bias[j]
        for b in range(batch):
            act[b, j] = scale_j * (gi[b, j] + recurrent_t[j, b] + bias_j)


@kernel(fastmath={"contract"})
def lstm_forward_step(act, c_prev, c, tanh_c, h, precise):
    """``act`` holds ``tanh`` of the gates' pre-activations, halved for the sigmoid gates
    i, f, o (``sigmoid(x) = (1 + tanh(x / 2)) / 2``): finish the activations in place and
    write the cell state ``c = f * c_prev + i * g``, its ``tanh`` and ``h = o * tanh(c)``."""
    batch, size = c.shape
    half = act.dtype.type(0.5)
    for b in range(batch):
        i, f = act[b, :size], act[b, size:2 * size]
        g, o = act[b, 2 * size:3 * size], act[b, 3 * size:]
        c_b, tanh_c_b, h_b, c_prev_b = c[b], tanh_c[b], h[b], c_prev[b]
        for j in range(size):
            i[j] = half * i[j] + half
        for j in range(size):
            f[j] = half * f[j] + half
        for j in range(size):
            o[j] = half * o[j] + half
        for j in range(size):
            c_b[j] = f[j] * c_prev_b[j] + i[j] * g[j]
        for j in range(size):
            tanh_c_b[j] = tanh(c_b[j], precise)
        for j in range(size):
            h_b[j] = o[j] * tanh_c_b[j]


@kernel(fastmath={"contract"})
def lstm_backward_step(grad_h, carry_h_t, carry_c, act, c_prev, tanh_c, grad_gates, total_h):
    """From the gradient reaching ``h_t`` (``grad_h + carry_h_t.T``, written to ``total_h``;
    the part through ``W_hh`` comes transposed, as `lstm_gate_inputs`'s product) and ``c_t``
    (``carry_c``), write the gradient of the gates' pre-activations (i, f, g, o) into
    ``grad_gates`` and the gradient reaching ``c_{t-1}`` into ``carry_c``."""
    batch, size = carry_c.shape
    one = act.dtype.type(1)
    for j in range(size):
        for b in range(batch):
            total_h[b, j] = grad_h[b, j] + carry_h_t[j, b]
    for b in range(batch):
        i, f = act[b, :size], act[b, size:2 * size]
        g, o = act[b, 2 * size:3 * size], act[b, 3 * size:]
        d_i, d_f = grad_gates[b, :size], grad_gates[b, size:2 * size]
        d_g, d_o = grad_gates[b, 2 * size:3 * size], grad_gates[b, 3 * size:]
        dh, dc, tc, c_prev_b = total_h[b], carry_c[b], tanh_c[b], c_prev[b]
        for j in range(size):
            dc[j] += dh[j] * o[j] * (one - tc[j] * tc[j])
        for j in range(size):
            d_o[j] = dh[j] * tc[j] * o[j] * (one - o[j])
        for j in range(size):
            d_i[j] = dc[j] * g[j] * i[j] * (one - i[j])
        for j in range(size):
            d_f[j] = dc[j] * c_prev_b[j] * f[j] * (one - f[j])
        for j in range(size):
            d_g[j] = dc[j] * i[j] * (one - g[j] * g[j])
        for j in range(size):
            dc[j] *= f[j]


@kernel(fastmath={"contract"})
def gru_gate_inputs(gi, gh, b_hh, rz):
    """Add ``b_hh`` to the state's projection ``gh`` (batch, 3 * hidden; gates r, z, n) in
    place and write the reset and update gates' pre-activations, halved, into ``rz``."""
    batch, width = rz.shape
    half = rz.dtype.type(0.5)
    for b in range(batch):
        gh_b, gi_b, rz_b = gh[b], gi[b], rz[b]
        for j in range(gh_b.size):
            gh_b[j] += b_hh[j]
        for j in range(width):
            rz_b[j] = half * (gi_b[j] + gh_b[j])


@kernel(fastmath={"contract"})
def gru_forward_step(gi, gh, rz, h_prev, n, h, precise):
    """``rz`` holds ``tanh`` of the halved r and z pre-activations: finish them as sigmoids
    in place, write the candidate ``n = tanh(gi_n + r * gh_n)`` (the reset gate scales the
    hidden projection *with* its bias, as PyTorch's GRU) and ``h = (h_prev - n) * z + n``."""
    batch, size = h.shape
    half = rz.dtype.type(0.5)
    for b in range(batch):
        r, z, n_b, h_b, h_prev_b = rz[b, :size], rz[b, size:], n[b], h[b], h_prev[b]
        gi_n, gh_n = gi[b, 2 * size:], gh[b, 2 * size:]
        for j in range(2 * size):
            rz[b, j] = half * rz[b, j] + half
        for j in range(size):
            n_b[j] = tanh(gi_n[j] + r[j] * gh_n[j], precise)
        for j in range(size):
            h_b[j] = (h_prev_b[j] - n_b[j]) * z[j] + n_b[j]


@kernel(fastmath={"contract"})
def gru_backward_step(grad_h, carry_h, rz, n, gh, h_prev, grad_gi, grad_gh):
    """From the gradient reaching ``h_t`` (``grad_h + carry_h``), write the gradients of the
    input's and the hidden state's projections (r, z, n) and, into ``carry_h``, the part of
    the gradient of ``h_{t-1}`` that does not go through ``W_hh``. ``gh`` is the step's
    hidden projection with its bias."""
    batch, size = n.shape
    one = n.dtype.type(1)
    for b in range(batch):
        r, z, n_b, gh_n = rz[b, :size], rz[b, size:], n[b], gh[b, 2 * size:]
        d_r, d_z, d_n = grad_gi[b, :size], grad_gi[b, size:2 * size], grad_gi[b, 2 * size:]
        dh, grad_h_b, h_prev_b = carry_h[b], grad_h[b], h_prev[b]
        grad_gh_rz, grad_gh_n = grad_gh[b, :2 * size], grad_gh[b, 2 * size:]
        for j in range(size):
            dh[j] += grad_h_b[j]
        for j in range(size):
            d_n[j] = dh[j] * (one - z[j]) * (one - n_b[j] * n_b[j])
        for j in range(size):
            d_z[j] = dh[j] * (h_prev_b[j] - n_b[j]) * z[j] * (one - z[j])
        for j in range(size):
            d_r[j] = d_n[j] * gh_n[j] * r[j] * (one - r[j])
        for j in range(2 * size):
            grad_gh_rz[j] = grad_gi[b, j]
        for j in range(size):
            grad_gh_n[j] = d_n[j] * r[j]
        for j in range(size):
            dh[j] *= z[j]
