"""Fused normalization layers: `batch_norm` (batch statistics) and `layer_norm`.

Both normalize ``x`` to ``xhat = (x - mean) * rstd`` over some axes and apply an affine map;
each is one op whose forward makes the few passes the math needs, with a derivative written
with Ember ops (so gradients of gradients work). With ``m`` elements per statistic and
``gxhat`` the gradient reaching ``xhat``:

    dx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))

Other normalizations (group, instance, RMS, local response, batch norm with running
statistics) are composed in `nn.functional` from these and from primitives.
"""
from __future__ import annotations

import math

import numpy as np

from .._tensor import wrap
from ..kernels import norm as kernels
from ..autograd.grad_mode import STATE
from ..kernels import batchnorm as _kernels
from ._op import op


def _centered(xp, x, stats_shape):
    """(x - mean, mean, var) with one statistic per entry of dim 1 of ``x`` viewed as
    ``stats_shape`` (A, S, B): per channel for (N, C, L), per row for (1, rows, M)."""
    x3 = x.reshape(stats_shape)
    m = x3.shape[0] * x3.shape[2]
    mean = x3.sum(axis=2).sum(axis=0) / m
    centered = x3 - mean[:, None]
    # (a dot product per statistic: no squared copy of x)
    var = xp.einsum("asb,asb->s", centered, centered) / m
    return centered.reshape(x.shape), mean.astype(x.dtype), var.astype(x.dtype)


def _channel_axes(ndim):
    return (0,) + tuple(range(2, ndim))


def _statistics_grad(grad_x, xhat, rstd, grad_mean, grad_var, m):
    """Add to ``grad_x`` what reaches x through its mean and variance as outputs (which
    happens in gradients of gradients, where the backward's use of them is differentiated)."""
    if grad_mean is not None:
        grad_x = grad_mean / m if grad_x is None else grad_x + grad_mean / m
    if grad_var is not None:
        through_var = xhat * (grad_var * 2 / (rstd * m))
        grad_x = through_var if grad_x is None else grad_x + through_var
    return grad_x


def _compiled(a):
    """Whether the compiled kernels serve this array (NumPy, float32 or float64)."""
    return type(a) is np.ndarray and a.dtype in _KERNEL_DTYPES


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@op(nin=3, n_outputs=3, save=(0, 1), save_output=(1, 2), method=False, function=False)
def batch_norm(xp, x, weight, bias, eps):
    """Batch normalization with the batch's statistics, per channel (dim 1) of x (N, C, *).

    Also returns the channels' mean and (biased) variance, for the running statistics.
    """
    _check_dtypes(x, weight, bias)
    if not _compiled(x):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        y, mean, var = _centered(xp, x, (x.shape[0], x.shape[1], -1))
        y *= (weight / xp.sqrt(var + eps)).reshape(shape)
        y += bias.reshape(shape)
        return y, mean, var
    x3 = x.reshape(x.shape[0], x.shape[1], -1)
    y = np.empty(x3.shape, dtype=x.dtype)
    mean = np.empty(x.shape[1], dtype=x.dtype)
    var = np.empty(x.shape[1], dtype=x.dtype)
    _kernels.forward(x3, weight, bias, float(eps), y, mean, var)
    return y.reshape(x.shape), mean, var


