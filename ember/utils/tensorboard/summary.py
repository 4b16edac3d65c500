"""Summary protobufs of scalars, histograms, text, precision-recall curves, layouts and
meshes.

Each function returns a ``Summary`` built from TensorBoard's own protobufs and plugin
metadata, ready for an ``Event``.
"""
from __future__ import annotations

import json

import numpy as np
from tensorboard.compat.proto.histogram_pb2 import HistogramProto
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_DOUBLE, DT_FLOAT, DT_STRING
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import metadata as custom_scalar_metadata
from tensorboard.plugins.mesh import metadata as mesh_metadata
from tensorboard.plugins.mesh import plugin_data_pb2 as mesh_data
from tensorboard.plugins.pr_curve import metadata as pr_curve_metadata
from tensorboard.plugins.scalar import metadata as scalar_metadata
from tensorboard.plugins.text import metadata as text_metadata
from tensorboard.util import tensor_util

from ._convert import to_float, to_numpy
# PyTorch's summary module offers these two as well (hparams for logging them by hand).
from .hparams import hparams  # noqa: F401
from .image import image  # noqa: F401


def _shape(*sizes: int) -> TensorShapeProto:
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=s) for s in sizes])


def _string(data: bytes, *shape: int) -> TensorProto:
    """A one-string tensor of ``shape`` (``()`` or ``(1,)``)."""
    return TensorProto(dtype=DT_STRING, string_val=[data], tensor_shape=_shape(*shape))


def scalar(tag: str, value, new_style: bool = False,
           double_precision: bool = False) -> Summary:
    """A scalar: the legacy ``simple_value``, or with ``new_style`` a 0-d tensor of the
    scalars plugin (float64 with ``double_precision``)."""
    number = to_float(value, "add_scalar")
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=number)])
    if double_precision:
        tensor = TensorProto(dtype=DT_DOUBLE, double_val=[number], tensor_shape=_shape())
    else:
        tensor = TensorProto(dtype=DT_FLOAT, float_val=[number], tensor_shape=_shape())
    metadata = scalar_metadata.create_summary_metadata(display_name="", description="")
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=metadata)])


def _tensorflow_bins() -> np.ndarray:
    # TensorFlow's default buckets: +-1e-12 growing by 10% up to 1e20, and zero.
    positive = 1e-12 * 1.1 ** np.arange(774)
    return np.concatenate([-positive[::-1], [0.0], positive])


def histogram_raw(tag: str, min, max, num, sum, sum_squares, bucket_limits,
                  bucket_counts) -> Summary:
    """A histogram from its statistics: ``bucket_counts[i]`` values lie in
    ``(bucket_limits[i-1], bucket_limits[i]]``."""
    limits, counts = to_numpy(bucket_limits).ravel(), to_numpy(bucket_counts).ravel()
    if limits.size != counts.size:
        raise ValueError(f"add_histogram_raw: bucket_limits has {limits.size} entries but "
                         f"bucket_counts has {counts.size}; they must match")
    proto = HistogramProto(min=to_float(min, "add_histogram_raw"),
                           max=to_float(max, "add_histogram_raw"),
                           num=to_float(num, "add_histogram_raw"),
                           sum=to_float(sum, "add_histogram_raw"),
                           sum_squares=to_float(sum_squares, "add_histogram_raw"),
                           bucket_limit=limits.tolist(), bucket=counts.tolist())
    return Summary(value=[Summary.Value(tag=tag, histo=proto)])


def _merge_buckets(counts: np.ndarray, edges: np.ndarray, max_bins: int):
    """Sum groups of ``len(counts) // max_bins`` neighbouring buckets."""
    # Floor, as PyTorch does: a few more than max_bins buckets may remain.
    group = counts.size // max_bins
    padded = np.pad(counts, (0, -counts.size % group))
    merged = padded.reshape(-1, group).sum(axis=1)
    return merged, np.append(edges[:-1][::group], edges[-1])


def histogram(tag: str, values, bins="tensorflow", max_bins: int | None = None) -> Summary:
    """A histogram of ``values`` with NumPy's binning (``bins`` as `numpy.histogram` takes
    it, or ``"tensorflow"`` for TensorFlow's exponential buckets)."""
    array = to_numpy(values).astype(np.float64).ravel()
    if array.size == 0:
        raise ValueError("add_histogram: the values are empty")
    if not np.isfinite(array).all():
        raise ValueError(f"add_histogram: the values (shape {to_numpy(values).shape}) "
                         "contain NaN or infinity")
    if isinstance(bins, str) and bins == "tensorflow":
        bins = _tensorflow_bins()
    counts, edges = np.histogram(array, bins=bins)
    if max_bins is not None and counts.size > max_bins:
        counts, edges = _merge_buckets(counts, edges, max_bins)
    # Keep the occupied range only, after one empty bucket ending at its left edge.
    occupied = np.flatnonzero(counts)
    first, last = occupied[0], occupied[-1]
    return histogram_raw(tag, array.min(), array.max(), array.size, array.sum(),
                         array @ array, edges[first:last + 2],
                         np.concatenate([[0], counts[first:last + 1]]))


def text(tag: str, text_string: str) -> Summary:
    """Markdown text for the Text tab, under ``<tag>/text_summary`` as PyTorch names it."""
    metadata = text_metadata.create_summary_metadata(display_name="", description="")
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=metadata,
                                        tensor=_string(text_string.encode("utf-8"), 1))])


