"""The README's example runs as written and prints what it promises."""
from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _section(title: str) -> str:
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _block(section: str, language: str) -> str:
    """The first fenced block of ``language`` in ``section``."""
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


def _run(code: str) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert out.returncode == 0, out.stderr
    return out


def test_readme_example_runs_and_recovers_the_weights():
    out = _run(_block(_section("A short example"), "python"))
    values = [float(v) for v in re.findall(r"-?\d+\.\d+", out.stdout)]
    assert len(values) == 3
    for got, want in zip(values, [1.0, -2.0, 0.5]):
        assert abs(got - want) < 1e-2


def _calls(table: str) -> dict:
    """Op name -> its number of calls, from a profiler table."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in table.splitlines()[3:]]
    return {cells[0]: cells[-1] for cells in rows if len(cells) == 7 and cells[0][0] != "-"}


def test_readme_profiler_table_is_what_the_snippet_prints():
    section = _section("Profiling")
    code, shown = _block(section, "python"), _block(section, "text")
    printed = _run(code).stdout
    assert [line.rstrip() for line in printed.splitlines()[:3]] == shown.splitlines()[:3]
    assert len(_calls(printed)) == len(_calls(shown)) == 8
    # Times vary, so the rows' order does; every op and count shown is one the step makes.
    every = _calls(_run(code.replace("row_limit=8", "row_limit=100")).stdout)
    assert _calls(shown).items() <= every.items()
    assert {"addmm": "2", "AddmmBackward0": "2", "relu": "1", "ReluBackward0": "1",
            "cross_entropy_loss": "1"}.items() <= every.items()


def test_readme_pretrained_models_print_what_is_shown(tmp_path):
    """The one-line hub call and the MiniLM search (the branch `hub`'s section)."""
    section = _section("Pretrained models")
    blocks = re.findall(r"```(python|text)\n(.*?)```", section, re.S)
    pairs = [(code, shown) for (kind, code), (_, shown) in zip(blocks, blocks[1:])
             if kind == "python"]
    assert len(pairs) == 2
    for code, shown in pairs:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=ROOT, timeout=300, env=dict(os.environ, PYTHONPATH=ROOT,
                                                             EMBER_HOME=str(tmp_path)))
        assert out.returncode == 0, out.stderr
        assert out.stdout == shown


def test_readme_graph_mode_saves_a_graph_that_runs_in_a_fresh_process(tmp_path):
    section = _section("Graph mode")
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    first = subprocess.run([sys.executable, "-c", blocks[0]], capture_output=True, text=True,
                           cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("def forward(input):") and "addmm(" in first.stdout
    second = subprocess.run([sys.executable, "-c", blocks[1]], capture_output=True, text=True,
                            cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "ember.Size([1, 2])"


def test_readme_onnx_export_runs_in_onnx_runtime(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", _section("Graph mode"), re.S)
    out = subprocess.run([sys.executable, "-c", blocks[2]], capture_output=True, text=True,
                         cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(3, 2) True"


def test_readme_whole_model_checkpoint_example():
    out = _run(_block(_section("Whole-model checkpoints"), "python"))
    assert "UnpicklingError ember.load refuses to load ember.nn.modules.container.Sequential" \
        in out.stdout
    assert "LSTM(16, 32, batch_first=True)" in out.stdout


def test_readme_vision_example_runs():
    out = _run(_block(_section("Computer vision"), "python"))
    assert out.stdout.strip() == "ember.Size([16, 10])"


def test_readme_debugging_section_prints_what_is_shown():
    """The improved error and the summary table (the branch `errors`' section)."""
    section = _section("Debugging a model")
    printed = _run(_block(section, "python")).stdout
    assert printed == _block(section, "text")
    assert "(64x100 and 10x10)\nin module \"encoder.2\" (Linear(" in printed
