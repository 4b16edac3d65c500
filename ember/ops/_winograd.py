"""Winograd's F(2x2, 3x3): 3x3 stride-1 convolutions with 2.25x fewer multiplies.

Each 2x2 output tile is ``A^T [U * V] A`` with ``U = G w G^T`` (the 3x3 kernel as 4x4) and
``V = B^T d B`` (the tile's 4x4 input patch); summed over input channels, the 16 entries of
the 4x4 tiles become 16 matrix products (O x C) @ (C x tiles) on BLAS. The tile transforms
are the Numba loops of ``ember/kernels/winograd.py``. Used by `conv` (the forward), by
`conv_transpose` (a convolution's input gradient is a Winograd convolution of the output
gradient with the flipped kernel) and by `conv_weight` (the adjoint transforms, then 16
products over the tiles).

Error. The transforms only add and subtract (and G halves), so the rounding comes from the
products and their sums over channels, as in the direct product, but of transformed numbers
(sums of up to 4 inputs and 9 weights) whose 16 partial results the output transform
combines again. Measured against float64 (``python bench/conv.py error``, inputs and weights
N(0, 1), 3 to 512 channels, 7x7 to 32x32): the float32 error relative to the output's largest
entry is 1.6e-7 to 7.3e-7 for Winograd, 2.5e-7 to 6.7e-7 for the direct product, at most
1.5x the direct product's; `tests/test_winograd.py` holds it under 1e-6 and 2x the direct
product's, well inside the suite's float32 tolerance (1e-5). F(4x4, 3x3) would save 4x the
multiplies, but its transforms have entries up to 5 and 8 and its float32 error is known to be
about 10x larger (not measured here): not used.
"""
from __future__ import annotations

import numpy as np

from ..backends import winograd as _flags
from ..kernels import winograd as _kernels
from ._blocks import sample_chunks

# G: the 3x3 kernel's rows (and columns) as the 4 rows of the transformed kernel
_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def applies(xp, x, kernel, stride, dilation, groups, out_channels) -> bool:
    """Whether a convolution of x with this geometry takes the Winograd path."""
    return (_flags.enabled and xp is np and x.ndim == 4 and tuple(kernel) == (3, 3)
            and stride == (1, 1) and dilation == (1, 1) and groups == 1
            and x.dtype.kind == "f" and min(x.shape[1], out_channels) >= _flags.min_channels)


def _tiles(out):
    return (out[0] + 1) // 2, (out[1] + 1) // 2


# Samples are transformed, multiplied and transformed back this many bytes of transformed
# input at a time, so that each chunk's 16 x (C, tiles) stays in cache between the three
# steps: measured 1.5x faster than one pass over the whole batch on this CPU.
_CHUNK_BYTES = 1 << 20


def _transformed_input(x, low, tiles):
    n, c = x.shape[:2]
    v = np.empty((16, c, n * tiles[0] * tiles[1]), dtype=x.dtype)
    _kernels.input_transform(x, v, low[0], low[1], tiles[0], tiles[1])
    return v


def conv2d(x, w, low, out):
    """x (N, C, H, W) convolved with w (O, C, 3, 3), padded by ``low`` before each spatial
    dim (and by whatever makes ``out`` after): y (N, O, *out)."""
    tiles = _tiles(out)
    g = _G.astype(w.dtype)
    u = np.einsum("ei,ocij,fj->efoc", g, w, g, optimize=True).reshape(16, w.shape[0], -1)
    y = np.empty((x.shape[0], w.shape[0]) + tuple(out), dtype=x.dtype)
    for samples in sample_chunks(x.shape[0], 16 * x.shape[1] * tiles[0] * tiles[1]
                                 * x.itemsize, _CHUNK_BYTES):
        m = np.matmul(u, _transformed_input(x[samples], low, tiles))   # (16, O, tiles)
        _kernels.output_transform(m, y[samples], tiles[0], tiles[1])
    return y


def weight_grad(x, grad, low):
    """The gradient of `conv2d` with respect to its weight, for the output gradient ``grad``
    (N, O, *out): (O, C, 3, 3)."""
    tiles = _tiles(grad.shape[2:])
    per_tile = tiles[0] * tiles[1]
    du = np.zeros((16, grad.shape[1], x.shape[1]), dtype=grad.dtype)
    for samples in sample_chunks(x.shape[0], 16 * (x.shape[1] + grad.shape[1]) * per_tile
                                 * x.itemsize, _CHUNK_BYTES):
        v = _transformed_input(x[samples], low, tiles)
        m = np.empty((16, grad.shape[1], v.shape[2]), dtype=grad.dtype)
        _kernels.output_transform_adjoint(grad[samples], m, tiles[0], tiles[1])
        du += np.matmul(m, v.transpose(0, 2, 1))
    g = _G.astype(grad.dtype)
    return np.einsum("ei,efoc,fj->ocij", g, du.reshape((4, 4) + du.shape[1:]), g, optimize=True)
