"""Fetching files: one downloader for datasets and checkpoints, atomic and hash-checked.

A download streams into a temporary file beside the target and is renamed over it only
after its checksum matched, so an interrupted or corrupted download never leaves a file
that looks complete. Without a network the error names the URL and where to put the file
by hand.

>>> path = download_url("https://example.org/data.gz", "data", md5="...")
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["download_url", "check_integrity", "cache_dir", "load_state_dict_from_url"]

_TIMEOUT_S = 30
_CHUNK = 1 << 20


def _file_hash(path: str | os.PathLike, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_integrity(path: str | os.PathLike, md5: str | None = None) -> bool:
    """True when ``path`` exists and, if ``md5`` is given, its MD5 digest equals it.

    >>> check_integrity("data/train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873")
    """
    if not os.path.isfile(path):
        return False
    return md5 is None or _file_hash(path, "md5") == md5


def _progress_bar(total: int | None, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is optional: no bar without it
        return None
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024)


def _fetch(url: str, path: Path, progress: bool) -> str:
    """Stream ``url`` into a temporary file beside ``path``; return the temporary name."""
    try:
        response = urllib.request.urlopen(urllib.request.Request(
            url, headers={"User-Agent": "ember"}), timeout=_TIMEOUT_S)
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise RuntimeError(f"Could not download {url} ({reason}). Without a network, fetch "
                           f"the file elsewhere and place it at {path}") from err
    with response:
        length = response.headers.get("Content-Length")
        bar = _progress_bar(int(length) if length else None, progress)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name + ".",
                                         suffix=".partial", delete=False) as tmp:
            try:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    tmp.write(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            except BaseException:
                tmp.close()
                os.unlink(tmp.name)
                raise
            finally:
                if bar is not None:
                    bar.close()
    return tmp.name


def _commit(tmp_name: str, path: Path, algorithm: str | None, expected: str | None,
            url: str) -> None:
    """Rename the finished download into place if its digest starts with ``expected``."""
    if expected is not None:
        actual = _file_hash(tmp_name, algorithm)
        if not actual.startswith(expected):
            os.unlink(tmp_name)
            raise RuntimeError(f"invalid hash value of the file downloaded from {url}: "
                               f"expected {algorithm} {expected}, got {actual}")
    os.replace(tmp_name, path)


def download_url(url: str, root: str | os.PathLike, filename: str | None = None,
                 md5: str | None = None, progress: bool = True) -> Path:
    """Download ``url`` into ``root`` (as ``filename``, else the URL's basename) unless a file
    with the right MD5 is already there; return its path.

    >>> download_url("https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
    ...              "data/MNIST/raw", md5="ec29112dd5afa0611ce80d1b7f02629c")
    """
    root = Path(root).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    path = root / (filename or os.path.basename(urlparse(url).path))
    if check_integrity(path, md5):
        return path
    _commit(_fetch(url, path, progress), path, "md5" if md5 else None, md5, url)
    return path


def cache_dir() -> Path:
    """Where checkpoints are cached: ``$EMBER_HOME/hub/checkpoints``, by default under
    ``$XDG_CACHE_HOME`` (``~/.cache``) / ember."""
    cache = os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    home = os.environ.get("EMBER_HOME", os.path.join(cache, "ember"))
    return Path(home).expanduser() / "hub" / "checkpoints"


def load_state_dict_from_url(url: str, model_dir: str | os.PathLike | None = None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None) -> dict:
    """The state dict saved at ``url``: read from the cache, else downloaded into it first.

    With ``check_hash``, a fresh download must have a SHA-256 digest starting with the hex
    after the last ``-`` of its file name (PyTorch's naming: ``resnet18-f37072fd.pth``).

    >>> url = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    >>> state = load_state_dict_from_url(url, check_hash=True)
    """
    from ..serialization import load
    directory = Path(model_dir) if model_dir is not None else cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (file_name or os.path.basename(urlparse(url).path))
    if not path.is_file():
        prefix = path.stem.rsplit("-", 1)[-1] if check_hash and "-" in path.stem else None
        _commit(_fetch(url, path, progress), path, "sha256" if prefix else None, prefix, url)
    return load(path, map_location="cpu", weights_only=True)
