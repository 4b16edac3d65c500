"""Vision utilities: `pad`, `interpolate` (and the `upsample*` aliases), `pixel_shuffle`,
`unfold`/`fold`, `affine_grid`/`grid_sample`."""
from __future__ import annotations

import warnings

import numpy as np

from ... import _creation
from ...ops import TABLE
from ...ops.im2col import blocks
from ...ops.padding import pad_pairs
from . import _resample
from ._utils import ntuple

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "unfold", "fold", "affine_grid",
           "grid_sample", "assert_int_or_pair"]

_constant_pad_nd = TABLE["constant_pad_nd"].fn
_im2col = TABLE["im2col"].fn
_col2im = TABLE["col2im"].fn

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _non_constant_dims(x, pad, mode):
    k = len(pad) // 2
    if len(pad) % 2 or k not in (1, 2, 3) or x.dim() not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "replicate" and any(n == 0 for n in x.shape[-k - (x.dim() == k + 2):]):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                           f"batch size and other non-zero dimensions for input, but got: "
                           f"{list(x.shape)}")
    return k


def pad(input, pad, mode: str = "constant", value: float | None = None):
    """Pad the last dims: ``pad = (left, right, top, bottom, front, back)`` pairs from the
    last dim backwards. ``mode``: 'constant' (with ``value``), 'reflect', 'replicate' or
    'circular'. Negative amounts crop.

    >>> F.pad(ember.tensor([[1., 2.]]), (1, 1), mode="replicate")
    tensor([[1., 1., 2., 2.]])
    """
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode == "constant":
        return _constant_pad_nd(input, tuple(pad), 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = _non_constant_dims(input, pad, mode)
    out = input
    for dim, (lo, hi) in enumerate(pad_pairs(pad, input.dim())[-k:], input.dim() - k):
        n = input.shape[dim]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {dim} of input {list(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        out = _resample.apply_taps(out, dim, *_resample.padding(mode, n, lo, hi))
    return out


# ----------------------------------------------------------------------------- interpolate

_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")
_MODES = ("nearest", "nearest-exact", "area") + _INTERPOLATING


def _sizes(x, size, scale_factor, recompute_scale_factor):
    """The output size of each spatial dim, and the scale factors the sampling uses."""
    spatial = x.dim() - 2
    in_sizes = list(x.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * spatial
        if len(sizes) != spatial:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{in_sizes} and output size of {list(size)}. Please provide "
                             f"input tensor in (N, C, d1, d2, ...,dK) format and output size "
                             f"in (o1, o2, ...,oK) format.")
        return [int(s) for s in sizes], [None] * spatial
    factors = (list(scale_factor) if isinstance(scale_factor, (list, tuple))
               else [scale_factor] * spatial)
    if len(factors) != spatial:
        raise ValueError(f"Input and scale_factor must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of {in_sizes} "
                         f"and scale_factor of shape {list(scale_factor)}. Please provide "
                         f"input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                         f"(s1, s2, ...,sK) format.")
    sizes = [_resample.output_size(n, float(f)) for n, f in zip(in_sizes, factors)]
    return sizes, [None] * spatial if recompute_scale_factor else [float(f) for f in factors]


def _taps(mode, n_in, n_out, factor, align_corners, antialias):
    if mode == "area":
        return _resample.area(n_in, n_out)
    scale = _resample.scale_of(n_in, n_out, factor)
    if antialias and not align_corners:
        return _resample.antialiased(n_in, n_out, scale, mode)
    if mode in ("nearest", "nearest-exact"):
        return _resample.nearest(n_in, n_out, scale, mode == "nearest-exact")
    if mode == "bicubic":
        return _resample.cubic(n_in, n_out, scale, align_corners)
    return _resample.linear(n_in, n_out, scale, align_corners)


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False):
    """Resize the spatial dims of a (N, C, *spatial) input to ``size`` or by ``scale_factor``.

    >>> F.interpolate(ember.tensor([[[1., 2.]]]), scale_factor=2, mode="linear")
    tensor([[[1.0000, 1.2500, 1.7500, 2.0000]]])
    """
    if mode not in _MODES:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.dim()}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if align_corners is not None and mode not in _INTERPOLATING:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias and (mode not in ("bilinear", "bicubic") or input.dim() != 4):
        raise ValueError(f"Anti-alias option is restricted to bilinear and bicubic modes and "
                         f"requires a 4-D tensor as input, got mode {mode} and a "
                         f"{input.dim()}D input")
    if input.dim() not in (3, 4, 5):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.dim()}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if mode in _MODE_DIMS and input.dim() - 2 != _MODE_DIMS[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{_MODE_DIMS[mode] + 2}D input")
    sizes, factors = _sizes(input, size, scale_factor, recompute_scale_factor)
    out = input
    for i, (n_out, factor) in enumerate(zip(sizes, factors)):
        dim = i + 2
        n_in = input.shape[dim]
        if n_out <= 0 or n_in <= 0:
            raise RuntimeError(f"interpolate(): Input and output sizes should be greater than "
                               f"0, but got input {list(input.shape[2:])} and output {sizes}")
        if n_out == n_in and factor in (None, 1.0) and mode != "area":
            continue  # the identity: every mode samples the source points themselves
        out = _resample.apply_taps(out, dim, *_taps(mode, n_in, n_out, factor,
                                                    bool(align_corners), antialias))
    return out if out is not input else input.clone()


def upsample(input, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None):
    """Deprecated alias of `interpolate`."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ----------------------------------------------------------------------------- pixel shuffle


def _check_shuffle(name: str, input, factor_name: str, r: int) -> None:
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{name} expects a positive {factor_name}, but got {r}")


def pixel_shuffle(input, upscale_factor: int):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r): channels become sub-pixel positions."""
    r = upscale_factor
    _check_shuffle("pixel_shuffle", input, "upscale_factor", r)
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W): the inverse of `pixel_shuffle`."""
    r = downscale_factor
    _check_shuffle("pixel_unshuffle", input, "downscale_factor", r)
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} and input.size(-1)={w} "
                           f"are not divisible by {r}")
    if not input.numel():  # PyTorch returns an empty input as it is
        return input.clone()
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input, groups: int):
    """(N, g * k, *) -> (N, k * g, *): the channels of ``groups`` groups interleaved."""
    if input.dim() < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    x = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)


# ----------------------------------------------------------------------------- fold / unfold


def _block_args(name, kernel_size, dilation, padding, stride):
    return tuple(ntuple(v, 2, arg, name) for v, arg in
                 ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"),
                  (stride, "stride")))


def assert_int_or_pair(arg, arg_name: str, message: str) -> None:
    """Check that ``arg`` is an int or a pair (fold's and unfold's sizes); ``message`` is
    formatted with ``arg_name``.

    >>> F.assert_int_or_pair(3, "kernel_size", "{} must be int or 2-tuple")
    """
    assert isinstance(arg, int) or len(arg) == 2, message.format(arg_name)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Every sliding block of an (N, C, H, W) image as a column: (N, C * kh * kw, L).

    >>> F.unfold(ember.zeros(1, 3, 4, 4), kernel_size=2).shape
    ember.Size([1, 12, 9])
    """
    if input.dim() not in (3, 4):
        raise RuntimeError(f"unfold(): Expected 3D or 4D (batch mode) tensor with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    kernel, dilation, padding, stride = _block_args("unfold", kernel_size, dilation, padding,
                                                    stride)
    x = input if input.dim() == 4 else input.unsqueeze(0)
    if any(b <= 0 for b in blocks(x.shape[2:], kernel, dilation, padding, stride)):
        raise RuntimeError(f"unfold(): Given input with spatial size {list(x.shape[2:])}, "
                           f"kernel_size={kernel}, dilation={dilation}, padding={padding}, "
                           f"calculated shape of the array of sliding blocks is non-positive")
    cols = _im2col(x, kernel, dilation, padding, stride)
    return cols if input.dim() == 4 else cols.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of `unfold`: sum columns (N, C * kh * kw, L) back into an (N, C, H, W)
    image of ``output_size`` (overlapping blocks add up)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"fold(): Expected 2D or 3D (batch mode) tensor for input with "
                           f"possibly 0 batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    size = ntuple(output_size, 2, "output_size", "fold")
    kernel, dilation, padding, stride = _block_args("fold", kernel_size, dilation, padding,
                                                    stride)
    x = input if input.dim() == 3 else input.unsqueeze(0)
    k = kernel[0] * kernel[1]
    if x.shape[1] % k:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size={kernel}")
    n_blocks = blocks(size, kernel, dilation, padding, stride)
    if n_blocks[0] * n_blocks[1] != x.shape[2] or min(n_blocks) <= 0:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation="
                           f"{dilation}, padding={padding}, stride={stride}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding "
                           f"blocks {n_blocks[0]} * {n_blocks[1]} = {n_blocks[0] * n_blocks[1]}"
                           f", but got input.size(2)={x.shape[2]}.")
    image = _col2im(x, size, kernel, dilation, padding, stride)
    return image if input.dim() == 3 else image.squeeze(0)


