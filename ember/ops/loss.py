"""Fused losses over class scores: ``nll_loss`` and ``cross_entropy_loss``.

Both are written through one target distribution ``q``: a sample with class ``t`` (not
ignored) puts ``(1 - eps) * w[t]`` on ``t`` and ``eps / C * w[c]`` on every class ``c``
(label smoothing ``eps``, class weights ``w``, all ones by default); an ignored sample puts
nothing anywhere. The loss of a sample is ``-sum_c q_c * logp_c``. With ``s = sum_c q_c``,
the gradient of that loss with respect to logits is ``s * softmax - q``.

'mean' divides by the summed weight ``sum_i w[t_i]`` of the kept samples, as PyTorch does.
"""
from __future__ import annotations

import numpy as np

from .._creation import zeros
from .._tensor import Tensor, wrap
from ..autograd.grad_mode import STATE
from ..kernels import loss as kernels
from ._op import op


def _checked_target(xp, target: Tensor, classes: int, ignore_index: int):
    """The class indices with ignored ones replaced by 0, and the mask of ignored samples."""
    t = target._data
    ignored = t == ignore_index
    safe = xp.where(ignored, 0, t)
    if safe.size:
        low, high = int(safe.min()), int(safe.max())
        if low < 0 or high >= classes:
            raise IndexError(f"Target {high if high >= classes else low} is out of bounds "
                             f"for {classes} classes.")
    return safe, ignored


def _nll(xp, logp, target, weight, ignore_index, eps, reduction, lse=None):
    """The loss of log-probabilities ``logp`` (classes on dim 1; dim 0 for one sample), or
    with ``lse`` (logp's shape without the class dim) of ``logp - lse``."""
    dim = 1 if logp.ndim > 1 else 0
    classes = logp.shape[dim]
    safe, ignored = _checked_target(xp, target, classes, ignore_index)
    picked = xp.take_along_axis(logp, xp.expand_dims(safe, dim), dim).squeeze(dim)
    if lse is not None:
        picked = picked - lse
    kept = ~ignored
    w_target = kept.astype(logp.dtype) if weight is None else weight._data[safe] * kept
    loss = -(1.0 - eps) * w_target * picked if eps else -w_target * picked
    if eps:
        class_w = 1 if weight is None else _class_view(weight._data, logp.ndim)
        smoothed = (class_w * logp).sum(axis=dim)
        if lse is not None:
            smoothed = smoothed - lse * (classes if weight is None else weight._data.sum())
        loss = loss - (eps / classes) * smoothed * kept
    if reduction == "mean":
        return loss.sum() / w_target.sum()
    if reduction == "sum":
        return loss.sum()
    return loss


def _class_view(w, ndim: int):
    """Per-class weights shaped to broadcast against scores with classes on dim 1."""
    return w.reshape((1, -1) + (1,) * (ndim - 2)) if ndim > 1 else w


def _target_grads(grad, target, weight, ignore_index, eps, reduction, dim):
    """``grad`` spread over the target distribution ``q``: ``(index, on_target, on_every)``,
    each sample's target class (0 where ignored) unsqueezed at ``dim`` for a scatter, and the
    amounts ``q`` puts on it and (times the class weight, over the class count) on every
    class; ``on_every`` is None without label smoothing."""
    ignored = target == ignore_index
    kept = ignored.logical_not().to(grad.dtype)
    safe = target.masked_fill(ignored, 0)
    w_target = kept if weight is None else weight[safe] * kept
    if reduction == "mean":
        grad = grad / w_target.sum()
    index = safe.unsqueeze(dim)
    if not eps:
        return index, grad * w_target, None
    return index, grad * w_target * (1.0 - eps), grad * kept * eps


