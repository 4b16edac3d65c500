"""The arithmetic of one LSTM or GRU step as one pass over the (batch, hidden) state.

The transcendentals stay in NumPy (its float32 ``tanh`` is vectorized; Numba's calls libm
one element at a time, ~5x slower here), but what surrounds them is only products and sums:
a dozen NumPy passes with their temporaries become one loop.
"""
from __future__ import annotations

from . import kernel


@kernel()
def lstm_forward_step(act, c_prev, c):
    """``act`` holds ``tanh`` of the gates' pre-activations, halved for the sigmoid gates
    i, f, o (``sigmoid(x) = (1 + tanh(x / 2)) / 2``): finish the activations in place and
    write the new cell state ``c = f * c_prev + i * g``."""
    batch, size = c.shape
    for b in range(batch):
        for j in range(size):
            i = 0.5 * act[b, j] + 0.5
            f = 0.5 * act[b, size + j] + 0.5
            o = 0.5 * act[b, 3 * size + j] + 0.5
            act[b, j] = i
            act[b, size + j] = f
            act[b, 3 * size + j] = o
            c[b, j] = f * c_prev[b, j] + i * act[b, 2 * size + j]


@kernel()
def lstm_backward_step(grad_h, carry_h, carry_c, act, c_prev, tanh_c, grad_gates):
    """From the gradient reaching ``h_t`` (``grad_h + carry_h``) and ``c_t`` (``carry_c``),
    write the gradient of the gates' pre-activations (i, f, g, o) into ``grad_gates`` and
    the gradient reaching ``c_{t-1}`` into ``carry_c``."""
    batch, size = carry_c.shape
    for b in range(batch):
        for j in range(size):
            dh = grad_h[b, j] + carry_h[b, j]
            i = act[b, j]
            f = act[b, size + j]
            g = act[b, 2 * size + j]
            o = act[b, 3 * size + j]
            tc = tanh_c[b, j]
            dc = carry_c[b, j] + dh * o * (1 - tc * tc)
            grad_gates[b, j] = dc * g * i * (1 - i)
            grad_gates[b, size + j] = dc * c_prev[b, j] * f * (1 - f)
            grad_gates[b, 2 * size + j] = dc * i * (1 - g * g)
            grad_gates[b, 3 * size + j] = dh * tc * o * (1 - o)
            carry_c[b, j] = dc * f


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
