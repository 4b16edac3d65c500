"""Box arithmetic on (N, 4) tensors: areas, IoU, format conversion, non-maximum suppression.

Boxes are (x1, y1, x2, y2) with 0 <= x1 < x2 and 0 <= y1 < y2 unless a format says otherwise.

>>> boxes = ember.tensor([[0., 0., 2., 2.], [1., 1., 3., 3.]])
>>> box_iou(boxes, boxes)
tensor([[1.0000, 0.1429],
        [0.1429, 1.0000]])
"""
from __future__ import annotations

import numpy as np

import ember
from ..._tensor import Tensor

__all__ = ["box_area", "box_iou", "box_convert", "nms", "batched_nms"]


def _check_boxes(name: str, boxes: Tensor) -> None:
    if boxes.dim() != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"{name}: boxes should be a (N, 4) tensor, got shape "
                         f"{list(boxes.shape)}")


def box_area(boxes: Tensor) -> Tensor:
    """(x2 - x1) * (y2 - y1) of each box.

    >>> box_area(ember.tensor([[0., 0., 2., 3.]]))
    tensor([6.])
    """
    _check_boxes("box_area", boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """(N, M) intersection over union of every pair of boxes."""
    _check_boxes("box_iou", boxes1)
    _check_boxes("box_iou", boxes2)
    top_left = ember.maximum(boxes1[:, None, :2], boxes2[:, :2])
    bottom_right = ember.minimum(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = box_area(boxes1)[:, None] + box_area(boxes2) - inter
    return inter / union


def _to_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    a, b, c, d = boxes.unbind(-1)
    if fmt == "xywh":
        return ember.stack([a, b, a + c, b + d], dim=-1)
    return ember.stack([a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d], dim=-1)


def _from_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    x1, y1, x2, y2 = boxes.unbind(-1)
    if fmt == "xywh":
        return ember.stack([x1, y1, x2 - x1, y2 - y1], dim=-1)
    return ember.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dim=-1)


_FORMATS = ("xyxy", "xywh", "cxcywh")


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert between 'xyxy', 'xywh' (corner and size) and 'cxcywh' (centre and size).

    >>> box_convert(ember.tensor([[1., 1., 2., 4.]]), "xywh", "xyxy")
    tensor([[1., 1., 3., 5.]])
    """
    if in_fmt not in _FORMATS or out_fmt not in _FORMATS:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and "
                         f"out_fmt {out_fmt}; formats are {_FORMATS}")
    if in_fmt == out_fmt:
        return boxes.clone()
    xyxy = boxes if in_fmt == "xyxy" else _to_xyxy(boxes, in_fmt)
    return xyxy if out_fmt == "xyxy" else _from_xyxy(xyxy, out_fmt)


def _greedy_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1) * (y2 - y1)
    suppressed = np.zeros(len(scores), dtype=bool)
    keep = []
    for rank, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[rank + 1:]
        w = np.maximum(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0)
        h = np.maximum(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0)
        inter = w * h
        suppressed[rest[inter / (areas[i] + areas[rest] - inter) > threshold]] = True
    return np.asarray(keep, dtype=np.int64)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Indices of the boxes kept by greedy non-maximum suppression, by decreasing score: a box
    is dropped when its IoU with a higher-scoring kept box exceeds ``iou_threshold``.

    >>> nms(ember.tensor([[0., 0., 2., 2.], [0., 0., 2., 2.1]]), ember.tensor([0.9, 0.8]), 0.5)
    tensor([0])
    """
    _check_boxes("nms", boxes)
    if scores.dim() != 1 or scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"nms: scores should be (N,) for boxes of shape {list(boxes.shape)}, "
                         f"got {list(scores.shape)}")
    keep = _greedy_nms(boxes.detach().cpu().numpy(), scores.detach().cpu().numpy(),
                       float(iou_threshold))
    return ember.from_numpy(keep).to(boxes.device)


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """`nms` within each category ``idxs``: boxes of different categories never suppress
    each other. Kept indices come by decreasing score."""
    _check_boxes("batched_nms", boxes)
    if boxes.numel() == 0:
        return ember.empty(0, dtype=ember.int64, device=boxes.device)
    # shifting each category far apart keeps its boxes from overlapping any other's
    offsets = idxs.to(boxes.dtype) * (boxes.max() + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)