@batch_norm.derivative
def batch_norm(ctx, grad, grad_mean, grad_var, eps):
    x, weight, mean, var = ctx.saved_tensors
    if (not STATE.grad_enabled and grad_mean is None and grad_var is None
            and grad is not None and _compiled(grad._data)):
        return _batch_norm_grads_in_place(ctx.needs_input_grad, grad, x, weight, mean, var,
                                          eps)
    axes = _channel_axes(x.dim())
    shape = (1, -1) + (1,) * (x.dim() - 2)
    m = x.numel() // x.shape[1]
    rstd = (var + eps).rsqrt().reshape(shape)
    xhat = (x - mean.reshape(shape)) * rstd
    needs = ctx.needs_input_grad
    grad_x = grad_weight = grad_bias = None
    if grad is not None:
        grad_bias = grad.sum(axes)
        grad_weight = (grad * xhat).sum(axes)
        if needs[0]:
            # weight is constant over the normalized axes: the means come from the sums above
            grad_x = (grad - (grad_bias / m).reshape(shape)
                      - xhat * (grad_weight / m).reshape(shape)) * (weight.reshape(shape) * rstd)
    if needs[0]:
        grad_x = _statistics_grad(grad_x, xhat, rstd, _view(grad_mean, shape),
                                  _view(grad_var, shape), m)
    return grad_x, grad_weight if needs[1] else None, grad_bias if needs[2] else None


