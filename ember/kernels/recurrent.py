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
def lstm_gate_inputs(gi, recurrent, scale, act):
    """``act = scale * (gi + recurrent)``: the gates' pre-activations (batch, 4 * hidden),
    the sigmoid gates' halved by ``scale`` so that one ``tanh`` serves all four."""
    batch, width = act.shape
    for b in range(batch):
        for j in range(width):
            act[b, j] = scale[j] * (gi[b, j] + recurrent[b, j])


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
def lstm_backward_step(grad_h, carry_h, carry_c, act, c_prev, tanh_c, grad_gates):
    """From the gradient reaching ``h_t`` (``grad_h + carry_h``, left in ``carry_h``) and
    ``c_t`` (``carry_c``), write the gradient of the gates' pre-activations (i, f, g, o)
    into ``grad_gates`` and the gradient reaching ``c_{t-1}`` into ``carry_c``."""
    batch, size = carry_c.shape
    one = act.dtype.type(1)
    for b in range(batch):
        i, f = act[b, :size], act[b, size:2 * size]
        g, o = act[b, 2 * size:3 * size], act[b, 3 * size:]
        d_i, d_f = grad_gates[b, :size], grad_gates[b, size:2 * size]
        d_g, d_o = grad_gates[b, 2 * size:3 * size], grad_gates[b, 3 * size:]
        dh, dc, tc, c_prev_b, grad_h_b = carry_h[b], carry_c[b], tanh_c[b], c_prev[b], grad_h[b]
        for j in range(size):
            dh[j] += grad_h_b[j]
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


@kernel()
def gru_backward_step(grad_h, carry_h, rz, n, gh_n, h_prev, grad_gi, grad_gh):
    """From the gradient reaching ``h_t`` (``grad_h + carry_h``), write the gradients of the
    input's and the hidden state's projections (r, z, n) and, into ``carry_h``, the part of
    the gradient of ``h_{t-1}`` that does not go through ``W_hh``."""
    batch, size = n.shape
    for b in range(batch):
        for j in range(size):
            dh = grad_h[b, j] + carry_h[b, j]
            r = rz[b, j]
            z = rz[b, size + j]
            nj = n[b, j]
            dn = dh * (1 - z) * (1 - nj * nj)
            dz = dh * (h_prev[b, j] - nj) * z * (1 - z)
            dr = dn * gh_n[b, j] * r * (1 - r)
            grad_gi[b, j] = dr
            grad_gi[b, size + j] = dz
            grad_gi[b, 2 * size + j] = dn
            grad_gh[b, j] = dr
            grad_gh[b, size + j] = dz
            grad_gh[b, 2 * size + j] = dn * r
            carry_h[b, j] = dh * z
