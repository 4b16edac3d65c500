"""Shows docstring examples (``>>>`` lines and their output) as Python code blocks, and
drops the builtin-type docstrings that inspection finds on class attributes.

Ember's docstrings write examples as doctest sessions anywhere in the text; read as Markdown,
their output lines (``['fc1.weight', 'fc1.bias']``, ``x[0][1]``) would be taken for links.
mkdocs.yml loads this file as a griffe extension; tools/gen_api_docs.py uses `fence_examples`
for the entries it writes itself, so both kinds of entry look the same.
"""
from __future__ import annotations

import inspect

import griffe


def fence_examples(doc: str) -> str:
    """``doc`` with each run of ``>>>`` lines (and the output after them, up to a blank line)
    in a ``pycon`` code block."""
    out, in_example = [], False
    for line in inspect.cleandoc(doc).splitlines():
        if line.lstrip().startswith(">>>") and not in_example:
            out += ["", "```pycon"]
            in_example = True
        elif in_example and not line.strip():
            out += ["```", ""]
            in_example = False
        out.append(line.strip() if in_example else line)
    if in_example:
        out.append("```")
    return "\n".join(out)


# Inspecting a class attribute (``acc_policy = "auto"``) finds its value's type's docstring.
_BUILTIN_DOCS = {inspect.cleandoc(t.__doc__) for t in (str, int, float, bool, bytes, tuple,
                                                       list, dict, set, frozenset)}


class FenceExamples(griffe.Extension):
    def on_object(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None and obj.is_attribute and (
                inspect.cleandoc(obj.docstring.value) in _BUILTIN_DOCS):
            obj.docstring = None
        elif obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_examples(obj.docstring.value)
