"""Every public name of the API reference has a docstring of more than one word.

The names are the ones tools/gen_api_docs.py puts on the site. `tests/docstring_gaps.txt`
lists today's known gaps; a name missing from it that lacks a docstring fails, so new public
names come documented. Write a docstring, then delete the name from the list.
"""
import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GAPS_FILE = Path(__file__).with_name("docstring_gaps.txt")


def _generator():
    spec = importlib.util.spec_from_file_location("gen_api_docs",
                                                  REPO / "tools" / "gen_api_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def undocumented() -> list[str]:
    gaps = []
    for name, obj in _generator().documented_names().items():
        doc = getattr(obj, "__doc__", None)
        if isinstance(obj, property):
            doc = obj.__doc__
        elif not callable(obj):
            continue  # a constant (ember.pi): documented on its page, not by a docstring
        if not doc or len(doc.split()) <= 1:
            gaps.append(name)
    return sorted(gaps)


def known_gaps() -> set[str]:
    lines = GAPS_FILE.read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_api_names_are_found():
    names = _generator().documented_names()
    for expected in ("ember.nn.Linear", "ember.exp", "ember.Tensor.backward",
                     "ember.optim.Adam", "ember.utils.data.DataLoader", "ember.onnx.export",
                     "ember.jit.trace", "ember.hub.load", "ember.vision.models.resnet18"):
        assert expected in names
    assert len(names) > 1500


def test_no_new_public_name_without_docstring():
    new = [name for name in undocumented() if name not in known_gaps()]
    assert not new, (f"public names without a docstring (or a one-word one): {new}; "
                     "write one (with a short example)")
