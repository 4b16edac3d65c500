"""Writes the API reference pages (docs/api/*.md) from the package itself, so that a public
name cannot be left out of the site: `make docs` runs this before `mkdocs build --strict`.

Names whose code lives where their module says (classes, most library functions) become a
mkdocstrings ``:::`` block, rendered from the docstring and the real signature. The op table's
functions and Tensor methods are made by `ember.ops._op` at import time, so mkdocstrings cannot
find their source: this script writes their entries itself (signature, docstring) and links
each to the file of the op table that holds its forward and derivative.

Usage: python tools/gen_api_docs.py [OUT_DIR]   (default docs/api)
"""
from __future__ import annotations

import importlib
import inspect
import sys
import types
from pathlib import Path

import ember
from ember.ops._op import TABLE, COMPOSITES

# (page, namespace, title, what the page holds)
PAGES = [
    ("ember", "ember", "ember", "functions"),
    ("tensor", "ember.Tensor", "ember.Tensor", "methods"),
    ("autograd", "ember.autograd", "ember.autograd", "all"),
    ("nn", "ember.nn", "ember.nn (modules)", "all"),
    ("nn.functional", "ember.nn.functional", "ember.nn.functional", "all"),
    ("nn.init", "ember.nn.init", "ember.nn.init", "all"),
    ("nn.utils", "ember.nn.utils", "ember.nn.utils", "all"),
    ("optim", "ember.optim", "ember.optim", "all"),
    ("optim.lr_scheduler", "ember.optim.lr_scheduler", "ember.optim.lr_scheduler", "all"),
    ("utils.data", "ember.utils.data", "ember.utils.data", "all"),
    ("amp", "ember.amp", "ember.amp", "all"),
    ("func", "ember.func", "ember.func", "all"),
    ("fft", "ember.fft", "ember.fft", "all"),
    ("linalg", "ember.linalg", "ember.linalg", "all"),
    ("special", "ember.special", "ember.special", "all"),
    ("distributions", "ember.distributions", "ember.distributions", "all"),
    ("profiler", "ember.profiler", "ember.profiler", "all"),
    ("utils.tensorboard", "ember.utils.tensorboard", "ember.utils.tensorboard", "all"),
    ("jit", "ember.jit", "ember.jit", "all"),
    ("compiler", "ember.compiler", "ember.compiler (ember.compile)", "all"),
    ("onnx", "ember.onnx", "ember.onnx", "all"),
    ("distributed", "ember.distributed", "ember.distributed", "all"),
    ("hub", "ember.hub", "ember.hub", "all"),
    ("text", "ember.text", "ember.text", "all"),
    ("vision", "ember.vision", "ember.vision", "all"),
    ("vision.transforms", "ember.vision.transforms", "ember.vision.transforms", "all"),
    ("vision.datasets", "ember.vision.datasets", "ember.vision.datasets", "all"),
    ("vision.models", "ember.vision.models", "ember.vision.models", "all"),
    ("vision.ops", "ember.vision.ops", "ember.vision.ops", "all"),
    ("vision.utils", "ember.vision.utils", "ember.vision.utils", "all"),
]

# The op table's generated function of each public op name -> the file holding its forward.
_FAMILY = {entry.fn: entry.forward.__module__ for entry in TABLE.values()}
for _composite in COMPOSITES.values():  # an alias of a table op keeps that op's file
    _FAMILY.setdefault(_composite.fn, _composite.fn.__module__)


def resolve(path: str):
    """The object at a dotted path (``ember.nn.functional``, ``ember.Tensor``)."""
    try:
        return importlib.import_module(path)
    except ImportError:
        parent, _, name = path.rpartition(".")
        return getattr(resolve(parent), name)


