"""Looking at images: tile a batch into a grid, save it, draw boxes on an image.

>>> grid = make_grid(ember.rand(16, 3, 32, 32), nrow=4)
>>> save_image(ember.rand(16, 3, 32, 32), "batch.png", nrow=4)
"""
from __future__ import annotations

import math
import os
import warnings

import numpy as np

import ember
from .._tensor import Tensor
from ._pil import pil
from .transforms import functional as F

__all__ = ["make_grid", "save_image", "draw_bounding_boxes"]


def _rescale(img: Tensor, value_range) -> Tensor:
    low, high = value_range if value_range is not None else (float(img.min()),
                                                             float(img.max()))
    return (img.clamp(low, high) - low) / max(high - low, 1e-5)


def _as_batch(tensor) -> Tensor:
    if isinstance(tensor, (list, tuple)):
        tensor = ember.stack(list(tensor), dim=0)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4:
        raise ValueError(f"make_grid: expected (B, C, H, W) images, got shape "
                         f"{list(tensor.shape)}")
    if tensor.shape[1] == 1:  # greyscale is shown as RGB
        tensor = ember.cat([tensor] * 3, dim=1)
    return tensor


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a (B, C, H, W) batch (or a list of images) into one (C, H', W') image with
    ``nrow`` images per row, ``padding`` pixels of ``pad_value`` between them.
    ``normalize`` rescales values from ``value_range`` (default: min..max) to [0, 1],
    per image with ``scale_each``.

    >>> make_grid(ember.rand(6, 3, 8, 8), nrow=3).shape
    ember.Size([3, 22, 32])
    """
    batch = _as_batch(tensor)
    if normalize:
        if scale_each:
            batch = ember.stack([_rescale(img, value_range) for img in batch])
        else:
            batch = _rescale(batch, value_range)
    if batch.shape[0] == 1:
        return batch.squeeze(0)
    count, channels, h, w = batch.shape
    cols = min(nrow, count)
    rows = math.ceil(count / cols)
    cell_h, cell_w = h + padding, w + padding
    blank = ember.full((rows * cols - count, channels, h, w), pad_value, dtype=batch.dtype,
                       device=batch.device)
    cells = ember.cat([batch, blank]) if rows * cols > count else batch
    # pad each image on its top and left, arrange rows x cols, then close the bottom/right
    cells = ember.nn.functional.pad(cells, [padding, 0, padding, 0], value=pad_value)
    grid = cells.reshape(rows, cols, channels, cell_h, cell_w).permute(2, 0, 3, 1, 4)
    grid = grid.reshape(channels, rows * cell_h, cols * cell_w)
    return ember.nn.functional.pad(grid, [0, padding, 0, padding], value=pad_value)


def save_image(tensor, fp, format: str | None = None, **grid_kwargs) -> None:
    """Write `make_grid` of ``tensor`` (values in [0, 1]) as an 8-bit image file.

    >>> save_image(ember.rand(4, 3, 8, 8), "grid.png", nrow=2)
    """
    grid = make_grid(tensor, **grid_kwargs).detach()
    pixels = (grid * 255 + 0.5).clamp(0, 255).permute(1, 2, 0).to(ember.uint8).cpu().numpy()
    pil().fromarray(np.ascontiguousarray(pixels)).save(fp, format=format)


def _palette(count: int) -> list[tuple[int, int, int]]:
    # three large coprime-ish steps spread the colours of successive boxes apart
    steps = (2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1)
    return [tuple(i * s % 255 for s in steps) for i in range(count)]


def _colors(colors, count: int) -> list[tuple[int, ...]]:
    from PIL import ImageColor
    if colors is None:
        return _palette(count)
    if isinstance(colors, list):
        if len(colors) < count:
            raise ValueError(f"Number of colors must be equal or larger than the number of "
                             f"objects, but got {len(colors)} < {count}.")
    elif isinstance(colors, (str, tuple)):
        colors = [colors] * count
    else:
        raise ValueError(f"colors must be a tuple, a string or a list, got {colors!r}")
    return [ImageColor.getrgb(c) if isinstance(c, str) else tuple(c) for c in colors[:count]]


def draw_bounding_boxes(image: Tensor, boxes: Tensor, labels: list[str] | None = None,
                        colors=None, fill: bool = False, width: int = 1,
                        font: str | None = None, font_size: int | None = None) -> Tensor:
    """Draw (x1, y1, x2, y2) ``boxes`` (and ``labels``) on a (C, H, W) uint8 or float image;
    returns a new (3, H, W) image of the same dtype. ``fill`` shades each box.

    >>> draw_bounding_boxes(ember.zeros(3, 20, 20, dtype=ember.uint8),
    ...                     ember.tensor([[2, 2, 12, 12]]), labels=["cat"]).shape
    ember.Size([3, 20, 20])
    """
    from PIL import ImageDraw, ImageFont
    if not isinstance(image, Tensor):
        raise TypeError(f"Tensor expected, got {type(image)}")
    if not (image.dtype == ember.uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    if image.shape[0] not in (1, 3):
        raise ValueError("Only grayscale and RGB images are supported")
    if boxes.numel() and (bool((boxes[:, 0] > boxes[:, 2]).any())
                          or bool((boxes[:, 1] > boxes[:, 3]).any())):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use "
                         "ember.vision.ops.box_convert to convert them")
    count = boxes.shape[0]
    if count == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn")
        return image
    labels = [None] * count if labels is None else labels
    if len(labels) != count:
        raise ValueError(f"Number of boxes ({count}) and labels ({len(labels)}) mismatch. "
                         f"Please specify labels for each box.")
    text_font = (ImageFont.load_default() if font is None
                 else ImageFont.truetype(font=os.fspath(font), size=font_size or 10))
    rgb = image.expand(3, *image.shape[1:]) if image.shape[0] == 1 else image
    canvas = F.to_pil_image(F.to_dtype(rgb, ember.uint8, scale=True))
    draw = ImageDraw.Draw(canvas, "RGBA" if fill else None)
    for box, color, label in zip(boxes.to(ember.int64).tolist(), _colors(colors, count),
                                 labels):
        draw.rectangle(box, width=width, outline=color,
                       fill=color + (100,) if fill else None)
        if label is not None:
            margin = width + 1
            draw.text((box[0] + margin, box[1] + margin), label, fill=color, font=text_font)
    out = F.pil_to_tensor(canvas)
    return F.to_dtype(out, image.dtype, scale=True) if image.is_floating_point() else out