@op(save_output=True, n_outputs=2, method=False, function=False)
def cross_entropy_loss(xp, x, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                       reduction="mean"):
    """Cross-entropy of logits ``x`` against class indices ``target``, returned with the
    softmax probabilities it computed on the way (the derivative reuses them)."""
    dim = 1 if x.ndim > 1 else 0
    dtype = x.dtype
    if xp is np:
        # half precisions compute in single and round back, as PyTorch's CPU kernels do
        x = x if dtype in _KERNEL_DTYPES else x.astype(np.float32)
        p, lse = kernels.softmax_lse(x, dim)
    else:
        top = x.max(axis=dim, keepdims=True)
        e = xp.exp(x - top)
        total = e.sum(axis=dim, keepdims=True)
        p, lse = e / total, (top + xp.log(total)).squeeze(dim)
    loss = _nll(xp, x, target, weight, ignore_index, label_smoothing, reduction, lse)
    return loss.astype(dtype, copy=False), p.astype(dtype, copy=False)


@cross_entropy_loss.derivative
def cross_entropy_loss(ctx, grad, grad_p, target, weight=None, ignore_index=-100,
                       label_smoothing=0.0, reduction="mean"):
    _, p = ctx.saved_tensors
    dim = 1 if p.dim() > 1 else 0
    if (grad is not None and grad_p is None and not label_smoothing
            and not STATE.grad_enabled and type(p._data) is np.ndarray
            and p._data.dtype in _KERNEL_DTYPES):  # first order: one kernel pass
        index, on_target, _ = _target_grads(grad, target, weight, ignore_index, 0.0,
                                            reduction, dim)
        return wrap(kernels.cross_entropy_backward(p._data, index._data, on_target._data, dim))
    out = None
    if grad is not None:
        classes = p.shape[dim]
        index, on_target, on_every = _target_grads(grad, target, weight, ignore_index,
                                                   label_smoothing, reduction, dim)
        total = on_target
        if on_every is not None:
            on_every = on_every / classes
            total = total + on_every * (classes if weight is None else weight.sum())
        out = (p * total.unsqueeze(dim)).scatter_add(dim, index, -on_target.unsqueeze(dim))
        if on_every is not None:
            out = out - _per_class(on_every.unsqueeze(dim), weight, p.dim())
    if grad_p is not None:  # the probabilities were used too
        g = p * (grad_p - (grad_p * p).sum(dim, keepdim=True))
        out = g if out is None else out + g
    return out


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _per_class(amount, weight, ndim):
    return amount if weight is None else amount * _class_view(weight, ndim)


@op(method=False, function=False)
def nll_loss(xp, logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of class indices ``target`` under log-probabilities."""
    return _nll(xp, logp, target, weight, ignore_index, 0.0, reduction)


@nll_loss.derivative
def nll_loss(ctx, grad, target, weight=None, ignore_index=-100, reduction="mean"):
    shape = ctx.shapes[0]
    dim = 1 if len(shape) > 1 else 0
    index, on_target, _ = _target_grads(grad, target, weight, ignore_index, 0.0, reduction, dim)
    base = zeros(shape, dtype=grad.dtype, device=grad.device)
    return base.scatter_add(dim, index, -on_target.unsqueeze(dim))


# Where a probability is exactly 0 or 1 the logs are clamped at -100 (the loss stays finite)
# and the product x(1 - x) dividing the gradient at 1e-12, PyTorch's choices.
_LOG_FLOOR = -100.0
_EPSILON = 1e-12


@op(nin=2, promote="common", save=(0, 1), elementwise=True, method=False, function=False)
def binary_cross_entropy(xp, x, y):
    """``-(y log x + (1 - y) log(1 - x))`` for probabilities ``x``, elementwise."""
    log_x = xp.maximum(xp.log(x), _LOG_FLOOR)
    log_not_x = xp.maximum(xp.log1p(-x), _LOG_FLOOR)
    return -(y * log_x + (1 - y) * log_not_x)


@binary_cross_entropy.derivative
def binary_cross_entropy(ctx, grad):
    x, y = ctx.saved_tensors
    grad_x = grad_y = None
    if ctx.needs_input_grad[0]:
        grad_x = grad * (x - y) / ((1 - x) * x).clamp_min(_EPSILON)
    if ctx.needs_input_grad[1]:
        grad_y = grad * ((-x).log1p() - x.log())
    return grad_x, grad_y
