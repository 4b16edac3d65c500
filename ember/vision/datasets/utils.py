"""Download and archive helpers for datasets.

Downloads go through the hub's downloader (`ember.hub.download_url_to_file`): streamed into a
temporary file beside the target and renamed over it only once its MD5 matched, so an
interrupted or corrupted download never leaves a file that looks complete.
"""
from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["download_url", "check_integrity", "extract_archive", "download_and_extract_archive"]


def check_integrity(path: str | os.PathLike, md5: str | None = None) -> bool:
    """True when ``path`` exists and, if ``md5`` is given, its MD5 digest equals it.

    >>> check_integrity("data/train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873")
    """
    if not os.path.isfile(path):
        return False
    if md5 is None:
        return True
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == md5


def download_url(url: str, root: str | os.PathLike, filename: str | None = None,
                 md5: str | None = None, progress: bool = True) -> Path:
    """Download ``url`` into ``root`` (as ``filename``, else the URL's basename) unless a file
    with the right MD5 is already there; return its path. Offline, the ``URLError`` names the
    URL and where to put the file by hand.

    >>> download_url("https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
    ...              "data/MNIST/raw", md5="ec29112dd5afa0611ce80d1b7f02629c")
    """
    from ...hub._download import fetch_to_file
    root = Path(root).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    path = root / (filename or os.path.basename(urlparse(url).path))
    if not check_integrity(path, md5):
        fetch_to_file(url, str(path), md5, progress,
                      f" (with no network, fetch it elsewhere and put it at {path})", "md5")
    return path


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
