"""The differential fuzzer (`tests/fuzzing.py`) over every public function and Tensor method:
random shapes (0-d and zero-size ones included), broadcasting pairs, every dtype, valid and
invalid dims and keywords. A case passes when Ember and PyTorch both succeed with the same
dtype, shape and values, or both raise the same exception class.

``EMBER_FUZZ_EXAMPLES`` sets the examples per name (2 by default, so that the suite stays
fast), drawn from hypothesis's fixed seed unless ``EMBER_FUZZ_RANDOM=1``; ``make fuzz`` runs
the long campaign (``python -m tests.fuzzing``), which prints each failing case's seed.
Failures that docs/differences.md explains (`fuzzing.DIFFERENCES`) pass.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from .fuzzing import DIFFERENCES, OPEN, Chooser, _Skip, case_dtypes, draw_case, explained, fuzzed_names, run

EXAMPLES = int(os.environ.get("EMBER_FUZZ_EXAMPLES", "2"))
RANDOM = os.environ.get("EMBER_FUZZ_RANDOM") == "1"


class HypothesisChooser(Chooser):
    """The fuzzer's choices drawn by hypothesis, which shrinks and replays them."""

    def __init__(self, data):
        self.data = data

    def integers(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def chance(self, p: float) -> bool:
        return self.data.draw(st.integers(0, 999)) < p * 1000


@pytest.mark.parametrize("name,method", [pytest.param(n, m, id=("Tensor." if m else "") + n)
                                         for n, m in fuzzed_names()])
@settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
          derandomize=not RANDOM,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_matches_torch(name, method, data):
    try:
        case = draw_case(HypothesisChooser(data), name, method)
    except _Skip:
        return
    problem = run(case)
    if problem is not None and explained(name, case_dtypes(case), problem, case) is None:
        label = ("Tensor." if method else "") + name
        if label in OPEN:
            pytest.xfail(f"open (docs/differences.md): {case!r}\n{problem}")
        pytest.fail(f"{case!r}\n{problem}")


def test_every_difference_is_documented():
    with open(os.path.join(os.path.dirname(__file__), "..", "docs", "differences.md")) as f:
        headings = {line[3:].strip() for line in f if line.startswith("## ")}
    missing = sorted({d.key for d in DIFFERENCES} - headings)
    assert not missing, f"differences without a section in docs/differences.md: {missing}"