def _pr_tensor(tag: str, data: np.ndarray, num_thresholds: int) -> Summary:
    metadata = pr_curve_metadata.create_summary_metadata(
        display_name=tag, description="", num_thresholds=num_thresholds)
    tensor = TensorProto(dtype=DT_FLOAT, float_val=data.astype(np.float32).ravel().tolist(),
                         tensor_shape=_shape(*data.shape))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=tensor)])


def pr_curve_raw(tag: str, true_positive_counts, false_positive_counts,
                 true_negative_counts, false_negative_counts, precision, recall,
                 num_thresholds: int = 127) -> Summary:
    """A precision-recall curve from counts already computed at ``num_thresholds``
    thresholds."""
    rows = [to_numpy(r).astype(np.float64).ravel() for r in (
        true_positive_counts, false_positive_counts, true_negative_counts,
        false_negative_counts, precision, recall)]
    if any(r.size != num_thresholds for r in rows):
        raise ValueError(f"add_pr_curve_raw: every row must have num_thresholds="
                         f"{num_thresholds} entries, got {[r.size for r in rows]}")
    return _pr_tensor(tag, np.stack(rows), num_thresholds)


def pr_curve(tag: str, labels, predictions, num_thresholds: int = 127,
             weights=None) -> Summary:
    """A precision-recall curve of ``predictions`` in [0, 1] against boolean ``labels``,
    at ``num_thresholds`` evenly spaced thresholds."""
    num_thresholds = min(num_thresholds, 127)  # the plugin's limit, as in PyTorch
    truth = to_numpy(labels).astype(bool).ravel()
    scores = to_numpy(predictions).astype(np.float64).ravel()
    if truth.size != scores.size:
        raise ValueError(f"add_pr_curve: labels has {truth.size} elements but predictions "
                         f"has {scores.size}")
    if scores.size and (scores.min() < 0 or scores.max() > 1):
        raise ValueError("add_pr_curve: predictions must lie in [0, 1]")
    weight = 1.0 if weights is None else to_numpy(weights).astype(np.float64).ravel()
    bucket = np.floor(scores * (num_thresholds - 1)).astype(np.int64)
    positives = np.bincount(bucket, weights=truth * weight, minlength=num_thresholds)
    negatives = np.bincount(bucket, weights=~truth * weight, minlength=num_thresholds)
    # A prediction counts as positive at every threshold at or below its bucket.
    tp = np.cumsum(positives[::-1])[::-1]
    fp = np.cumsum(negatives[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(1e-7, tp + fp)
    recall = tp / np.maximum(1e-7, tp + fn)
    return _pr_tensor(tag, np.stack([tp, fp, tn, fn, precision, recall]), num_thresholds)


def _chart(title: str, spec) -> layout_pb2.Chart:
    kind, tags = spec
    if kind == "Multiline":
        return layout_pb2.Chart(title=title,
                                multiline=layout_pb2.MultilineChartContent(tag=list(tags)))
    if kind == "Margin":
        if len(tags) != 3:
            raise ValueError(f"add_custom_scalars: a Margin chart takes [value, lower, upper]"
                             f" tags, got {tags!r}")
        series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1],
                                                      upper=tags[2])
        return layout_pb2.Chart(title=title,
                                margin=layout_pb2.MarginChartContent(series=[series]))
    raise ValueError(f"add_custom_scalars: chart kind must be 'Multiline' or 'Margin', "
                     f"got {kind!r}")


def custom_scalars(layout: dict) -> Summary:
    """The Custom Scalars tab's layout, from ``{category: {chart: [kind, tags]}}``."""
    categories = [layout_pb2.Category(title=category,
                                      chart=[_chart(t, spec) for t, spec in charts.items()])
                  for category, charts in layout.items()]
    config = layout_pb2.Layout(category=categories).SerializeToString()
    return Summary(value=[Summary.Value(
        tag=custom_scalar_metadata.CONFIG_SUMMARY_TAG, tensor=_string(config),
        metadata=custom_scalar_metadata.create_summary_metadata())])


def mesh(tag: str, vertices, colors=None, faces=None, config_dict: dict | None = None
         ) -> Summary:
    """A 3D mesh: ``B x N x 3`` vertices (float), with optional ``B x N x 3`` colors (0..255)
    and ``B x F x 3`` faces (vertex indices); ``config_dict`` configures the three.js view."""
    kinds = mesh_data.MeshPluginData
    parts = [(kinds.VERTEX, vertices, np.float32), (kinds.FACE, faces, np.int32),
             (kinds.COLOR, colors, np.uint8)]
    parts = [(kind, to_numpy(x).astype(dtype)) for kind, x, dtype in parts if x is not None]
    for kind, array in parts:
        if array.ndim != 3 or array.shape[-1] != 3:
            raise ValueError(f"add_mesh: {kinds.ContentType.Name(kind).lower()} must be "
                             f"B x N x 3, got shape {array.shape}")
    components = mesh_metadata.get_components_bitmask([kind for kind, _ in parts])
    config = json.dumps(config_dict or {}, sort_keys=True)
    return Summary(value=[Summary.Value(
        tag=mesh_metadata.get_instance_name(tag, kind),
        tensor=tensor_util.make_tensor_proto(array),
        metadata=mesh_metadata.create_summary_metadata(
            tag, None, kind, components, list(array.shape), json_config=config))
        for kind, array in parts])
