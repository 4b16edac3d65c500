"""Repositories from GitHub for the hub: which ref, whether the user trusts the repository,
and a cached, atomically unpacked copy of its code under the hub directory."""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import zipfile

from ._download import fetch_to_file, open_url

# Module constants, so tests (and mirrors) can point them elsewhere, e.g. at a file:// tree.
GITHUB = "https://github.com"
GITHUB_API = "https://api.github.com"
TRUSTED_LIST = "trusted_list"


def parse_repo(github: str) -> tuple[str, str, str | None]:
    """'owner/name[:ref]' as (owner, name, ref or None)."""
    spec, _, ref = github.partition(":")
    owner, slash, name = spec.partition("/")
    if not (owner and slash and name) or "/" in name:
        local = " (a local directory: pass source='local')" if os.path.isdir(github) else ""
        raise ValueError(f"ember.hub: a GitHub repository is 'owner/name' or "
                         f"'owner/name:ref', got {github!r}{local}")
    return owner, name, ref or None


def default_ref(owner: str, name: str, hub_dir: str) -> str:
    """'main' if the repository has that branch, else 'master'; offline, whichever of the
    two the cache holds."""
    import urllib.error
    try:
        open_url(f"{GITHUB}/{owner}/{name}/tree/main/").close()
        return "main"
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return "master"
        raise
    except urllib.error.URLError:
        for ref in ("main", "master"):
            if os.path.isdir(os.path.join(hub_dir, f"{owner}_{name}_{ref}")):
                return ref
        raise RuntimeError(f"ember.hub: no connection to {GITHUB} and no cached copy of "
                           f"{owner}/{name} in {hub_dir}; name the ref ('{owner}/{name}:main') "
                           f"or pass a local directory with source='local'") from None


def check_trusted(owner: str, name: str, repo_dir: str, hub_dir: str, trust_repo,
                  calling_fn: str) -> None:
    """Ask (or not, per ``trust_repo``) whether to run code from owner/name; remember yes.

    ``trust_repo``: True trusts without asking; False always asks; 'check' asks unless the
    repository is on the trusted list (``<hub_dir>/trusted_list``, one 'owner_name' a line)
    or was fetched before; None only warns about an untrusted repository.
    """
    trusted_list = os.path.join(hub_dir, TRUSTED_LIST)
    trusted = set()
    if os.path.exists(trusted_list):
        with open(trusted_list, encoding="utf-8") as f:
            trusted = {line.strip() for line in f}
    owner_name = f"{owner}_{name}"
    is_trusted = owner_name in trusted or os.path.isdir(repo_dir)
    if trust_repo is None:
        if not is_trusted:
            import warnings
            warnings.warn(f"ember.hub: you are about to download and run code from "
                          f"{owner}/{name}, which is not on your trusted list. Pass "
                          f"{calling_fn}(..., trust_repo=True) to trust it, or "
                          f"trust_repo='check' to be asked once.", stacklevel=4)
        return
    if trust_repo is False or (trust_repo == "check" and not is_trusted):
        answer = input(f"The repository {owner_name} does not belong to the list of trusted "
                       f"repositories and as such cannot be downloaded. Do you trust this "
                       f"repository and wish to add it to the trusted list of repositories "
                       f"(y/N)?").strip().lower()
        if answer in ("n", "no", ""):
            raise Exception("Untrusted repository.")
        if answer not in ("y", "yes"):
            raise ValueError(f"Unrecognized response {answer}.")
    if owner_name not in trusted:
        with open(trusted_list, "a", encoding="utf-8") as f:
            f.write(owner_name + "\n")


def validate_ref(owner: str, name: str, ref: str) -> None:
    """Raise ValueError unless ``ref`` is a branch, tag or commit of owner/name itself (a
    commit of a fork is reachable through the parent's URL: refuse it)."""
    headers = {"Accept": "application/vnd.github.v3+json"}
    for kind in ("branches", "tags"):
        page = 1
        while True:
            url = f"{GITHUB_API}/repos/{owner}/{name}/{kind}?per_page=100&page={page}"
            with open_url(url, " (pass skip_validation=True to skip this check)") as r:
                entries = json.loads(r.read())
            if any(e["name"] == ref or e["commit"]["sha"].startswith(ref) for e in entries):
                return
            if len(entries) < 100:  # the last page
                break
            page += 1
    raise ValueError(f"ember.hub: cannot find {ref} in {GITHUB}/{owner}/{name}. If it's a "
                     f"commit of a fork, load the fork's repository directly.")


def fetch(github: str, hub_dir: str, force_reload: bool, trust_repo, calling_fn: str,
          verbose: bool = True, skip_validation: bool = False) -> str:
    """The directory holding the code of ``github`` ('owner/name[:ref]'), downloaded into
    ``hub_dir`` unless a copy is there already (or ``force_reload``)."""
    os.makedirs(hub_dir, exist_ok=True)
    owner, name, ref = parse_repo(github)
    ref = ref or default_ref(owner, name, hub_dir)
    safe_ref = ref.replace("/", "_")
    repo_dir = os.path.join(hub_dir, f"{owner}_{name}_{safe_ref}")
    check_trusted(owner, name, repo_dir, hub_dir, trust_repo, calling_fn)
    if os.path.isdir(repo_dir) and not force_reload:
        if verbose:
            sys.stderr.write(f"Using cache found in {repo_dir}\n")
        return repo_dir
    if not skip_validation:
        validate_ref(owner, name, ref)
    archive = os.path.join(hub_dir, f"{safe_ref}.zip")
    url = f"{GITHUB}/{owner}/{name}/zipball/{ref}"
    if verbose:
        sys.stderr.write(f'Downloading: "{url}" to {archive}\n')
    fetch_to_file(url, archive, None, False, " (with no network, load a local copy of the "
                  "repository with source='local')")
    # Unpack beside the target, then swap it in: a failed unpack leaves the old copy alone.
    unpacked = tempfile.mkdtemp(dir=hub_dir, prefix=".unpacking-")
    try:
        with zipfile.ZipFile(archive) as z:
            top = z.namelist()[0].split("/")[0]
            z.extractall(unpacked)
        if os.path.isdir(repo_dir):
            shutil.rmtree(repo_dir)
        os.replace(os.path.join(unpacked, top), repo_dir)
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
        os.remove(archive)
    return repo_dir
