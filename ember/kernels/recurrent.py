"""The arithmetic of one LSTM or GRU step as one pass over the (batch, hidden) state.

Around each step's recurrent product (BLAS) everything is elementwise: the gates' sums,
their activations, the cell and the new state. NumPy makes a pass and often a temporary per
term; here each step is one loop, its transcendentals the polynomials of `_math` in single
precision (vectorized; libm's in double precision).
"""
from __future__ import annotations

from . import kernel
from ._math import sigmoid, tanh


@kernel()
def lstm_forward_step(gi, recurrent, c_prev, act, c, tanh_c, h, precise):
    """From the input's and the state's shares of the gates' pre-activations (``gi``,
    ``recurrent``: batch, 4 * hidden; gates i, f, g, o), write the activated gates ``act``,
    the cell state ``c = f * c_prev + i * g``, its ``tanh`` and ``h = o * tanh(c)``."""
    batch, size = c.shape
    for b in range(batch):
        for j in range(size):
            i = sigmoid(gi[b, j] + recurrent[b, j], precise)
            f = sigmoid(gi[b, size + j] + recurrent[b, size + j], precise)
            g = tanh(gi[b, 2 * size + j] + recurrent[b, 2 * size + j], precise)
            o = sigmoid(gi[b, 3 * size + j] + recurrent[b, 3 * size + j], precise)
            act[b, j] = i
            act[b, size + j] = f
            act[b, 2 * size + j] = g
            act[b, 3 * size + j] = o
            cell = f * c_prev[b, j] + i * g
            c[b, j] = cell
            tc = tanh(cell, precise)
            tanh_c[b, j] = tc
            h[b, j] = o * tc


@kernel()
def gru_forward_step(gi, gh, b_hh, h_prev, rz, n, h, precise):
    """From the input's projection ``gi`` and the state's ``gh`` (batch, 3 * hidden; gates
    r, z, n), add ``b_hh`` to ``gh`` in place and write the activated gates ``rz``, the
    candidate ``n = tanh(gi_n + r * gh_n)`` and ``h = (h_prev - n) * z + n``."""
    batch, size = h.shape
    for b in range(batch):
        for j in range(size):
            gh_r = gh[b, j] + b_hh[j]
            gh_z = gh[b, size + j] + b_hh[size + j]
            gh_n = gh[b, 2 * size + j] + b_hh[2 * size + j]
            gh[b, j] = gh_r
            gh[b, size + j] = gh_z
            gh[b, 2 * size + j] = gh_n
            r = sigmoid(gi[b, j] + gh_r, precise)
            z = sigmoid(gi[b, size + j] + gh_z, precise)
            rz[b, j] = r
            rz[b, size + j] = z
            candidate = tanh(gi[b, 2 * size + j] + r * gh_n, precise)
            n[b, j] = candidate
            h[b, j] = (h_prev[b, j] - candidate) * z + candidate


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
