"""The README's example runs as written and prints what it promises."""
from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _example_code() -> str:
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("## A short example", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs_and_recovers_the_weights():
    out = subprocess.run([sys.executable, "-c", _example_code()], capture_output=True,
                         text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert out.returncode == 0, out.stderr
    values = [float(v) for v in re.findall(r"-?\d+\.\d+", out.stdout)]
    assert len(values) == 3
    for got, want in zip(values, [1.0, -2.0, 0.5]):
        assert abs(got - want) < 1e-2
