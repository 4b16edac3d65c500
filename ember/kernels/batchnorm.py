"""Batch normalization's training-mode passes, one loop per channel, parallel over channels.

NumPy needs a pass per step (sum, subtract, square and sum, scale, shift; then the same again
backwards), each streaming the whole activation through memory on one core. Here the forward
reads x twice (the mean, then the variance around it: no cancellation) and writes y once;
the backward reads g and x once for its two sums and once more to write the input gradient.
Sums accumulate in float64 whatever the data's dtype.
"""
from __future__ import annotations

import math

from . import kernel, prange, threaded

# reassociation lets LLVM vectorize the sums; NaN and inf still flow through as in PyTorch
_SUMS = {"reassoc", "contract"}


@kernel(parallel=True, fastmath=_SUMS)
def forward(x, weight, bias, eps, y, mean, var):
    """Per channel c of x (N, C, L): the mean and biased variance, and
    y = (x - mean) / sqrt(var + eps) * weight + bias."""
    n_samples, channels, length = x.shape
    count = n_samples * length
    for c in prange(channels):
        total = 0.0
        for n in range(n_samples):
            for i in range(length):
                total += x[n, c, i]
        mu = total / count
        squares = 0.0
        for n in range(n_samples):
            for i in range(length):
                d = x[n, c, i] - mu
                squares += d * d
        sigma2 = squares / count
        mean[c] = mu
        var[c] = sigma2
        scale = weight[c] / math.sqrt(sigma2 + eps)
        shift = bias[c] - mu * scale
        for n in range(n_samples):
            for i in range(length):
                y[n, c, i] = x[n, c, i] * scale + shift


@kernel(parallel=True, fastmath=_SUMS)
def backward(g, x, weight, mean, var, eps, grad_x, grad_weight, grad_bias):
    """The first-order gradients of `forward` for the output gradient g (N, C, L):

        grad_bias = sum(g), grad_weight = sum(g * xhat),
        grad_x = weight * rstd * (g - grad_bias / m - xhat * grad_weight / m)
    """
    n_samples, channels, length = g.shape
    count = n_samples * length
    for c in prange(channels):
        mu = mean[c]
        rstd = 1.0 / math.sqrt(var[c] + eps)
        sum_g = 0.0
        sum_gx = 0.0
        for n in range(n_samples):
            for i in range(length):
                gi = g[n, c, i]
                sum_g += gi
                sum_gx += gi * (x[n, c, i] - mu)
        grad_bias[c] = sum_g
        grad_weight[c] = sum_gx * rstd
        scale = weight[c] * rstd
        shift = -sum_g / count
        slope = -sum_gx * rstd * rstd / count
        for n in range(n_samples):
            for i in range(length):
                grad_x[n, c, i] = scale * (g[n, c, i] + shift + slope * (x[n, c, i] - mu))


@threaded()
def scale_shift(x, scale, shift, y):
    """y[n, c, i] = x[n, c, i] * scale[c] + shift[c]: batch norm with fixed statistics, one
    pass. x and y: (N, C, L); parallel over the (sample, channel) rows."""
    n_samples, channels, length = x.shape
    for row in prange(n_samples * channels):
        n = row // channels
        c = row % channels
        a = scale[c]
        b = shift[c]
        for i in range(length):
            y[n, c, i] = x[n, c, i] * a + b
