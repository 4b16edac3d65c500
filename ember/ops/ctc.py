"""Connectionist temporal classification: the negative log-likelihood of label sequences
under per-frame class log-probabilities, summed over every alignment.

A target ``l`` of length S is extended with blanks to ``l' = (blank, l1, blank, ..., lS,
blank)`` of length 2S + 1. ``alpha[t, s]`` (log space) is the probability of all alignments
of ``l'[:s+1]`` with frames ``0..t``; it moves per frame from ``s``, ``s - 1``, or ``s - 2``
when ``l'[s]`` is a label differing from ``l'[s - 2]``. ``beta`` runs the same recursion
backwards in time. The loss is ``-log(alpha[T-1, L-1] + alpha[T-1, L-2])``; the posterior of
class c at frame t is ``sum_{s: l'[s]=c} exp(alpha + beta - logp + loss)``.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from .._tensor import wrap
from ._op import op

_NEG_INF = float("-inf")


def _extended(xp, targets, target_lengths, blank: int):
    """``l'`` for every sample (padded with blanks), and where a skip of two is allowed."""
    n, s = targets.shape
    ext = xp.full((n, 2 * s + 1), blank, dtype=xp.int64)
    ext[:, 1::2] = targets
    skip = xp.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


def _logaddexp3(xp, a, b, c):
    top = xp.maximum(xp.maximum(a, b), c)
    safe = xp.where(xp.isfinite(top), top, 0)
    return safe + xp.log(xp.exp(a - safe) + xp.exp(b - safe) + xp.exp(c - safe))


def _shift(xp, a, by: int):
    """``a`` moved ``by`` places along the last axis (+: right), filled with -inf."""
    out = xp.full_like(a, _NEG_INF)
    if by > 0:
        out[:, by:] = a[:, :-by]
    else:
        out[:, :by] = a[:, -by:]
    return out


def _frame_logp(xp, log_probs, ext):
    """``logp[t, n, l'[n, s]]`` as a (T, N, L) array."""
    return xp.take_along_axis(log_probs, xp.broadcast_to(ext[None], (log_probs.shape[0],)
                                                         + ext.shape), axis=2)


def _alpha(xp, lp_ext, skip, input_lengths, ext_lengths):
    t_max, n, length = lp_ext.shape
    alpha = xp.full((t_max, n, length), _NEG_INF, dtype=lp_ext.dtype)
    alpha[0, :, 0] = lp_ext[0, :, 0]
    alpha[0, :, 1] = xp.where(ext_lengths > 1, lp_ext[0, :, 1], _NEG_INF)
    for t in range(1, t_max):
        prev = alpha[t - 1]
        two_back = xp.where(skip, _shift(xp, prev, 2), _NEG_INF)
        alpha[t] = lp_ext[t] + _logaddexp3(xp, prev, _shift(xp, prev, 1), two_back)
    last = alpha[input_lengths - 1, xp.arange(n)]
    ends = xp.stack([xp.take_along_axis(last, (ext_lengths - 1)[:, None], 1)[:, 0],
                     xp.take_along_axis(last, xp.maximum(ext_lengths - 2, 0)[:, None], 1)[:, 0]])
    ends[1] = xp.where(ext_lengths > 1, ends[1], _NEG_INF)
    return alpha, -xp.logaddexp(ends[0], ends[1])


def _beta(xp, lp_ext, skip, input_lengths, ext_lengths):
    t_max, n, length = lp_ext.shape
    beta = xp.full((t_max, n, length), _NEG_INF, dtype=lp_ext.dtype)
    rows = xp.arange(n)
    skip_ahead = _shift(xp, skip.astype(lp_ext.dtype), -2) > 0  # may l'[s] jump to l'[s+2]?
    for t in range(t_max - 1, -1, -1):
        if t < t_max - 1:
            nxt = beta[t + 1]
            two_ahead = xp.where(skip_ahead, _shift(xp, nxt, -2), _NEG_INF)
            beta[t] = lp_ext[t] + _logaddexp3(xp, nxt, _shift(xp, nxt, -1), two_ahead)
        ending = input_lengths - 1 == t  # the samples whose last frame is t start here
        if ending.any():
            start = xp.full((n, length), _NEG_INF, dtype=lp_ext.dtype)
            start[rows, ext_lengths - 1] = lp_ext[t, rows, ext_lengths - 1]
            two = ext_lengths > 1
            start[rows[two], ext_lengths[two] - 2] = lp_ext[t, rows[two], ext_lengths[two] - 2]
            beta[t] = xp.where(ending[:, None], start, beta[t])
    return beta


@op(save=(0,), stash=True, method=False, function=False)
def ctc_loss(xp, log_probs, targets, input_lengths, target_lengths, blank=0,
             zero_infinity=False):
    """Per-sample CTC loss of ``log_probs`` (T, N, C) against padded ``targets`` (N, S)."""
    ext, skip = _extended(xp, targets._data, xp.asarray(target_lengths), blank)
    inputs = xp.asarray(input_lengths, dtype=xp.int64)
    ext_lengths = 2 * xp.asarray(target_lengths, dtype=xp.int64) + 1
    lp_ext = _frame_logp(xp, log_probs, ext)
    alpha, loss = _alpha(xp, lp_ext, skip, inputs, ext_lengths)
    infinite = xp.isinf(loss)
    if zero_infinity:
        loss = xp.where(infinite, 0, loss)
    return loss.astype(log_probs.dtype), (alpha, loss, ext, skip, infinite)


@ctc_loss.derivative
def ctc_loss(ctx, grad, targets, input_lengths, target_lengths, blank=0, zero_infinity=False):
    # PyTorch's gradient, which assumes log_probs come from a log_softmax: it includes
    # exp(logp), a term that the log_softmax's own derivative then cancels.
    (log_probs,) = ctx.saved_tensors
    alpha, loss, ext, skip, infinite = ctx.stash
    lp = log_probs.detach()._data
    xp = backend.xp_of(lp)
    inputs = xp.asarray(input_lengths, dtype=xp.int64)
    ext_lengths = 2 * xp.asarray(target_lengths, dtype=xp.int64) + 1
    lp_ext = _frame_logp(xp, lp, ext)
    beta = _beta(xp, lp_ext, skip, inputs, ext_lengths)
    with np.errstate(invalid="ignore"):  # -inf - -inf where no alignment passes
        posterior_ext = xp.exp(alpha + beta - lp_ext + loss[None, :, None])
    posterior = xp.zeros_like(lp)
    t_max, n, length = lp_ext.shape
    for s in range(length):  # classes repeat within l': sum their posteriors
        xp.add.at(posterior, (slice(None), xp.arange(n), ext[:, s]), posterior_ext[:, :, s])
    frame_grad = xp.exp(lp) - posterior
    live = xp.arange(t_max)[:, None] < inputs[None, :]
    frame_grad = xp.where(live[:, :, None], frame_grad, 0)
    if zero_infinity:
        frame_grad = xp.where(infinite[None, :, None], 0, frame_grad)
    frame_grad = xp.nan_to_num(frame_grad, nan=0.0).astype(lp.dtype)
    return wrap(frame_grad) * grad.reshape(1, -1, 1)