def public_names(namespace) -> list[str]:
    """The public names a namespace offers: its ``__all__``, else what ``dir`` shows that is
    neither private nor a submodule nor a typing helper."""
    names = getattr(namespace, "__all__", None)
    if names is None:
        names = [n for n in dir(namespace) if not n.startswith("_")]
    keep = []
    for name in names:
        if name.startswith("_"):
            continue
        obj = getattr(namespace, name, None)
        if isinstance(obj, types.ModuleType) or obj is None:
            continue
        module = getattr(obj, "__module__", None) or ""
        if module in ("typing", "collections.abc", "__future__") or module.startswith("typing"):
            continue
        keep.append(name)
    return sorted(set(keep), key=str.lower)


def is_documentable(obj) -> bool:
    """Whether mkdocstrings can find this object's source: it must live where its
    ``__module__`` and ``__qualname__`` say (the op table's generated functions don't)."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or module == "ember.ops._op" or "<" in qualname:
        return False
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return False
    try:
        target = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        return False
    return target is obj


def signature_of(name: str, obj) -> str:
    try:
        return f"{name}{inspect.signature(obj)}"
    except (TypeError, ValueError):
        return f"{name}(...)"


def docstring_markdown(doc: str | None) -> str:
    from griffe_doctest import fence_examples  # griffe comes with the docs extra only
    return fence_examples(doc) if doc else "*No docstring yet.*"


def op_table_note(obj) -> str:
    module = _FAMILY.get(obj)
    if module is None:
        return ""
    family = module.rsplit(".", 1)[1]
    return (f"\n\n*Op table:* forward and derivative in `ember/ops/{family}.py` "
            f"([family `{family}`](op_table.md#{family.replace('_', '-')})).")


def hand_entry(qualified: str, obj) -> str:
    """An entry written here, for what mkdocstrings cannot inspect."""
    anchor = qualified
    head = f"## `{qualified.rsplit('.', 1)[1]}` {{ #{anchor} }}"
    sig = signature_of(qualified, obj) if callable(obj) else f"{qualified} = {obj!r}"
    doc = docstring_markdown(getattr(obj, "__doc__", None) if callable(obj) else None)
    return f"{head}\n\n```python\n{sig}\n```\n\n{doc}{op_table_note(obj)}\n"


def _is_private_base(cls) -> bool:
    """A base class the site has no page entry for: a mixin in a private module
    (``ember.nn.modules._state_dict.StateDictMixin``) or with a private name."""
    parts = f"{cls.__module__}.{cls.__qualname__}".split(".")
    return cls is not object and any(part.startswith("_") for part in parts)


def public_members(cls) -> dict[str, object]:
    """The public methods and properties a class's entry shows: its own, and those it gets
    from the private bases before its first public one (whose entry shows the rest)."""
    owners = [cls]
    for base in cls.__mro__[1:]:
        if not _is_private_base(base):
            break
        owners.append(base)
    members = {}
    for owner in reversed(owners):
        for name, member in vars(owner).items():
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if not name.startswith("_") and (inspect.isfunction(member)
                                             or isinstance(member, property)):
                members[name] = member
    return members


def inherited_from_private_bases(cls) -> list[str]:
    """What mkdocstrings must be told to show: members a class gets from private bases."""
    own = vars(cls)
    return sorted(name for name in public_members(cls) if name not in own)


def documented_names() -> dict[str, object]:
    """Every public name the API pages document, qualified (``ember.nn.Linear``), with its
    object: what tests/test_docstrings.py checks."""
    names = {}
    for _, namespace_path, _, kind in PAGES:
        namespace = resolve(namespace_path)
        if kind == "methods":
            for name in dir(namespace):
                if not name.startswith("_"):
                    names[f"{namespace_path}.{name}"] = inspect.getattr_static(namespace, name)
            continue
        for name in public_names(namespace):
            obj = getattr(namespace, name)
            if callable(obj) and not (kind == "functions" and inspect.isclass(obj)):
                names[f"{namespace_path}.{name}"] = obj
    return names


def page(namespace_path: str, title: str, kind: str) -> str:
    namespace = resolve(namespace_path)
    intro = docstring_markdown(namespace.__doc__) if kind != "functions" else (
        "The functions of the `ember` namespace (PyTorch's `torch.*`). Those made from the op "
        "table link to the file that holds their forward and derivative.")
    parts = [f"# {title}\n", intro if namespace.__doc__ or kind == "functions" else "", ""]
    if kind == "methods":
        names = sorted({n for n in dir(namespace) if not n.startswith("_")}, key=str.lower)
        for name in names:
            member = inspect.getattr_static(namespace, name)
            obj = getattr(namespace, name)
            if isinstance(member, property):
                parts.append(f"## `{name}` {{ #ember.Tensor.{name} }}\n\nProperty. "
                             f"{docstring_markdown(member.__doc__)}\n")
            elif callable(obj):
                parts.append(hand_entry(f"ember.Tensor.{name}", obj))
        return "\n".join(parts)
    for name in public_names(namespace):
        obj = getattr(namespace, name)
        if kind == "functions" and (inspect.isclass(obj) or not callable(obj)):
            continue
        qualified = f"{namespace_path}.{name}"
        if is_documentable(obj):
            inherited = inherited_from_private_bases(obj) if inspect.isclass(obj) else []
            options = (f"    options:\n      inherited_members: {inherited}\n" if inherited
                       else "")
            parts.append(f"::: {qualified}\n{options}")
        elif callable(obj):
            parts.append(hand_entry(qualified, obj))
        else:
            parts.append(f"## `{name}` {{ #{qualified} }}\n\n`{qualified} = {obj!r}`\n")
    return "\n".join(parts)


def op_table_page() -> str:
    """Every op of the table, grouped by the file that defines it with its derivative."""
    families: dict[str, list] = {}
    for entry in TABLE.values():
        families.setdefault(entry.forward.__module__.rsplit(".", 1)[1], []).append(
            (entry.name, str(entry.nin) if entry.nin != -1 else "list",
             "yes" if entry.backward else "no", "yes" if entry.elementwise else "",
             entry.view or "", entry.onnx_lowering if isinstance(entry.onnx_lowering, str)
             else ("custom" if entry.onnx_lowering else "")))
    for name, entry in COMPOSITES.items():
        families.setdefault(_FAMILY[entry.fn].rsplit(".", 1)[1], []).append(
            (name, "", "composite", "", "", ""))
    out = ["# The op table\n",
           "Every differentiable operation is declared once in `ember/ops/<family>.py`: its "
           "forward on NumPy/CuPy arrays, its derivative written with Ember ops (so gradients "
           "of gradients work), its flags and its ONNX lowering. `ember.<name>`, "
           "`Tensor.<name>`, the tracer and the ONNX exporter are all made from this table. "
           "The [custom op tutorial](../tutorials/custom_ops.md) shows how to add one.\n"]
    for family in sorted(families):
        out.append(f"## {family} {{ #{family.replace('_', '-')} }}\n")
        out.append(f"File: `ember/ops/{family}.py`\n")
        out.append("| op | inputs | derivative | elementwise | view | ONNX |")
        out.append("|---|---|---|---|---|---|")
        for name, *facts in sorted(families[family]):
            out.append(f"| `{name}` | " + " | ".join(facts) + " |")
        out.append("")
    return "\n".join(out)


def main(out_dir: str = "docs/api") -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    index = ["# API reference\n", "One page per public namespace, generated from the "
             "docstrings by `tools/gen_api_docs.py`.\n"]
    for name, namespace_path, title, kind in PAGES:
        (out / f"{name}.md").write_text(page(namespace_path, title, kind))
        index.append(f"- [{title}]({name}.md)")
    index.append("- [The op table](op_table.md)")
    (out / "index.md").write_text("\n".join(index) + "\n")
    (out / "op_table.md").write_text(op_table_page())
    print(f"wrote {len(PAGES) + 2} pages to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
