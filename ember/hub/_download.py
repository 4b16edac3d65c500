"""Downloads for the hub: a URL to a file, atomically and optionally hash-checked, and a
checkpoint from a URL through a cache directory.

Any URL ``urllib`` opens works: ``https://`` on a connected machine, ``file://`` anywhere.
Offline, a network URL fails within seconds with an error that names it.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from typing import Any

# The hex digits after the last '-' of a file name, before its extension: the first digits
# of the file's SHA-256 (``digits_cnn-5e3b1a0c.safetensors``).
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_CHUNK = 128 * 1024
_TIMEOUT_S = 10.0  # to connect and between reads: an offline machine fails fast


def open_url(url: str, offline_hint: str = ""):
    """The response to ``url``, or a ``URLError`` naming it (and ``offline_hint``)."""
    import urllib.error
    import urllib.request
    request = urllib.request.Request(url, headers={"User-Agent": "ember.hub"})
    try:
        return urllib.request.urlopen(request, timeout=_TIMEOUT_S)
    except urllib.error.HTTPError as e:  # the server answered: name the URL in the message
        raise urllib.error.HTTPError(url, e.code, f"{e.reason} (ember.hub: fetching {url})",
                                     e.headers, None) from None
    except (urllib.error.URLError, OSError) as e:  # no route, no DNS, timeout, no file
        reason = getattr(e, "reason", e)
        raise urllib.error.URLError(f"ember.hub: could not fetch {url}: {reason}"
                                    f"{offline_hint}") from None


def _progress_bar(total: int | None, enabled: bool):
    """A tqdm bar in bytes, or None (``enabled`` is off, or tqdm is not installed)."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is cosmetic; the download does not need it
        return None
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr)


def download_url_to_file(url: str, dst: str | os.PathLike, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Download ``url`` to the path ``dst``, atomically.

    The bytes go to a temporary file beside ``dst``, which replaces ``dst`` only once the
    download is complete and, when ``hash_prefix`` is given, its SHA-256 hex digest starts
    with it; a failed or mismatched download leaves no file behind. ``progress`` shows a
    tqdm bar on stderr.

    >>> ember.hub.download_url_to_file('file:///tmp/weights.pt', '/tmp/copy.pt')
    """
    dst = os.path.abspath(os.path.expanduser(os.fspath(dst)))
    fetch_to_file(url, dst, hash_prefix, progress,
                  f" (with no network, put the file at {dst} yourself, or use a file:// URL)")


def fetch_to_file(url: str, dst: str, hash_prefix: str | None, progress: bool,
                  offline_hint: str, algorithm: str = "sha256") -> None:
    """`download_url_to_file` with the advice its offline error gives, checking the digest
    of ``algorithm`` (datasets publish MD5 sums, checkpoints SHA-256 prefixes)."""
    digest = hashlib.new(algorithm)
    with open_url(url, offline_hint) as response:
        length = response.headers.get("Content-Length")
        bar = _progress_bar(int(length) if length else None, progress)
        partial = tempfile.NamedTemporaryFile(dir=os.path.dirname(dst), delete=False,
                                              prefix=os.path.basename(dst) + ".",
                                              suffix=".partial")
        try:
            with partial:
                while chunk := response.read(_CHUNK):
                    partial.write(chunk)
                    digest.update(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
                partial.flush()
                os.fsync(partial.fileno())
            actual = digest.hexdigest()
            if hash_prefix is not None and not actual.startswith(hash_prefix):
                raise RuntimeError(f'ember.hub: invalid hash value for {url} (expected '
                                   f'{algorithm} "{hash_prefix}", got "{actual}"); nothing '
                                   f'was saved')
            os.replace(partial.name, dst)
        finally:
            if bar is not None:
                bar.close()
            if os.path.exists(partial.name):
                os.remove(partial.name)


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None,
                             weights_only: bool = False) -> dict[str, Any]:
    """The object saved at ``url`` (usually a state_dict), through a cache directory.

    The file is downloaded once into ``model_dir`` (default ``<get_dir()>/checkpoints``)
    under ``file_name`` (default: the URL's last path part) and read from there afterwards.
    ``check_hash`` checks a fresh download against the SHA-256 prefix in the file name
    (``name-<hex digits>.ext``). ``.safetensors`` files are read as such; anything else goes
    through `ember.load` with ``map_location`` and ``weights_only``.

    >>> state = ember.hub.load_state_dict_from_url('file:///srv/digits-5e3b1a0c.pt',
    ...                                            check_hash=True)
    """
    from . import get_dir
    model_dir = os.path.expanduser(model_dir or os.path.join(get_dir(), "checkpoints"))
    os.makedirs(model_dir, exist_ok=True)
    from urllib.parse import urlparse
    file_name = file_name or os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, file_name)
    if not os.path.exists(cached_file):
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(file_name)
            if match is None:
                raise ValueError(f"ember.hub: check_hash needs the file name to carry a SHA-256 "
                                 f"prefix, as 'name-<hex digits>.ext'; got {file_name!r}")
            hash_prefix = match.group(1)
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    if file_name.endswith(".safetensors"):
        from .._device import device
        from ..utils.safetensors import load_file
        if not (map_location is None or isinstance(map_location, (str, device))):
            raise TypeError(f"ember.hub: a .safetensors file loads onto one device; "
                            f"map_location must be a device or a string, got "
                            f"{type(map_location).__name__}")
        return load_file(cached_file, device=map_location or "cpu")
    from ..serialization import load
    return load(cached_file, map_location=map_location, weights_only=weights_only)