def _batch_norm_grads_in_place(needs, grad, x, weight, mean, var, eps):
    """The same first-order gradients in one compiled pass over the arrays. Without a graph
    to record (no gradients of gradients wanted) this spares the Ember-op formula's passes
    and temporaries, which dominate a batch norm's backward."""
    g = grad._data
    n, c = g.shape[:2]
    grad_x = np.empty((n, c, g.size // max(n * c, 1)), dtype=g.dtype)
    grad_weight = np.empty(c, dtype=g.dtype)
    grad_bias = np.empty(c, dtype=g.dtype)
    _kernels.backward(g.reshape(grad_x.shape), x._data.reshape(grad_x.shape), weight._data,
                      mean._data, var._data, float(eps), grad_x, grad_weight, grad_bias)
    return (wrap(grad_x.reshape(g.shape)) if needs[0] else None,
            wrap(grad_weight) if needs[1] else None, wrap(grad_bias) if needs[2] else None)


def _view(t, shape):
    return None if t is None else t.reshape(shape)


def _check_dtypes(x, weight, bias):
    if x.dtype != weight.dtype or x.dtype != bias.dtype:
        raise RuntimeError(f"expected weight and bias of the input's dtype {x.dtype}, got "
                           f"{weight.dtype} and {bias.dtype}")


@op(nin=3, save=(0, 1), method=False, function=False)
def channel_affine(xp, x, scale, shift):
    """``x * scale + shift`` per channel (dim 1) of x (N, C, *): batch norm with fixed
    statistics (evaluation mode) folded into one scale and shift, in one pass."""
    if not (_compiled(x) and scale.dtype == x.dtype and shift.dtype == x.dtype):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        y = x * scale.reshape(shape)
        y += shift.reshape(shape)
        return y
    x3 = x.reshape(x.shape[0], x.shape[1], -1)
    y = np.empty(x3.shape, dtype=x.dtype)
    _kernels.scale_shift(x3, scale, shift, y)
    return y.reshape(x.shape)


@channel_affine.derivative
def channel_affine(ctx, grad):
    x, scale = ctx.saved_tensors
    shape = (1, -1) + (1,) * (x.dim() - 2)
    axes = _channel_axes(x.dim())
    needs = ctx.needs_input_grad
    return (grad * scale.reshape(shape) if needs[0] else None,
            (grad * x).sum(axes) if needs[1] else None,
            grad.sum(axes) if needs[2] else None)


@channel_affine.onnx
def channel_affine(g, x, scale, shift):
    per_channel = g.ints([-1] + [1] * (g.rank(x) - 2))
    return g.op("Add", g.op("Mul", x, g.op("Reshape", scale, per_channel)),
                g.op("Reshape", shift, per_channel))


@op(nin=3, n_outputs=3, save=(0, 1), save_output=(1, 2), method=False, function=False)
def layer_norm(xp, x, weight, bias, normalized_ndim, eps):
    """Layer normalization over the last ``normalized_ndim`` dims of x, then ``* weight +
    bias`` (both of those dims' shape). Also returns the mean and variance it used."""
    _check_dtypes(x, weight, bias)
    if xp is np and x.dtype in _KERNEL_DTYPES:
        return kernels.layer_norm(x, weight, bias, normalized_ndim, eps)
    lead = x.shape[:x.ndim - normalized_ndim]
    y, mean, var = _centered(xp, x, (1, math.prod(lead), -1))
    stats_shape = lead + (1,) * normalized_ndim
    y *= (1.0 / xp.sqrt(var + eps)).reshape(stats_shape)
    y *= weight
    y += bias
    return y, mean.reshape(stats_shape), var.reshape(stats_shape)


@layer_norm.derivative
def layer_norm(ctx, grad, grad_mean, grad_var, normalized_ndim, eps):
    x, weight, mean, var = ctx.saved_tensors
    if not STATE.grad_enabled and grad_mean is None and grad_var is None:
        return _layer_norm_grads_in_place(ctx.needs_input_grad, grad, x, weight, mean, var,
                                          eps)
    lead = tuple(range(x.dim() - normalized_ndim))
    axes = tuple(range(x.dim() - normalized_ndim, x.dim()))
    m = x.numel() // max(mean.numel(), 1)
    rstd = (var + eps).rsqrt()
    xhat = (x - mean) * rstd
    needs = ctx.needs_input_grad
    grad_x = grad_weight = grad_bias = None
    if grad is not None:
        if needs[0]:
            gxhat = grad * weight
            grad_x = rstd * (gxhat - gxhat.mean(axes, keepdim=True)
                             - xhat * (gxhat * xhat).mean(axes, keepdim=True))
        if needs[1]:
            grad_weight = (grad * xhat).sum(lead) if lead else grad * xhat
        if needs[2]:
            grad_bias = grad.sum(lead) if lead else grad
    if needs[0]:
        grad_x = _statistics_grad(grad_x, xhat, rstd, grad_mean, grad_var, m)
    return grad_x, grad_weight, grad_bias


@layer_norm.onnx
def layer_norm(g, x, weight, bias, normalized_ndim, eps):
    if g.opset < 17:
        raise NotImplementedError("layer_norm needs opset_version 17 or later")
    return g.op("LayerNormalization", x, weight, bias, axis=-normalized_ndim,
                epsilon=float(eps)), None, None


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _layer_norm_grads_in_place(needs, grad, x, weight, mean, var, eps):
    """The first-order gradients on arrays, rows (the statistics) by normalized entries, as
    `_batch_norm_grads_in_place` does for batch norm."""
    xp, g = grad._xp, grad._data
    if xp is np and g.dtype in _KERNEL_DTYPES:
        grad_x, grad_weight, grad_bias = kernels.layer_norm_backward(
            g, x._data, weight._data, mean._data, var._data, eps)
        return (wrap(grad_x) if needs[0] else None, wrap(grad_weight) if needs[1] else None,
                wrap(grad_bias) if needs[2] else None)
    rows = mean.numel()
    g2 = g.reshape(rows, -1)
    rstd = 1.0 / xp.sqrt(var._data.reshape(rows, 1) + eps)
    xhat = x._data.reshape(rows, -1) - mean._data.reshape(rows, 1)
    xhat *= rstd
    grad_weight = (g2 * xhat).sum(axis=0).reshape(weight.shape) if needs[1] else None
    grad_bias = g2.sum(axis=0).reshape(weight.shape) if needs[2] else None
    grad_x = None
    if needs[0]:
        gxhat = g2 * weight._data.reshape(-1)
        m = gxhat.shape[1]
        mean_gxhat = gxhat.sum(axis=1, keepdims=True) / m
        xhat *= xp.einsum("rm,rm->r", gxhat, xhat)[:, None] / m
        gxhat -= xhat
        gxhat -= mean_gxhat
        gxhat *= rstd
        grad_x = gxhat
    return (None if grad_x is None else wrap(grad_x.reshape(g.shape)),
            None if grad_weight is None else wrap(grad_weight),
            None if grad_bias is None else wrap(grad_bias))
