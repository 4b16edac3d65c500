"""Window functions (ember/_windows.py) against PyTorch's."""
from __future__ import annotations

import pytest
import torch

import ember

from .helpers import assert_close

WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("length", [0, 1, 2, 5, 16])
@pytest.mark.parametrize("periodic", [True, False])
def test_window_matches_torch(name, length, periodic):
    for dtype in ("float32", "float64"):
        e = getattr(ember, name)(length, periodic, dtype=getattr(ember, dtype))
        t = getattr(torch, name)(length, periodic, dtype=getattr(torch, dtype))
        assert_close(e, t, atol=1e-6 if dtype == "float32" else 1e-12)


def test_window_parameters_and_defaults():
    assert_close(ember.hamming_window(9, False, 0.5, 0.3), torch.hamming_window(9, False, 0.5, 0.3))
    assert_close(ember.kaiser_window(9, True, 5.0), torch.kaiser_window(9, True, 5.0))
    assert_close(ember.hann_window(7), torch.hann_window(7))
    assert ember.hann_window(4, requires_grad=True).requires_grad


@pytest.mark.parametrize("name", WINDOWS)
def test_window_refuses_bad_length_and_dtype(name):
    for fn in (lambda m: getattr(m, name)(-1), lambda m: getattr(m, name)(4, dtype=m.int64)):
        with pytest.raises(RuntimeError):
            fn(torch)
        with pytest.raises(RuntimeError, match=name):
            fn(ember)
