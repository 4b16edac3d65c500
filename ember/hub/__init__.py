"""`ember.hub`: models published as code plus weights, loaded in one line.

A hub repository is a directory (local, or a GitHub repository fetched into the hub cache)
with a ``hubconf.py`` at its root. That file lists the packages its models need in
``dependencies`` and defines one *entry point* per model: a public function that builds
the model and takes its options as keyword arguments (``pretrained=True`` by convention),
documented by its docstring::

    dependencies = ["numpy"]

    def tiny_mlp(pretrained: bool = False, width: int = 32):
        '''A two-layer MLP; pretrained=True loads its weights.'''
        model = ember.nn.Sequential(...)
        if pretrained:
            model.load_state_dict(ember.hub.load_state_dict_from_url(URL, check_hash=True))
        return model

Loading runs that file: **it executes the repository's Python code**, with the rights of
your program. That is why a GitHub repository must be trusted first (``trust_repo``); a
local directory is taken to be yours and is run without asking.

Files live under `get_dir()`: ``$EMBER_HOME/hub``, by default ``~/.cache/ember/hub``
(``$XDG_CACHE_HOME/ember/hub`` when that is set); `set_dir` moves it.

>>> model = ember.hub.load('.', 'digits_cnn', source='local', pretrained=True)
"""
from __future__ import annotations

import builtins
import contextlib
import importlib.util
import os
import sys
from types import ModuleType
from typing import Any, Callable

from ._download import download_url_to_file, load_state_dict_from_url  # noqa: F401

__all__ = ["load", "list", "help", "get_dir", "set_dir", "download_url_to_file",
           "load_state_dict_from_url"]

ENV_EMBER_HOME = "EMBER_HOME"
HUBCONF = "hubconf.py"
_hub_dir: str | None = None


def get_dir() -> str:
    """The directory holding downloaded repositories, the trusted list and ``checkpoints/``.

    >>> ember.hub.get_dir()   # $EMBER_HOME/hub, else ~/.cache/ember/hub
    '.../hub'
    """
    if _hub_dir is not None:
        return _hub_dir
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    home = os.getenv(ENV_EMBER_HOME, os.path.join(cache, "ember"))
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use ``d`` as the hub directory from now on (instead of ``$EMBER_HOME/hub``).

    >>> before = ember.hub.get_dir()
    >>> ember.hub.set_dir('/data/ember-hub'); ember.hub.get_dir()
    '/data/ember-hub'
    >>> ember.hub.set_dir(before)
    """
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def _repo_dir(repo_or_dir: str, source: str, trust_repo, force_reload: bool, verbose: bool,
              skip_validation: bool, calling_fn: str) -> str:
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "local":
        return os.path.abspath(os.path.expanduser(os.fspath(repo_or_dir)))
    from ._github import fetch
    return fetch(repo_or_dir, get_dir(), force_reload, trust_repo, calling_fn, verbose,
                 skip_validation)


@contextlib.contextmanager
def _on_sys_path(directory: str):
    """Let a hubconf (and the entry points it runs) import the modules of its repository."""
    sys.path.insert(0, directory)
    try:
        yield
    finally:
        sys.path.remove(directory)


def _import_hubconf(repo_dir: str) -> ModuleType:
    path = os.path.join(repo_dir, HUBCONF)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ember.hub: {repo_dir} is not a hub repository: it has no "
                                f"{HUBCONF}")
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [name for name in getattr(module, "dependencies", None) or ()
               if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)} (needed by {path})")
    return module


def _entry(module: ModuleType, model: str) -> Callable:
    if not isinstance(model, str):
        raise ValueError(f"Invalid input: model should be a string of function name, got "
                         f"{type(model).__name__}")
    entry = getattr(module, model, None)
    if entry is None or not callable(entry):
        raise RuntimeError(f"Cannot find callable {model} in hubconf ({module.__file__})")
    return entry


def list(github: str, force_reload: bool = False, skip_validation: bool = False,
         trust_repo="check", verbose: bool = True,
         source: str = "github") -> builtins.list[str]:
    """The names of the entry points a repository's hubconf.py defines.

    >>> ember.hub.list('/path/to/ember', source='local')
    ['all_minilm_l6_v2', 'digits_cnn']
    """
    repo_dir = _repo_dir(github, source, trust_repo, force_reload, verbose, skip_validation,
                         "list")
    with _on_sys_path(repo_dir):
        module = _import_hubconf(repo_dir)
    return [name for name in dir(module)
            if not name.startswith("_") and callable(getattr(module, name))]


def help(github: str, model: str, force_reload: bool = False, skip_validation: bool = False,
         trust_repo="check", source: str = "github") -> str | None:
    """The docstring of entry point ``model`` of a repository's hubconf.py.

    >>> print(ember.hub.help('/path/to/ember', 'digits_cnn', source='local'))
    """
    repo_dir = _repo_dir(github, source, trust_repo, force_reload, True, skip_validation,
                         "help")
    with _on_sys_path(repo_dir):
        return _entry(_import_hubconf(repo_dir), model).__doc__


def load(repo_or_dir: str, model: str, *args, source: str = "github", trust_repo="check",
         force_reload: bool = False, verbose: bool = True, skip_validation: bool = False,
         **kwargs) -> Any:
    """What entry point ``model`` of a hub repository returns for ``*args, **kwargs``.

    ``repo_or_dir`` is 'owner/name[:ref]' with ``source='github'`` (fetched into `get_dir()`
    once, then reused unless ``force_reload``; ``skip_validation`` skips asking GitHub's API
    whether the ref belongs to that repository) or a directory with ``source='local'``.
    ``trust_repo`` (GitHub only): True, False (always ask), 'check' (ask unless trusted
    before) or None (warn). Running the hubconf runs the repository's code.

    >>> model = ember.hub.load('/path/to/ember', 'digits_cnn', source='local', pretrained=True)
    """
    repo_dir = _repo_dir(repo_or_dir, source, trust_repo, force_reload, verbose,
                         skip_validation, "load")
    with _on_sys_path(repo_dir):
        return _entry(_import_hubconf(repo_dir), model)(*args, **kwargs)
