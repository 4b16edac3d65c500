"""Graph-mode forms of ops whose eager call costs more in checks and small NumPy passes than in
arithmetic at the sizes models feed them.

The derivative of eager cross-entropy over a batch of 128 x 10 logits spreads the gradient
over the targets with a dozen Ember ops (~100 us where the arithmetic is ~2 us). Inside a
compiled region the call's form is known when the graph is built (weights, smoothing,
reduction, shapes), so the replayer runs the same kernels and the same arithmetic on arrays,
without dispatch. `lower` says, for one node, which function replaces its call; anything it
doesn't recognise stays the op-table call. Results equal the eager op's bit for bit.
"""
from __future__ import annotations

import numpy as np

from .._tensor import wrap
from ..kernels import activation
from ..kernels.loss import cross_entropy_backward, softmax_lse
from ..ops.loss import _nll
from .ir import Node, Value

_FLOATS = ("float32", "float64")


def lower(node: Node):
    """``(fn, extra)``: call ``fn(*operands, *extra)`` in place of ``node``'s op (its operands
    as in the graph; ``extra``, `Value`s or literals, replaces its plain arguments); or None."""
    if node.op == "relu" and node.kind == "derivative":
        return _lower_relu_grad(node)
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


def _lower_relu_grad(node: Node):
    # The eager derivative's first-order kernel, called on arrays: a derivative computed
    # outside the op table is a node the replayer would otherwise run through the engine.
    if len(node.inputs) != 2:
        return None
    output, grad = node.inputs
    if (isinstance(output, Value) and isinstance(grad, Value) and output.shape == grad.shape
            and output.dtype is not None and output.dtype == grad.dtype
            and output.dtype.name in _FLOATS):
        return relu_grad, ()
    return None


def relu_grad(output: np.ndarray, grad: np.ndarray) -> tuple:
    """ReLU's gradient from its output: ``grad`` where the output isn't <= 0, else 0."""
    return (activation.elementwise(activation.relu_backward, grad, output),)


def cross_entropy(logits: np.ndarray, target: np.ndarray, ignore_index: int, mean: bool):
    """``(loss, p)`` of `ember.ops.loss.cross_entropy_loss` for 2-D logits and class indices
    ``target``, no weights or smoothing: the eager op's kernel and loss, without its dispatch."""
    p, lse = softmax_lse(logits, 1)
    loss = _nll(np, logits, wrap(target), None, ignore_index, 0.0,
                "mean" if mean else "sum", lse)
    return np.asarray(loss, logits.dtype), p


def cross_entropy_grad(loss, p: np.ndarray, grad: np.ndarray, grad_p,
                       target: np.ndarray, ignore_index: int, mean: bool) -> tuple:
    """The logits' gradient of `cross_entropy`: ``grad * (p - onehot(target))`` per kept
    sample (over the kept count for 'mean'), zero for ignored ones; computed as the eager
    derivative computes it, so that the two agree bit for bit."""
    ignored = target == ignore_index
    kept = (~ignored).astype(p.dtype)
    scale = np.where(ignored, 0, (grad / kept.sum() if mean else grad) * kept)
    return (cross_entropy_backward(p, np.where(ignored, 0, target), scale, 1),)
