"""MNIST and Fashion-MNIST from their IDX files (``root/<Name>/raw``, gzipped or not).

An IDX file is a big-endian header, ``0 0 <type code> <ndim>`` then one int32 per dim,
followed by the values, big-endian. The images are (N, 28, 28) uint8, the labels (N,) uint8.

>>> train = MNIST("data", train=True, transform=ToTensor())
>>> image, label = train[0]
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Callable

import numpy as np

import ember
from .._pil import pil
from .utils import check_integrity, download_url
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` files are decompressed on the fly).

    >>> read_idx("data/MNIST/raw/t10k-labels-idx1-ubyte").shape
    (10000,)
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an IDX file (its header is {raw[:4]!r})")
    ndim = raw[3]
    shape = tuple(int(n) for n in np.frombuffer(raw, ">i4", ndim, offset=4))
    values = np.frombuffer(raw, _IDX_TYPES[raw[2]], offset=4 + 4 * ndim)
    if values.size != int(np.prod(shape)):
        raise RuntimeError(f"{path}: the header promises shape {shape} but the file holds "
                           f"{values.size} values")
    return values.reshape(shape).astype(values.dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """The MNIST digits: 60,000 training and 10,000 test images, 28x28 greyscale.

    Items are (Pillow 'L' image, int label) before the transforms.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        prefix = "train" if train else "t10k"
        self.data = ember.from_numpy(read_idx(self._find(f"{prefix}-images-idx3-ubyte")))
        self.targets = ember.from_numpy(
            read_idx(self._find(f"{prefix}-labels-idx1-ubyte")).astype(np.int64))
        if len(self.data) != len(self.targets):
            raise RuntimeError(f"{type(self).__name__}: {len(self.data)} images but "
                               f"{len(self.targets)} labels in {self.raw_folder}")

    @property
    def raw_folder(self) -> Path:
        """Where the raw files are looked for: ``root/<class name>/raw``."""
        return Path(self.root) / type(self).__name__ / "raw"

    @property
    def class_to_idx(self) -> dict[str, int]:
        """The class names mapped to their labels."""
        return {name: i for i, name in enumerate(self.classes)}

    def _find(self, stem: str) -> Path:
        for name in (stem, stem + ".gz"):
            if (self.raw_folder / name).is_file():
                return self.raw_folder / name
        raise RuntimeError(f"Dataset not found: no {stem}[.gz] in {self.raw_folder}. You can "
                           f"use download=True to download it")

    def _check_exists(self) -> bool:
        return all(check_integrity(self.raw_folder / name) or
                   check_integrity(self.raw_folder / name.removesuffix(".gz"))
                   for name, _ in self.resources)

    def download(self) -> None:
        """Fetch the four files into ``raw_folder`` from the first mirror that answers."""
        if self._check_exists():
            return
        for name, md5 in self.resources:
            errors = []
            for mirror in self.mirrors:
                try:
                    download_url(mirror + name, self.raw_folder, name, md5)
                    break
                except (RuntimeError, OSError) as err:  # a bad checksum, or no answer
                    errors.append(str(err))
            else:
                raise RuntimeError(f"Error downloading {name}:\n" + "\n".join(errors))

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        image = pil().fromarray(self.data[index].numpy())  # uint8 (H, W): mode "L"
        return self.apply(image, int(self.targets[index]))

    def extra_repr(self) -> str:
        """``'Split: Train'`` or ``'Split: Test'``, for the dataset's repr."""
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and sizes, ten kinds of clothing."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
