"""Thread counts: ember.set_num_threads and friends, with and without threadpoolctl."""
import sys
import warnings

import pytest
import threadpoolctl
import torch

import ember
from ember import _threads
from tests.helpers import assert_raises_like_torch


@pytest.fixture
def restore_threads():
    saved = dict(_threads._counts), _threads._warned[0]
    with threadpoolctl.threadpool_limits(limits=None, user_api="blas"):  # restored on exit
        yield
    _threads._counts.clear()
    _threads._counts.update(saved[0])
    _threads._warned[0] = saved[1]


def _blas_threads():
    return [info["num_threads"] for info in threadpoolctl.threadpool_info()
            if info["user_api"] == "blas"]


def test_defaults_are_positive_like_torch():
    assert isinstance(ember.get_num_threads(), int) and ember.get_num_threads() >= 1
    assert isinstance(ember.get_num_interop_threads(), int)
    assert ember.get_num_interop_threads() >= 1
    assert isinstance(torch.get_num_threads(), int)


def test_set_num_threads_limits_blas(restore_threads):
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    blas = _blas_threads()
    assert blas and all(n == 1 for n in blas)
    a = ember.randn(64, 64)
    assert (a @ a).shape == (64, 64)


def test_without_threadpoolctl_records_and_warns_once(restore_threads, monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import now fails
    _threads._warned[0] = False
    with pytest.warns(UserWarning, match="OPENBLAS_NUM_THREADS.*threadpoolctl"):
        ember.set_num_threads(3)
    assert ember.get_num_threads() == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.set_num_threads(2)  # the second call is silent
    assert ember.get_num_threads() == 2


def test_interop_threads_recorded(restore_threads):
    ember.set_num_interop_threads(2)
    assert ember.get_num_interop_threads() == 2


@pytest.mark.parametrize("name", ["set_num_threads", "set_num_interop_threads"])
@pytest.mark.parametrize("bad", [0, -1])
def test_non_positive_counts_raise_like_torch(name, bad):
    assert_raises_like_torch(getattr(ember, name), getattr(torch, name), bad)
    with pytest.raises(RuntimeError, match=f"{name} expects a positive integer"):
        getattr(ember, name)(bad)
