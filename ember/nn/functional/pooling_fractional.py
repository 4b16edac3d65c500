"""Fractional max pooling (Graham, 2014): max over windows at pseudo-random, overlapping
starts that shrink the input by a non-integer ratio."""
from __future__ import annotations

import numpy as np

from ... import _creation, _sampling
from ._utils import batched, ntuple

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]

_AXES = ("time", "height", "width")


def _window_starts(sample: np.ndarray, in_size: int, out_size: int, kernel: int) -> np.ndarray:
    """Each window's first position along one axis, for per-plane samples in [0, 1).

    Computed in the samples' dtype, then truncated, as PyTorch does, so that given samples
    reproduce its windows exactly.
    """
    starts = np.full(sample.shape + (out_size,), in_size - kernel, dtype=np.int64)
    if out_size > 1:
        alpha = sample.dtype.type(in_size - kernel) / sample.dtype.type(out_size - 1)
        i = np.arange(out_size - 1, dtype=sample.dtype)
        shifted = ((i + sample[..., None]) * alpha).astype(np.int64)
        starts[..., :-1] = shifted - (sample * alpha).astype(np.int64)[..., None]
    return starts


def _window_indices(samples, spatial, output_size, kernel):
    """Flat in-plane index of every window element: shape (N, C, *output_size, *kernel)."""
    n = len(spatial)
    flat = 0
    for axis in range(n):
        starts = _window_starts(samples[..., axis], spatial[axis], output_size[axis],
                                kernel[axis])
        offsets = starts[..., None] + np.arange(kernel[axis])
        # Place this axis's output and kernel dims among the n output and n kernel dims.
        shape = list(offsets.shape[:2]) + [1] * (2 * n)
        shape[2 + axis], shape[2 + n + axis] = output_size[axis], kernel[axis]
        flat = flat * spatial[axis] + offsets.reshape(shape)
    return flat


def _check_samples(samples, x, n: int) -> None:
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.dim()}")
    if samples.dtype != x.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.shape[0] < x.shape[0]:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != x.shape[1]:
        raise RuntimeError(f"Expect _random_samples.size(1) equals to input channel size; got "
                           f"{samples.shape[1]} for {x.shape[1]} channels.")
    if samples.shape[2] != n:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {n}; got "
                           f"{samples.shape[2]}.")


def _fractional_max_poolnd(n: int, fn: str):
    def pool(input, kernel_size, output_size=None, output_ratio=None,
             return_indices: bool = False, _random_samples=None):
        kernel = ntuple(kernel_size, n, "kernel_size", fn)
        x, added = batched(input, n, fn)
        spatial = tuple(x.shape[2:])
        if output_size is None:
            if output_ratio is None:
                raise ValueError(f"{fn} requires specifying either an output_size or an "
                                 f"output_ratio")
            ratio = (output_ratio,) * n if np.isscalar(output_ratio) else tuple(output_ratio)
            output_size = tuple(int(s * r) for s, r in zip(spatial, ratio))
        output_size = ntuple(output_size, n, "output_size", fn)
        for axis, (size, out, k) in enumerate(zip(spatial, output_size, kernel)):
            if out + k - 1 > size:
                name = _AXES[3 - n + axis]
                raise RuntimeError(f"{fn}(): pool {name} {k} too large relative to input "
                                   f"{name} {size}")
        if _random_samples is None:
            _random_samples = _sampling.rand(x.shape[0], x.shape[1], n, dtype=x.dtype,
                                           device=x.device)
        _check_samples(_random_samples, x, n)
        # PyTorch's samples list the axes in reverse order for 2-D, in order for 3-D.
        samples = _random_samples.detach().cpu().numpy()[:x.shape[0]]
        samples = samples[..., ::-1] if n == 2 else samples
        windows = _window_indices(samples, spatial, output_size, kernel)
        windows = windows.reshape(x.shape[0], x.shape[1], -1, int(np.prod(kernel)))
        planes = x.reshape(x.shape[0], x.shape[1], -1)
        values = np.take_along_axis(planes.detach().cpu().numpy()[:, :, :, None],
                                    windows.reshape(*windows.shape[:2], -1, 1), 2)
        best = values.reshape(windows.shape).argmax(-1)[..., None]
        flat = np.take_along_axis(windows, best, -1)[..., 0]
        indices = _creation.tensor(flat, device=x.device)
        out = planes.gather(2, indices).reshape(x.shape[:2] + tuple(output_size))
        indices = indices.reshape(out.shape)
        if added:
            out, indices = out.squeeze(0), indices.squeeze(0)
        return (out, indices) if return_indices else out
    pool.__name__ = pool.__qualname__ = fn
    pool.__doc__ = (f"Max over {n}-D windows of size ``kernel_size`` placed pseudo-randomly to "
                    f"give ``output_size`` (or ``output_ratio`` of the input); "
                    f"``_random_samples`` (N, C, {n}) in [0, 1) fixes the placement.")
    return pool


def _with_indices(pool):
    def with_indices(input, kernel_size, output_size=None, output_ratio=None,
                     return_indices: bool = True, _random_samples=None):
        return pool(input, kernel_size, output_size, output_ratio, True, _random_samples)
    with_indices.__name__ = with_indices.__qualname__ = f"{pool.__name__}_with_indices"
    with_indices.__doc__ = f"``{pool.__name__}`` returning ``(values, indices)`` always."
    return with_indices


fractional_max_pool2d = _fractional_max_poolnd(2, "fractional_max_pool2d")
fractional_max_pool3d = _fractional_max_poolnd(3, "fractional_max_pool3d")
fractional_max_pool2d_with_indices = _with_indices(fractional_max_pool2d)
fractional_max_pool3d_with_indices = _with_indices(fractional_max_pool3d)
