"""Every public name of the API reference has a docstring of more than one word, so do the
methods and properties on its classes' entries, and the examples in those docstrings run and
print what they say.

The names are the ones tools/gen_api_docs.py puts on the site. Each docstring's ``>>>``
examples run as a doctest, with ``ember``, ``np`` and the globals of the module defining the
name, in a fresh directory; an example must leave no global setting changed (it sets it
back itself). `tests/docstring_example_gaps.txt` lists the names whose examples don't run
yet (they assume a model, a process group, a file or a network); any other that fails, fails.
"""
import doctest
import importlib.util
import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_GAPS_FILE = Path(__file__).with_name("docstring_example_gaps.txt")


def _generator():
    spec = importlib.util.spec_from_file_location("gen_api_docs",
                                                  REPO / "tools" / "gen_api_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()
NAMES = GENERATOR.documented_names()


def docstring(obj) -> str | None:
    return obj.__doc__ if isinstance(obj, property) else getattr(obj, "__doc__", None)


def undocumented() -> list[str]:
    gaps = []
    for name, obj in NAMES.items():
        if not callable(obj) and not isinstance(obj, property):
            continue  # a constant (ember.pi): documented on its page, not by a docstring
        doc = docstring(obj)
        if not doc or len(doc.split()) <= 1:
            gaps.append(name)
    return sorted(gaps)


def _is_real(doc: str | None) -> bool:
    return bool(doc) and len(doc.split()) > 1


def _method_doc(member) -> str | None:
    if isinstance(member, (staticmethod, classmethod)):
        member = member.__func__
    return member.__doc__ if inspect.isfunction(member) or isinstance(member, property) else None


def undocumented_members() -> list[str]:
    """``Class.member`` for the public methods and properties shown on a class's entry whose
    docstring is missing or one word, here or on the method it overrides."""
    gaps = []
    for name, cls in NAMES.items():
        if not inspect.isclass(cls) or name.startswith("ember.Tensor."):
            continue
        for member_name, member in GENERATOR.public_members(cls).items():
            overridden = (_method_doc(vars(base).get(member_name)) for base in cls.__mro__[1:])
            if not _is_real(member.__doc__) and not any(map(_is_real, overridden)):
                gaps.append(f"{name}.{member_name}")
    return sorted(gaps)


def _with_members() -> dict[str, object]:
    """The public names, and the methods and properties on their classes' entries."""
    found = dict(NAMES)
    for name, cls in NAMES.items():
        if inspect.isclass(cls) and not name.startswith("ember.Tensor."):
            for member_name, member in GENERATOR.public_members(cls).items():
                found[f"{name}.{member_name}"] = member
    return found


EVERYTHING = _with_members()


def with_examples() -> list[str]:
    """The names whose docstring has examples, each docstring once (aliases share one)."""
    seen, names = set(), []
    for name, obj in sorted(EVERYTHING.items(), key=lambda item: (item[0] not in NAMES,
                                                                    item[0])):
        doc = docstring(obj)
        if doc and ">>>" in doc and doc not in seen:
            seen.add(doc)
            names.append(name)
    return sorted(names)


def _listed(path: Path) -> set[str]:
    lines = path.read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def known_example_gaps() -> set[str]:
    return _listed(EXAMPLE_GAPS_FILE)


def test_api_names_are_found():
    for expected in ("ember.nn.Linear", "ember.exp", "ember.Tensor.backward",
                     "ember.optim.Adam", "ember.utils.data.DataLoader", "ember.onnx.export",
                     "ember.jit.trace", "ember.hub.load", "ember.vision.models.resnet18"):
        assert expected in NAMES
    assert len(NAMES) > 1500


def test_every_public_name_has_a_docstring():
    missing = undocumented()
    assert not missing, (f"public names without a docstring (or a one-word one): {missing}; "
                         "write one (with a short example)")


def test_every_class_member_has_a_docstring():
    missing = undocumented_members()
    assert not missing, (f"methods or properties without a docstring (or a one-word one): "
                         f"{missing}; write one")


def test_the_one_word_check_catches_a_formula_alone():
    doc = "``-input``."  # what ember.neg had: one word to the check, and to a reader
    assert len(doc.split()) <= 1


def test_example_gaps_are_names_with_examples():
    stale = known_example_gaps() - set(with_examples())
    assert not stale, f"remove from {EXAMPLE_GAPS_FILE.name}: {sorted(stale)}"


def _settings() -> tuple:
    """The process-wide settings an example could change and forget to set back."""
    return (ember.get_default_dtype(), ember.get_num_threads(),
            dict(ember._settings._state), ember.autograd.is_anomaly_enabled(),
            ember.is_grad_enabled(), ember.is_autocast_cache_enabled(),
            ember.autograd.is_warn_graph_leak_enabled(), ember.hub.get_dir(),
            repr(ember._formatting.OPTIONS))


def _restore(settings: tuple) -> None:
    dtype, threads, state, anomaly, grad, autocast_cache, graph_leak, _, _ = settings
    ember.set_default_dtype(dtype)
    ember.set_num_threads(threads)
    ember._settings._state.update(state)
    ember.autograd.set_detect_anomaly(anomaly)
    ember.set_grad_enabled(grad)
    ember.set_autocast_cache_enabled(autocast_cache)
    ember.autograd.set_warn_graph_leak(graph_leak)
    ember.set_printoptions(profile="default")


@pytest.mark.parametrize("name", [n for n in with_examples() if n not in known_example_gaps()])
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ember.hub, "_hub_dir", ember.hub._hub_dir)  # set back after set_dir
    obj = EVERYTHING[name]
    code = obj.fget if isinstance(obj, property) else obj
    module = sys.modules.get(getattr(code, "__module__", None) or "")
    globs = {**(vars(module) if module else {}), "ember": ember, "np": np, "nn": ember.nn,
             "F": ember.nn.functional}
    test = doctest.DocTestParser().get_doctest(docstring(obj), globs, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    before = _settings()
    ember.manual_seed(0)
    try:
        runner.run(test, out=report.append, clear_globs=True)
        after = _settings()
    finally:
        _restore(before)  # so that one failure doesn't fail the examples after it
    assert not runner.failures, "".join(report)
    assert after == before, f"the examples of {name} leave a global setting changed"
