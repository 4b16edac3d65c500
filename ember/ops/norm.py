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

from ._op import op


def _normalize(xp, x, axes, eps):
    """(xhat, mean, var, rstd) of x over ``axes``; the statistics keep their reduced dims."""
    mean = x.mean(axis=axes, keepdims=True)
    xhat = x - mean
    var = xp.mean(xp.square(xhat), axis=axes, keepdims=True)
    rstd = 1.0 / xp.sqrt(var + eps)
    xhat *= rstd
    return xhat, mean, var, rstd


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


@op(nin=3, n_outputs=3, save=(0, 1), save_output=True, method=False, function=False)
def batch_norm(xp, x, weight, bias, eps):
    """Batch normalization with the batch's statistics, per channel (dim 1) of x (N, C, *).

    Also returns the channels' mean and (biased) variance, for the running statistics.
    """
    _check_dtypes(x, weight, bias)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y, mean, var, _ = _normalize(xp, x, _channel_axes(x.ndim), eps)
    y *= weight.reshape(shape)
    y += bias.reshape(shape)
    return y, mean.reshape(-1), var.reshape(-1)


@batch_norm.derivative
def batch_norm(ctx, grad, grad_mean, grad_var, eps):
    x, weight, _, mean, var = ctx.saved_tensors
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


def _view(t, shape):
    return None if t is None else t.reshape(shape)


def _check_dtypes(x, weight, bias):
    if x.dtype != weight.dtype or x.dtype != bias.dtype:
        raise RuntimeError(f"expected weight and bias of the input's dtype {x.dtype}, got "
                           f"{weight.dtype} and {bias.dtype}")


@op(nin=3, n_outputs=3, save=(0, 1), save_output=True, method=False, function=False)
def layer_norm(xp, x, weight, bias, normalized_ndim, eps):
    """Layer normalization over the last ``normalized_ndim`` dims of x, then ``* weight +
    bias`` (both of those dims' shape). Also returns the mean and variance it used."""
    _check_dtypes(x, weight, bias)
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    y, mean, var, _ = _normalize(xp, x, axes, eps)
    y *= weight
    y += bias
    return y, mean, var


@layer_norm.derivative
def layer_norm(ctx, grad, grad_mean, grad_var, normalized_ndim, eps):
    x, weight, _, mean, var = ctx.saved_tensors
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
