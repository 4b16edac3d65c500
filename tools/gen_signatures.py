"""Write ember/_signature_table.py: PyTorch's parameter lists for every public function and
Tensor method that Ember offers, read from the installed PyTorch (`tests/torch_signatures.py`).

    python tools/gen_signatures.py

Run it after adding a public function or method; `tests/test_signatures.py` fails until the
table covers it.
"""
from __future__ import annotations

import inspect
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ember  # noqa: E402
from tests.torch_signatures import torch_overloads, public_functions, public_methods  # noqa: E402


def _entries(names, method):
    lines = []
    for name in names:
        found = torch_overloads(name, method)
        if found:
            body = ", ".join(repr(s) for s in found)
            lines.append(f"    {name!r}: ({body},),")
    return lines


def main() -> None:
    text = [
        '"""PyTorch\'s parameter lists (names, order, keyword-only markers, defaults), one tuple',
        "of overloads per public function and Tensor method: the table `ember._signatures` binds",
        "keyword calls with. Written by tools/gen_signatures.py from the installed PyTorch; do not",
        'edit by hand."""',
        "# flake8: noqa: E501",
        "FUNCTIONS = {",
        *_entries(public_functions(ember), False),
        "}",
        "",
        "METHODS = {",
        *_entries(public_methods(ember), True),
        "}",
        "",
    ]
    with open(os.path.join(ROOT, "ember", "_signature_table.py"), "w") as f:
        f.write("\n".join(text))


if __name__ == "__main__":
    main()
