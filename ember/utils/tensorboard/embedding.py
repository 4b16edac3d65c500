"""The Projector's files: vectors, labels and a sprite of thumbnails, and its config."""
from __future__ import annotations

import os
import warnings

import numpy as np
from google.protobuf import text_format
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo, ProjectorConfig

from ._convert import to_numpy
from .image import _as_uint8, image_proto, make_grid

CONFIG_FILE = "projector_config.pbtxt"


def _folder_name(tag: str) -> str:
    """``tag`` as one folder name: ``%``, ``/`` and ``\\`` escaped as ``%xx``."""
    return "".join(f"%{ord(c):02x}" if c in "%/\\" else c for c in tag)


def _write_metadata(path: str, metadata, header) -> None:
    lines = ["\t".join(map(str, header))] if header else []
    lines += ["\t".join(map(str, row)) if header else str(row) for row in metadata]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def _write_sprite(path: str, images: np.ndarray) -> None:
    """Tile thumbnails into the square sprite the Projector expects."""
    per_row = int(np.ceil(np.sqrt(images.shape[0])))
    grid = make_grid(images, ncols=per_row)
    n, _, h, w = images.shape
    square = np.zeros((grid.shape[0], per_row * h, per_row * w), dtype=grid.dtype)
    square[:, :grid.shape[1], :grid.shape[2]] = grid
    with open(path, "wb") as f:
        f.write(image_proto(_as_uint8(square.transpose(1, 2, 0))).encoded_image_string)


def _update_config(log_dir: str, info: EmbeddingInfo) -> None:
    path = os.path.join(log_dir, CONFIG_FILE)
    config = ProjectorConfig()
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text_format.Parse(f.read(), config)
    kept = [e for e in config.embeddings if e.tensor_name != info.tensor_name]
    del config.embeddings[:]
    config.embeddings.extend(kept + [info])
    with open(path, "w", encoding="utf-8") as f:
        f.write(text_format.MessageToString(config))


def write_embedding(log_dir: str, mat, metadata, label_img, global_step: int, tag: str,
                    metadata_header) -> None:
    """Write ``<log_dir>/<step:05d>/<tag>/`` and register it in ``projector_config.pbtxt``."""
    vectors = to_numpy(mat)
    if vectors.ndim != 2:
        raise ValueError(f"add_embedding: mat must be N x D, got shape {vectors.shape}")
    n = vectors.shape[0]
    subdir = f"{global_step:05d}/{_folder_name(tag)}"
    save_dir = os.path.join(log_dir, subdir)
    if os.path.isdir(save_dir) and os.listdir(save_dir):
        warnings.warn(f"add_embedding: overwriting the embedding files in {save_dir}")
    os.makedirs(save_dir, exist_ok=True)
    info = EmbeddingInfo(tensor_name=f"{tag}:{global_step:05d}",
                         tensor_path=f"{subdir}/tensors.tsv")
    np.savetxt(os.path.join(save_dir, "tensors.tsv"), vectors.astype(np.float64),
               fmt="%.9g", delimiter="\t")
    if metadata is not None:
        if len(metadata) != n:
            raise ValueError(f"add_embedding: {len(metadata)} metadata rows for {n} vectors")
        _write_metadata(os.path.join(save_dir, "metadata.tsv"), metadata, metadata_header)
        info.metadata_path = f"{subdir}/metadata.tsv"
    if label_img is not None:
        images = to_numpy(label_img)
        if images.ndim != 4 or images.shape[0] != n:
            raise ValueError(f"add_embedding: label_img must be N x C x H x W with N={n}, "
                             f"got shape {images.shape}")
        _write_sprite(os.path.join(save_dir, "sprite.png"), images)
        info.sprite.image_path = f"{subdir}/sprite.png"
        info.sprite.single_image_dim.extend([images.shape[3], images.shape[2]])
    _update_config(log_dir, info)
