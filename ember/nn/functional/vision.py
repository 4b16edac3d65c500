"""Vision utilities: `pad`, `interpolate` (and the `upsample*` aliases), `pixel_shuffle`,
`unfold`/`fold`."""
from __future__ import annotations

import warnings

from ...ops import TABLE
from ...ops.im2col import blocks
from ...ops.padding import pad_pairs
from . import _resample
from ._utils import ntuple

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle", "unfold", "fold"]

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


def _taps(mode, n_in, n_out, factor, align_corners):
    if mode == "area":
        return _resample.area(n_in, n_out)
    scale = _resample.scale_of(n_in, n_out, factor)
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
    if antialias:
        raise NotImplementedError("interpolate(): antialias=True is not supported")
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
                                                    bool(align_corners)))
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
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


# ----------------------------------------------------------------------------- fold / unfold


def _block_args(name, kernel_size, dilation, padding, stride):
    return tuple(ntuple(v, 2, arg, name) for v, arg in
                 ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"),
                  (stride, "stride")))


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
