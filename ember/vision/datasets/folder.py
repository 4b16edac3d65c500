"""Datasets from a folder per class: ``root/<class>/<file>``, classes sorted by name.

>>> train = ImageFolder("data/train", transform=ToTensor())
>>> train.classes, train.samples[0]
(['cat', 'dog'], ('data/train/cat/1.png', 0))
"""
from __future__ import annotations

import os
from typing import Any, Callable

from .._pil import pil
from .vision import VisionDataset

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "find_classes", "make_dataset",
           "has_file_allowed_extension", "pil_loader", "default_loader"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename: str, extensions: str | tuple[str, ...]) -> bool:
    """True when ``filename`` ends (case-insensitively) with one of ``extensions``."""
    return filename.lower().endswith(extensions if isinstance(extensions, str)
                                     else tuple(extensions))


def find_classes(directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """The sub-folder names of ``directory`` (sorted) and their indices."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory: str | os.PathLike, class_to_idx: dict[str, int] | None = None,
                 extensions: str | tuple[str, ...] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> list[tuple[str, int]]:
    """(path, class index) of every accepted file under each class folder, in sorted order.

    Files are accepted by ``extensions`` or by ``is_valid_file`` (exactly one of them).
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if is_valid_file is None:
        def is_valid_file(path: str) -> bool:
            return has_file_allowed_extension(path, extensions)
    samples, empty = [], []
    for name in sorted(class_to_idx):
        folder = os.path.join(directory, name)
        if not os.path.isdir(folder):
            continue
        found = [(os.path.join(dirpath, f), class_to_idx[name])
                 for dirpath, _, files in sorted(os.walk(folder, followlinks=True))
                 for f in sorted(files) if is_valid_file(os.path.join(dirpath, f))]
        if not found:
            empty.append(name)
        samples += found
    if empty and not allow_empty:
        listed = extensions if isinstance(extensions, str) else ", ".join(extensions or ())
        allowed = f" Supported extensions are: {listed}" if extensions is not None else ""
        raise FileNotFoundError(f"Found no valid file for the classes {', '.join(empty)}."
                                f"{allowed}")
    return samples


def pil_loader(path: str) -> Any:
    """The image at ``path`` as a Pillow 'RGB' image (the file is closed after reading)."""
    with open(path, "rb") as f:
        return pil().open(f).convert("RGB")


default_loader = pil_loader


class DatasetFolder(VisionDataset):
    """Samples ``(loader(path), class index)`` for the files of each class folder.

    >>> os.makedirs("sounds/dog"); np.save("sounds/dog/1.npy", np.zeros(3))
    >>> sounds = DatasetFolder("sounds", loader=np.load, extensions=(".npy",))
    >>> sounds.classes, sounds[0][1]
    (['dog'], 0)
    """

    def __init__(self, root: str | os.PathLike, loader: Callable[[str], Any],
                 extensions: tuple[str, ...] | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = make_dataset(self.root, self.class_to_idx, extensions, is_valid_file,
                                    allow_empty)
        self.loader, self.extensions = loader, extensions
        self.targets = [target for _, target in self.samples]

    def find_classes(self, directory: str) -> tuple[list[str], dict[str, int]]:
        """Override to map folders to classes differently."""
        return find_classes(directory)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, target = self.samples[index]
        return self.apply(self.loader(path), target)


class ImageFolder(DatasetFolder):
    """`DatasetFolder` of images (`IMG_EXTENSIONS`) read as 'RGB' Pillow images."""

    def __init__(self, root: str | os.PathLike, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform, target_transform, is_valid_file, allow_empty)
        self.imgs = self.samples
