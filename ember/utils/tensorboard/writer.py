"""`SummaryWriter`: PyTorch's TensorBoard logging API over TensorBoard's event files."""
from __future__ import annotations

import os
import socket
import time
from datetime import datetime

from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from . import image as _image
from . import summary as _summary
from ._convert import to_numpy
from .embedding import write_embedding
from .graph import graph_def
from .hparams import hparams as _hparams


def _step(global_step) -> int | None:
    return None if global_step is None else int(to_numpy(global_step).reshape(()))


class FileWriter:
    """Events of one run directory, written by TensorBoard's `EventFileWriter`."""

    def __init__(self, log_dir: str, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = ""):
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs,
                                            filename_suffix)

    def get_logdir(self) -> str:
        return self.event_writer.get_logdir()

    def add_event(self, event: Event, step: int | None = None,
                  walltime: float | None = None) -> None:
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = step
        self.event_writer.add_event(event)

    def add_summary(self, summary: Summary, global_step=None, walltime=None) -> None:
        self.add_event(Event(summary=summary), _step(global_step), walltime)

    def flush(self) -> None:
        self.event_writer.flush()

    def close(self) -> None:
        self.event_writer.close()


class SummaryWriter:
    """Writes scalars, histograms, images, text, graphs... for TensorBoard to show.

        >>> with SummaryWriter("runs/demo") as writer:          # doctest: +SKIP
        ...     for step in range(3):
        ...         writer.add_scalar("loss", 1.0 / (step + 1), step)

    ``log_dir`` defaults to ``runs/<Mon DD_HH-MM-SS>_<host><comment>``. With ``purge_step``,
    TensorBoard hides events of this run logged at or after that step by an earlier,
    crashed run.
    """

    def __init__(self, log_dir: str | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = ""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = None
        self.all_writers: dict[str, FileWriter] | None = None
        self._get_file_writer()

    def _writer_for(self, log_dir: str) -> FileWriter:
        return FileWriter(log_dir, self.max_queue, self.flush_secs, self.filename_suffix)

    def _get_file_writer(self) -> FileWriter:
        """The run's own writer, (re)opened on first use after `close`."""
        if self.file_writer is None:
            self.file_writer = self._writer_for(self.log_dir)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # TensorBoard drops events at or past a SessionLog START's step.
                self.file_writer.add_event(
                    Event(session_log=SessionLog(status=SessionLog.START)),
                    step=self.purge_step)
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str:
        """The directory the event files go to."""
        return self.log_dir

    def _add(self, summary: Summary, global_step, walltime) -> None:
        self._get_file_writer().add_summary(summary, global_step, walltime)

    # -- scalars -------------------------------------------------------------------------
    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """Log one number (a Python number or a one-element tensor or array)."""
        self._add(_summary.scalar(tag, scalar_value, new_style, double_precision),
                  global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None,
                    walltime=None) -> None:
        """Log several numbers as one chart: each key goes to its own sub-run
        ``<log_dir>/<main_tag>_<key>`` under the tag ``main_tag``."""
        walltime = time.time() if walltime is None else walltime
        root = self._get_file_writer().get_logdir()
        for key, value in tag_scalar_dict.items():
            run_dir = os.path.join(root, main_tag.replace("/", "_") + "_" + key)
            writer = self.all_writers.get(run_dir)
            if writer is None:
                writer = self.all_writers[run_dir] = self._writer_for(run_dir)
            writer.add_summary(_summary.scalar(main_tag, value), global_step, walltime)

    def add_custom_scalars(self, layout: dict) -> None:
        """Lay out the Custom Scalars tab: ``{category: {title: ["Multiline", [tags]]}}``
        or ``["Margin", [value, lower, upper]]``."""
        self._add(_summary.custom_scalars(layout), None, None)

    def add_custom_scalars_multilinechart(self, tags: list, category: str = "default",
                                          title: str = "untitled") -> None:
        """Add a chart of the scalar ``tags`` as several lines, under ``category`` and ``title``."""
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags: list, category: str = "default",
                                       title: str = "untitled") -> None:
        """Add a margin chart under ``category`` and ``title``: ``tags`` names three scalars,
        the value and its lower and upper bounds.
        """
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    # -- distributions -------------------------------------------------------------------
    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow",
                      walltime=None, max_bins: int | None = None) -> None:
        """Log a histogram of ``values``; ``bins`` is ``"tensorflow"`` or anything
        `numpy.histogram` takes (``"auto"``, ``"fd"``, a count, edges)."""
        self._add(_summary.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_histogram_raw(self, tag: str, min, max, num, sum, sum_squares, bucket_limits,
                          bucket_counts, global_step=None, walltime=None) -> None:
        """Log a histogram given by its statistics and buckets."""
        self._add(_summary.histogram_raw(tag, min, max, num, sum, sum_squares,
                                         bucket_limits, bucket_counts),
                  global_step, walltime)

    def add_pr_curve(self, tag: str, labels, predictions, global_step=None,
                     num_thresholds: int = 127, weights=None, walltime=None) -> None:
        """Log a precision-recall curve of ``predictions`` (in [0, 1]) for ``labels``."""
        self._add(_summary.pr_curve(tag, labels, predictions, num_thresholds, weights),
                  global_step, walltime)

    def add_pr_curve_raw(self, tag: str, true_positive_counts, false_positive_counts,
                         true_negative_counts, false_negative_counts, precision, recall,
                         global_step=None, num_thresholds: int = 127, weights=None,
                         walltime=None) -> None:
        """Log a precision-recall curve from precomputed counts."""
        self._add(_summary.pr_curve_raw(tag, true_positive_counts, false_positive_counts,
                                        true_negative_counts, false_negative_counts,
                                        precision, recall, num_thresholds),
                  global_step, walltime)

    # -- pictures and sound --------------------------------------------------------------
    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None,
                  dataformats: str = "CHW") -> None:
        """Log an image: float in [0, 1] or uint8, laid out as ``dataformats``."""
        self._add(_image.image(tag, img_tensor, 1, dataformats), global_step, walltime)

    def add_images(self, tag: str, img_tensor, global_step=None, walltime=None,
                   dataformats: str = "NCHW") -> None:
        """Log a batch of images, tiled into one grid, eight to a row."""
        self._add(_image.image(tag, img_tensor, 1, dataformats, "add_images"),
                  global_step, walltime)

    def add_image_with_boxes(self, tag: str, img_tensor, box_tensor, global_step=None,
                             walltime=None, rescale: float = 1, dataformats: str = "CHW",
                             labels=None) -> None:
        """Log an image with boxes (``N x 4``: xmin, ymin, xmax, ymax in pixels)."""
        self._add(_image.image_with_boxes(tag, img_tensor, box_tensor, rescale, dataformats,
                                          labels), global_step, walltime)

    def add_figure(self, tag: str, figure, global_step=None, close: bool = True,
                   walltime=None) -> None:
        """Log a matplotlib figure (or a list of them, tiled) as an image."""
        pixels, dataformats = _image.figures_to_batch(figure, close)
        self._add(_image.image(tag, pixels, 1, dataformats, "add_figure"),
                  global_step, walltime)

    def add_video(self, tag: str, vid_tensor, global_step=None, fps: int = 4,
                  walltime=None) -> None:
        """Log ``N x T x C x H x W`` frames as an animated GIF."""
        self._add(_image.video(tag, vid_tensor, fps), global_step, walltime)

    def add_audio(self, tag: str, snd_tensor, global_step=None, sample_rate: int = 44100,
                  walltime=None) -> None:
        """Log a mono clip of samples in [-1, 1]."""
        self._add(_image.audio(tag, snd_tensor, sample_rate), global_step, walltime)

    def add_mesh(self, tag: str, vertices, colors=None, faces=None,
                 config_dict: dict | None = None, global_step=None, walltime=None) -> None:
        """Log a 3D point cloud or mesh: ``B x N x 3`` vertices, colors and faces."""
        self._add(_summary.mesh(tag, vertices, colors, faces, config_dict),
                  global_step, walltime)

    # -- text, hparams, graphs, embeddings -----------------------------------------------
    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Log Markdown text."""
        self._add(_summary.text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict,
                    hparam_domain_discrete: dict | None = None, run_name: str | None = None,
                    global_step=None) -> None:
        """Log one trial's hyperparameters and final metrics for the HParams tab, in the
        sub-run ``run_name`` (default: the current time)."""
        summaries = _hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        run_dir = os.path.join(self._get_file_writer().get_logdir(),
                               run_name or str(time.time()))
        with SummaryWriter(run_dir) as writer:
            for s in summaries:
                writer._add(s, global_step, None)
            for tag, value in metric_dict.items():
                writer.add_scalar(tag, value, global_step)

    def add_graph(self, model, input_to_model=None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """Log the graph of one forward run of ``model`` on ``input_to_model``, ops grouped
        by the modules that ran them."""
        graph = graph_def(model, input_to_model)
        if verbose:
            print(graph)
        self._get_file_writer().add_event(Event(graph_def=graph.SerializeToString()))

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None,
                      tag: str = "default", metadata_header=None) -> None:
        """Save ``N x D`` vectors for the Projector, with optional labels (``metadata``,
        one per row, or rows of columns named by ``metadata_header``) and thumbnails
        (``label_img``, ``N x C x H x W``)."""
        write_embedding(self._get_file_writer().get_logdir(), mat, metadata, label_img,
                        _step(global_step) or 0, tag, metadata_header)

    # -- lifetime ------------------------------------------------------------------------
    def flush(self) -> None:
        """Write pending events to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self) -> None:
        """Flush and close every event file; logging again opens new ones."""
        for writer in (self.all_writers or {}).values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> "SummaryWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
