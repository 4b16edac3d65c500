"""Graph-mode forms of ops whose eager call costs more in checks and small NumPy passes than in
arithmetic at the sizes models feed them.

Eager cross-entropy over a batch of 128 x 10 logits is about fifteen NumPy calls (target
checks, a gather, masks, sums) and its derivative a dozen Ember ops: ~100 us each way
where the arithmetic is ~2 us. Inside a compiled region the call's form is known when the
graph is built (weights, smoothing, reduction, shapes), so the replayer can emit one
compiled loop per direction instead. `lower` says, for one node, which function replaces
its call; anything it doesn't recognise stays the op-table call. Results equal the eager
op's within float rounding (same log-softmax kernel, same exp).
"""
from __future__ import annotations

import numpy as np

from ..kernels import kernel
from ..kernels._math import exp
from ..kernels.softmax import softmax_rows
from .ir import Node, Value

_FLOATS = ("float32", "float64")


def lower(node: Node):
    """``(fn, extra)``: call ``fn(*operands, *extra)`` in place of ``node``'s op (its operands
    as in the graph; ``extra``, `Value`s or literals, replaces its plain arguments); or None."""
    if node.op != "cross_entropy_loss":
        return None
    if node.kind == "op":
        logits, target, rest = node.inputs[0], node.args[0], node.args[1:]
        fn = cross_entropy
    elif node.kind == "derivative" and node.inputs[3] is None:  # logp's gradient unused
        logits, target, rest = node.inputs[1], node.args[2], node.args[3:]
        fn = cross_entropy_grad
    else:
        return None
    if node.kwargs or len(rest) != 4:
        return None
    weight, ignore_index, smoothing, reduction = rest
    plain = (isinstance(logits, Value) and logits.dtype is not None
             and logits.dtype.name in _FLOATS and len(logits.shape) == 2
             and isinstance(target, Value) and target.dtype is not None
             and target.dtype.name == "int64" and len(target.shape) == 1
             and weight is None and type(ignore_index) is int and smoothing == 0.0
             and reduction in ("mean", "sum"))
    return (fn, (target, ignore_index, reduction == "mean")) if plain else None


def cross_entropy(logits: np.ndarray, target: np.ndarray, ignore_index: int, mean: bool):
    """``(loss, logp)`` of `ember.ops.loss.cross_entropy_loss` for 2-D logits and class
    indices ``target``, no weights or smoothing: one log-softmax pass and one pass over the
    targets."""
    logp = np.empty(logits.shape, logits.dtype)
    softmax_rows(np.ascontiguousarray(logits), logp, True, logits.dtype.itemsize == 8)
    total, kept, bad = _picked_sum(logp, target, ignore_index)
    if bad != _NO_BAD:
        raise IndexError(f"Target {bad} is out of bounds for {logits.shape[1]} classes.")
    loss = -total
    if mean:
        with np.errstate(invalid="ignore", divide="ignore"):  # every sample ignored: NaN
            loss = loss / logits.dtype.type(kept)
    return np.asarray(loss, logits.dtype), logp


def cross_entropy_grad(loss, logp: np.ndarray, grad: np.ndarray, grad_logp,
                       target: np.ndarray, ignore_index: int, mean: bool) -> tuple:
    """The logits' gradient of `cross_entropy`: ``grad * (softmax - onehot(target))`` per
    kept sample (over the kept count for 'mean'), zero for ignored ones."""
    out = np.empty(logp.shape, logp.dtype)
    _softmax_minus_onehot(logp, target, ignore_index, logp.dtype.type(grad), mean, out,
                          logp.dtype.itemsize == 8)
    return (out,)


_NO_BAD = np.iinfo(np.int64).min


@kernel()
def _picked_sum(logp, target, ignore_index):
    """(sum of logp[i, target[i]] over kept samples, their count, the first out-of-range
    target or ``_NO_BAD``)."""
    total = logp.dtype.type(0)
    kept = 0
    classes = logp.shape[1]
    for i in range(target.shape[0]):
        t = target[i]
        if t == ignore_index:
            continue
        if t < 0 or t >= classes:
            return total, kept, t
        total += logp[i, t]
        kept += 1
    return total, kept, _NO_BAD


@kernel()
def _softmax_minus_onehot(logp, target, ignore_index, grad, mean, out, precise):
    rows, classes = logp.shape
    scale = grad
    if mean:
        kept = 0
        for i in range(rows):
            if target[i] != ignore_index:
                kept += 1
        scale = grad / logp.dtype.type(kept)
    for i in range(rows):
        t = target[i]
        if t == ignore_index:
            for j in range(classes):
                out[i, j] = 0
            continue
        for j in range(classes):
            out[i, j] = scale * exp(logp[i, j], precise)
        out[i, t] -= scale
