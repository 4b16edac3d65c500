"""CIFAR-10 and CIFAR-100 from their Python batches (``root/cifar-10-batches-py``, ...).

Each batch is a pickled dict: ``data`` a (N, 3072) uint8 array (the red, green and blue
planes of each 32x32 image, one after another) and the labels as a list of ints. The batches
are read by a restricted unpickler (`_pickle.load_batch`) that never runs code.

>>> train = CIFAR10("data", train=True)
>>> image, label = train[0]
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from .._pil import pil
from ._pickle import load_batch
from .utils import check_integrity, download_and_extract_archive
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(VisionDataset):
    """60,000 32x32 colour images in ten classes: five training batches and a test batch.

    Items are (Pillow 'RGB' image, int label) before the transforms; ``data`` is the
    (N, 32, 32, 3) uint8 array and ``targets`` the list of labels.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    label_key = "labels"

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        folder = Path(self.root) / self.base_folder
        data, self.targets = [], []
        for name, _ in self.train_list if train else self.test_list:
            if not (folder / name).is_file():
                raise RuntimeError(f"Dataset not found or corrupted: no {folder / name}. You "
                                   f"can use download=True to download it")
            batch = load_batch(folder / name)
            data.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
            self.targets.extend(int(label) for label in batch[self.label_key])
        self.data = np.concatenate(data).transpose(0, 2, 3, 1)  # to (N, H, W, C)
        self.classes = list(load_batch(folder / self.meta["filename"])[self.meta["key"]])
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def _check_integrity(self) -> bool:
        folder = Path(self.root) / self.base_folder
        return all(check_integrity(folder / name, md5)
                   for name, md5 in self.train_list + self.test_list)

    def download(self) -> None:
        """Fetch and unpack the archive into ``root`` unless the batches are already there."""
        if not self._check_integrity():
            download_and_extract_archive(self.url, self.root, filename=self.filename,
                                         md5=self.tgz_md5)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        return self.apply(pil().fromarray(self.data[index]), self.targets[index])

    def extra_repr(self) -> str:
        """``'Split: Train'`` or ``'Split: Test'``, for the dataset's repr."""
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: the same images in 100 fine classes (``fine_labels``)."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
    label_key = "fine_labels"
