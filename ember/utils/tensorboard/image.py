"""Image, figure, video and audio summaries: arrays laid out as pictures and encoded."""
from __future__ import annotations

import io
import wave

import numpy as np
from tensorboard.compat.proto.summary_pb2 import Summary

from ._convert import to_numpy


def _as_uint8(array: np.ndarray) -> np.ndarray:
    """Pixels in 0..255: uint8 stays as it is, anything else is read as [0, 1]."""
    if array.dtype == np.uint8:
        return array
    return (array.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)


def make_grid(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """Tile ``N x C x H x W`` images row by row into one ``C x H' x W'`` image
    (grey images become RGB), ``ncols`` to a row."""
    n, c, h, w = images.shape
    if c == 1:
        images = np.repeat(images, 3, axis=1)
        c = 3
    ncols = max(1, min(n, ncols))
    nrows = -(-n // ncols)
    canvas = np.zeros((c, nrows * h, ncols * w), dtype=images.dtype)
    for i, image in enumerate(images):
        row, col = divmod(i, ncols)
        canvas[:, row * h:(row + 1) * h, col * w:(col + 1) * w] = image
    return canvas


def to_hwc(array: np.ndarray, dataformats: str, what: str) -> np.ndarray:
    """Rearrange an image (or a batch, tiled by `make_grid`) given in ``dataformats``
    (``"CHW"``, ``"HWC"``, ``"HW"``, ``"NCHW"``, ``"NHWC"``...) to ``H x W x C`` with three
    or four channels."""
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or not set(fmt) <= set("NCHW") or not {"H", "W"} <= set(fmt):
        raise ValueError(f"{what}: dataformats must be letters of NCHW with H and W, each "
                         f"once, got {dataformats!r}")
    if array.ndim != len(fmt):
        raise ValueError(f"{what}: dataformats {dataformats!r} needs a {len(fmt)}-d array, "
                         f"got one of shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{what}: the image is empty (shape {array.shape})")
    shape = array.shape
    if "C" not in fmt:
        array, fmt = array[..., None], fmt + "C"
    if "N" in fmt:
        hwc = make_grid(array.transpose([fmt.index(d) for d in "NCHW"])).transpose(1, 2, 0)
    else:
        hwc = array.transpose([fmt.index(d) for d in "HWC"])
    if hwc.shape[2] == 1:
        hwc = np.repeat(hwc, 3, axis=2)
    if hwc.shape[2] not in (3, 4):
        raise ValueError(f"{what}: an image needs 1, 3 or 4 channels, got {hwc.shape[2]} "
                         f"(shape {shape}, dataformats {dataformats!r})")
    return hwc


def image_proto(hwc: np.ndarray, rescale: float = 1) -> Summary.Image:
    """A PNG ``Summary.Image`` of a ``H x W x C`` uint8 array, scaled by ``rescale``."""
    from PIL import Image  # pillow comes with tensorboard

    picture = Image.fromarray(np.ascontiguousarray(hwc))
    if rescale != 1:
        size = (int(picture.width * rescale), int(picture.height * rescale))
        picture = picture.resize(size, Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return Summary.Image(height=picture.height, width=picture.width, colorspace=hwc.shape[2],
                         encoded_image_string=buffer.getvalue())


def image(tag: str, tensor, rescale: float = 1, dataformats: str = "NCHW",
          what: str = "add_image") -> Summary:
    """An image summary of ``tensor`` (float in [0, 1] or uint8) laid out as
    ``dataformats``, scaled by ``rescale``."""
    hwc = _as_uint8(to_hwc(to_numpy(tensor), dataformats, what))
    return Summary(value=[Summary.Value(tag=tag, image=image_proto(hwc, rescale))])


def image_with_boxes(tag: str, img, boxes, rescale: float = 1, dataformats: str = "CHW",
                     labels=None) -> Summary:
    """An image with red ``(xmin, ymin, xmax, ymax)`` pixel boxes drawn on it, optionally
    labelled, then scaled by ``rescale``."""
    from PIL import Image, ImageDraw

    corners = (np.zeros((0, 4)) if boxes is None
               else to_numpy(boxes).astype(np.float64).reshape(-1, 4))
    if labels is not None and len(labels) != len(corners):
        raise ValueError(f"add_image_with_boxes: {len(labels)} labels for {len(corners)} "
                         "boxes")
    hwc = _as_uint8(to_hwc(to_numpy(img), dataformats, "add_image_with_boxes"))
    picture = Image.fromarray(np.ascontiguousarray(hwc[:, :, :3]))
    draw = ImageDraw.Draw(picture)
    for i, (left, top, right, bottom) in enumerate(corners):
        draw.rectangle([left, top, right, bottom], outline=(255, 0, 0))
        if labels is not None:
            draw.text((left, top), str(labels[i]), fill=(255, 0, 0), anchor="lb")
    return Summary(value=[Summary.Value(tag=tag,
                                        image=image_proto(np.asarray(picture), rescale))])


def figure_to_array(figure, close: bool = True) -> np.ndarray:
    """Render a matplotlib figure to a ``H x W x 3`` uint8 array (with the Agg renderer,
    whatever the figure's own backend)."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[:, :, :3].copy()
    if close:
        plt.close(figure)
    return rgb


def figures_to_batch(figure, close: bool) -> tuple[np.ndarray, str]:
    """One figure or a list of them as an image array and its dataformats."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as e:
        raise ImportError("add_figure needs matplotlib: pip install matplotlib") from e
    if isinstance(figure, (list, tuple)):
        return np.stack([figure_to_array(f, close) for f in figure]), "NHWC"
    return figure_to_array(figure, close), "HWC"


def video(tag: str, vid, fps: int = 4) -> Summary:
    """An animated GIF of ``vid``, shaped ``N x T x C x H x W`` (batches tiled per frame)."""
    array = to_numpy(vid)
    if array.ndim != 5:
        raise ValueError(f"add_video: expected a N x T x C x H x W array, got shape "
                         f"{array.shape}")
    frames = [_as_uint8(to_hwc(array[:, t], "NCHW", "add_video"))
              for t in range(array.shape[1])]
    from PIL import Image

    pictures = [Image.fromarray(np.ascontiguousarray(f)).convert("RGB") for f in frames]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=int(1000 / fps), loop=0)
    h, w, c = frames[0].shape
    proto = Summary.Image(height=h, width=w, colorspace=c,
                          encoded_image_string=buffer.getvalue())
    return Summary(value=[Summary.Value(tag=tag, image=proto)])


def audio(tag: str, snd, sample_rate: int = 44100) -> Summary:
    """A WAV clip of ``snd``: mono samples in [-1, 1], shaped ``L`` or ``1 x L``."""
    given = to_numpy(snd)
    # Scale in the samples' own precision, as PyTorch does, so that both round alike.
    samples = given.astype(np.result_type(given.dtype, np.float32)).squeeze()
    if samples.ndim != 1:
        raise ValueError(f"add_audio: expected mono samples of shape (L,) or (1, L), got "
                         f"{given.shape}")
    pcm = (samples.clip(-1, 1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())
    proto = Summary.Audio(sample_rate=sample_rate, num_channels=1,
                          length_frames=samples.size, encoded_audio_string=buffer.getvalue(),
                          content_type="audio/wav")
    return Summary(value=[Summary.Value(tag=tag, audio=proto)])
