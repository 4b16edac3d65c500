"""Detection operators with torchvision's names: box arithmetic, NMS, RoIAlign.

>>> from ember.vision import ops
>>> ops.nms(boxes, scores, iou_threshold=0.5)
"""
from .boxes import batched_nms, box_area, box_convert, box_iou, nms  # noqa: F401
from .roi_align import RoIAlign, roi_align  # noqa: F401

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "nms", "RoIAlign", "roi_align"]
