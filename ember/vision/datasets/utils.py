"""Download and archive helpers for datasets (the downloader itself is `vision._download`)."""
from __future__ import annotations

import os
import tarfile
from pathlib import Path

from .._download import check_integrity, download_url

__all__ = ["download_url", "check_integrity", "extract_archive", "download_and_extract_archive"]


def extract_archive(from_path: str | os.PathLike, to_path: str | os.PathLike | None = None,
                    remove_finished: bool = False) -> Path:
    """Unpack a tar (optionally gzip/bz2/xz-compressed) archive; members that would land
    outside ``to_path`` (absolute paths, '..', links) are refused.

    >>> extract_archive("data/cifar-10-python.tar.gz", "data")
    """
    to_path = Path(to_path if to_path is not None else os.path.dirname(from_path))
    with tarfile.open(from_path) as archive:
        archive.extractall(to_path, filter="data")
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url: str, download_root: str | os.PathLike,
                                 extract_root: str | os.PathLike | None = None,
                                 filename: str | None = None, md5: str | None = None,
                                 remove_finished: bool = False) -> None:
    """`download_url` then `extract_archive` (into ``download_root`` by default)."""
    path = download_url(url, download_root, filename, md5)
    extract_archive(path, extract_root or download_root, remove_finished)
