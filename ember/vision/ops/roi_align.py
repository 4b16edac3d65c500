"""RoIAlign (He et al., Mask R-CNN): average of bilinear samples on a regular grid in each
output bin of each region, differentiable with respect to the feature map.

The samples of one region form a product grid (rows ys times columns xs), so the bilinear
sampling and the averaging over each bin are separable: the pooled region is
``Wy @ features @ Wx.T`` with small (out, H) and (out, W) weight matrices built on the host.
"""
from __future__ import annotations

import math

import numpy as np

import ember
from ... import nn
from ..._tensor import Tensor

__all__ = ["roi_align", "RoIAlign"]


def _axis_weights(start: float, size: float, bins: int, grid: int, length: int) -> np.ndarray:
    """(bins, length): row b averages the ``grid`` bilinear samples of bin b along one axis."""
    step = size / bins
    points = start + np.arange(bins)[:, None] * step + (np.arange(grid) + 0.5) * step / grid
    points = points.reshape(-1)
    weights = np.zeros((points.size, length))
    inside = (points >= -1.0) & (points <= length)
    p = np.maximum(points, 0.0)
    low = p.astype(np.int64)
    top = low >= length - 1  # at the last row/column, sample it exactly
    low = np.where(top, length - 1, low)
    high = np.where(top, length - 1, low + 1)
    frac = np.where(top, 0.0, p - low)
    rows = np.arange(points.size)
    np.add.at(weights, (rows, low), np.where(inside, 1.0 - frac, 0.0))
    np.add.at(weights, (rows, high), np.where(inside, frac, 0.0))
    return weights.reshape(bins, grid, length).mean(axis=1)


def _rois(boxes) -> np.ndarray:
    """(K, 5) rows of (batch index, x1, y1, x2, y2) from a tensor or a list per image."""
    if isinstance(boxes, (list, tuple)):
        rows = [np.concatenate([np.full((len(b), 1), i), b.detach().cpu().numpy()], axis=1)
                for i, b in enumerate(boxes)]
        return np.concatenate(rows) if rows else np.zeros((0, 5))
    if boxes.dim() != 2 or boxes.shape[1] != 5:
        raise ValueError(f"roi_align: boxes should be a (K, 5) tensor or a list of (L, 4) "
                         f"tensors, got shape {list(boxes.shape)}")
    return boxes.detach().cpu().numpy().astype(np.float64)


def roi_align(input: Tensor, boxes, output_size, spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    """Pool each region of ``input`` (N, C, H, W) to ``output_size``: (K, C, ph, pw).

    ``spatial_scale`` maps box coordinates to the feature map; ``sampling_ratio`` samples per
    bin side (<= 0: ceil(region size / bins)); ``aligned`` shifts boxes by half a pixel.

    >>> roi_align(ember.rand(1, 2, 8, 8), ember.tensor([[0., 1., 1., 5., 5.]]), 2).shape
    ember.Size([1, 2, 2, 2])
    """
    ph, pw = (output_size, output_size) if isinstance(output_size, int) else output_size
    if input.dim() != 4:
        raise ValueError(f"roi_align: input should be (N, C, H, W), got shape "
                         f"{list(input.shape)}")
    rois = _rois(boxes)
    _, channels, height, width = input.shape
    if len(rois) == 0:
        return ember.zeros(0, channels, ph, pw, dtype=input.dtype, device=input.device)
    offset = 0.5 if aligned else 0.0
    wy, wx = [], []
    for _, x1, y1, x2, y2 in rois:
        x1, y1 = x1 * spatial_scale - offset, y1 * spatial_scale - offset
        roi_w, roi_h = x2 * spatial_scale - offset - x1, y2 * spatial_scale - offset - y1
        if not aligned:  # legacy behaviour: regions are at least one pixel
            roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
        grid_h = sampling_ratio if sampling_ratio > 0 else max(math.ceil(roi_h / ph), 1)
        grid_w = sampling_ratio if sampling_ratio > 0 else max(math.ceil(roi_w / pw), 1)
        wy.append(_axis_weights(y1, roi_h, ph, grid_h, height))
        wx.append(_axis_weights(x1, roi_w, pw, grid_w, width))
    on = dict(dtype=input.dtype, device=input.device)
    wy = ember.tensor(np.stack(wy), **on).unsqueeze(1)  # (K, 1, ph, H)
    wx = ember.tensor(np.stack(wx), **on).unsqueeze(1)  # (K, 1, pw, W)
    batch = ember.tensor(rois[:, 0].astype(np.int64), device=input.device)
    features = input.index_select(0, batch)
    return wy @ features @ wx.transpose(-1, -2)


class RoIAlign(nn.Module):
    """`roi_align` as a module."""

    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int,
                 aligned: bool = False):
        super().__init__()
        self.output_size, self.spatial_scale = output_size, spatial_scale
        self.sampling_ratio, self.aligned = sampling_ratio, aligned

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.aligned)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned}")