# ----------------------------------------------------------------------------- spatial transforms


def _unit_positions(n: int, align_corners: bool):
    """The normalized [-1, 1] coordinates of n pixel centers (or corners)."""
    if n <= 1:
        return [0.0] * n
    step = 2 / (n - 1)
    scale = 1.0 if align_corners else (n - 1) / n
    return [(-1 + i * step) * scale for i in range(n)]


def affine_grid(theta, size, align_corners: bool | None = None):
    """The sampling grid of a batch of affine maps ``theta`` (N, 2, 3) or (N, 3, 4), for an
    output of ``size`` (N, C, H, W) or (N, C, D, H, W): (N, H, W, 2) or (N, D, H, W, 3) of
    normalized (x, y[, z]) source coordinates, for `grid_sample`."""
    size = list(size)
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    d = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape) != (size[0], d, d + 1):
        raise ValueError(f"Expected a batch of {d}D affine matrices of shape Nx{d}x{d + 1} for "
                         f"size {size}. Got {list(theta.shape)}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    spatial = size[2:]
    # (x, y, z) order: x runs along the last dim
    axes = [_unit_positions(n, bool(align_corners)) for n in reversed(spatial)]
    mesh = list(np.meshgrid(*axes[::-1], indexing="ij"))[::-1]  # each of shape spatial
    base = np.stack(mesh + [np.ones(spatial)], axis=-1).reshape(-1, d + 1)
    base = _creation.tensor(base, dtype=theta.dtype, device=theta.device)
    grid = base.matmul(theta.transpose(1, 2))   # (N, prod(spatial), d)
    return grid.reshape(size[0], *spatial, d)


def _source_coords(coord, n: int, padding_mode: str, align_corners: bool):
    """Normalized grid coordinates as (fractional) pixel positions along a dim of size n."""
    if align_corners:
        pos = (coord + 1) * ((n - 1) / 2)
    else:
        pos = ((coord + 1) * n - 1) / 2
    if padding_mode == "border":
        return pos.clamp(0, n - 1)
    if padding_mode == "reflection":
        low, high = (0.0, 2.0 * (n - 1)) if align_corners else (-1.0, 2.0 * n - 1)
        return _reflect(pos, low, high).clamp(0, n - 1)
    return pos


def _reflect(pos, twice_low: float, twice_high: float):
    """``pos`` folded back and forth into [twice_low / 2, twice_high / 2]."""
    if twice_low == twice_high:
        return pos * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    dist = (pos - low).abs()
    extra = dist.fmod(span)
    flips = (dist / span).floor()
    even = flips.remainder(2) == 0
    return _where(even, extra + low, span - extra + low)


_where = TABLE["where"].fn


def _gather(image, iy, ix):
    """``image`` (N, C, H, W) at integer positions (N, *out), zero outside the image."""
    n, c, h, w = image.shape
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    flat = (iy.clamp(0, h - 1) * w + ix.clamp(0, w - 1)).long().reshape(n, 1, -1)
    values = image.reshape(n, c, h * w).gather(2, flat.expand(n, c, flat.shape[2]))
    return values.reshape(n, c, *iy.shape[1:]), inside.unsqueeze(1)


def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None):
    """Sample ``input`` (N, C, H, W) at the normalized (x, y) positions of ``grid``
    (N, Ho, Wo, 2), with bilinear or nearest interpolation; positions outside read zeros,
    the border, or a reflection (``padding_mode``).

    >>> img = ember.arange(4.).reshape(1, 1, 2, 2)
    >>> F.grid_sample(img, ember.zeros(1, 1, 1, 2), align_corners=True)
    tensor([[[[1.5000]]]])
    """
    if mode not in ("bilinear", "nearest"):
        raise NotImplementedError(f"grid_sample(): mode '{mode}' is not supported (bilinear "
                                  f"or nearest)")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if input.dim() != 4 or grid.dim() != 4 or grid.shape[-1] != 2 or \
            grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sample(): expected a 4D input (N, C, H, W) and a grid "
                           f"(N, H_out, W_out, 2) with the same N, but got input of shape "
                           f"{list(input.shape)} and grid of shape {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")
    h, w = input.shape[2:]
    x = _source_coords(grid[..., 0], w, padding_mode, bool(align_corners))
    y = _source_coords(grid[..., 1], h, padding_mode, bool(align_corners))
    if mode == "nearest":
        # the grid gets no gradient here (PyTorch gives it zeros)
        values, inside = _gather(input, y.detach().round(), x.detach().round())
        return _where(inside, values, 0.0)
    x0, y0 = x.detach().floor(), y.detach().floor()
    wx1, wy1 = x - x0, y - y0
    out = None
    for iy, ix, weight in ((y0, x0, (1 - wy1) * (1 - wx1)), (y0, x0 + 1, (1 - wy1) * wx1),
                           (y0 + 1, x0, wy1 * (1 - wx1)), (y0 + 1, x0 + 1, wy1 * wx1)):
        values, inside = _gather(input, iy, ix)
        term = _where(inside, values * weight.unsqueeze(1), 0.0)
        out = term if out is None else out + term
    return out
