"""Every Python code block of every documentation page runs, so a tutorial cannot rot.

A page's ``python`` blocks run in order as one script (later blocks use what earlier ones
made), in a fresh process, in an empty folder, with this checkout's `ember` first on the path.
Blocks in other languages (``sh``, ``text``, ``pycon``) are shown, not run. The generated API
pages (docs/api/) are not read: their examples are docstrings, and the pages may not exist.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted(p for p in (REPO / "docs").rglob("*.md") if "api" not in p.relative_to(
    REPO / "docs").parts)
BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)
TIMEOUT_S = 300


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text())


def test_pages_are_found():
    names = {p.relative_to(REPO / "docs").as_posix() for p in PAGES}
    assert {"index.md", "migrating.md", "tutorials/quickstart.md"} <= names
    assert sum(len(python_blocks(p)) for p in PAGES) >= 20


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)],
                         ids=lambda p: p.relative_to(REPO / "docs").as_posix())
def test_page_code_runs(page, tmp_path):
    script = tmp_path / "page.py"
    script.write_text("\n\n".join(python_blocks(page)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO), os.environ.get("PYTHONPATH", "")]), MPLBACKEND="Agg",
        EMBER_HOME=str(tmp_path / "ember_home"))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, (
        f"{page.name}'s code failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
