"""Errors users can act on: same exception type as PyTorch, and a message that names the
problem (exact PyTorch wording where users search for it)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import assert_raises_like_torch


def _message(fn, m) -> str:
    with pytest.raises(Exception) as info:
        fn(m)
    return str(info.value).replace("ember", "torch")


def _freed_graph(m):
    x = m.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _saved_input_modified(m):
    x = m.ones(2, requires_grad=True)
    y = x * 2
    z = y * y
    y.add_(1)
    z.sum().backward()


def _saved_leafless_input_modified(m):
    x = m.ones(2, requires_grad=True)
    w = m.ones(2)
    z = x * w
    w.add_(1)
    z.sum().backward()


def _saved_output_modified(m):
    x = m.ones(2, 3, requires_grad=True)
    y = x.exp()
    y.mul_(2)
    y.sum().backward()


@pytest.mark.parametrize("case", [_freed_graph, _saved_input_modified,
                                  _saved_leafless_input_modified, _saved_output_modified])
def test_autograd_errors_have_torch_wording(case):
    assert _message(case, ember) == _message(case, torch)
    assert_raises_like_torch(lambda: case(ember), lambda: case(torch))


def test_version_message_names_both_versions():
    message = _message(_saved_output_modified, ember)
    assert "is at version 1; expected version 0 instead" in message
    assert "[torch.FloatTensor [2, 3]], which is output 0 of Exp" in message


CASES = {
    "backward of non-scalar": lambda m: (m.ones(2, requires_grad=True) * 2).backward(),
    "backward of a constant": lambda m: m.ones(2).sum().backward(),
    "requires_grad on int": lambda m: m.ones(2, dtype=m.int64).requires_grad_(),
    "requires_grad int factory": lambda m: m.zeros(2, dtype=m.int32, requires_grad=True),
    "numpy of requires_grad": lambda m: m.ones(2, requires_grad=True).numpy(),
    "bitwise on float": lambda m: m.bitwise_and(m.ones(2), m.ones(2)),
    "mean of int": lambda m: m.ones(2, dtype=m.int64).mean(),
    "rand of int": lambda m: m.rand(2, dtype=m.int64),
    "in-place on leaf": lambda m: m.ones(2, requires_grad=True).add_(1),
    "non-leaf requires_grad off": lambda m: (m.ones(2, requires_grad=True) * 2)
    .requires_grad_(False),
    "ambiguous bool": lambda m: bool(m.ones(2)),
    "bool of nothing": lambda m: bool(m.ones(0)),
    "dlpack of requires_grad": lambda m: m.ones(2, requires_grad=True).__dlpack__(),
    "item of many": lambda m: m.ones(3).item(),
    "len of 0-d": lambda m: len(m.tensor(1.0)),
    "broadcast mismatch": lambda m: m.ones(2) + m.ones(3),
    "ragged data": lambda m: m.tensor([[1, 2], [3]]),
    "strings": lambda m: m.tensor(["a"]),
    "huge int": lambda m: m.tensor(2 ** 70),
    "huge int in a list": lambda m: m.tensor([1, 2 ** 70]),
    "negative size": lambda m: m.empty(2, -3),
    "bad device": lambda m: m.zeros(2, device="gpu"),
    "int default dtype": lambda m: m.set_default_dtype(m.int32),
    "grad of wrong shape": lambda m: setattr(m.ones(2, requires_grad=True), "grad", m.ones(3)),
    "finfo of int": lambda m: m.finfo(m.int32),
    "iinfo of float": lambda m: m.iinfo(m.float32),
    "bad format spec": lambda m: f"{m.ones(2):.3f}",
    "deepcopy of non-leaf": lambda m: __import__("copy").deepcopy(m.ones(1, requires_grad=True)
                                                                 * 2),
    "unused input": lambda m: m.autograd.grad((m.ones(1, requires_grad=True) * 2).sum(),
                                              [m.ones(1, requires_grad=True)]),
    "multinomial without enough": lambda m: m.multinomial(m.ones(2), 3),
    "fill with a vector": lambda m: m.zeros(3).fill_(m.ones(3)),
    "copy_ of a wider source": lambda m: m.zeros(3).copy_(m.ones(2, 4)),
    "from_numpy of a list": lambda m: m.from_numpy([1.0]),
    "from_numpy of objects": lambda m: m.from_numpy(np.array([object()])),
    "arange zero step": lambda m: m.arange(0, 3, 0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_raises_like_torch(name):
    case = CASES[name]
    assert_raises_like_torch(lambda: case(ember), lambda: case(torch))


def test_messages_name_shapes_and_dtypes():
    assert "[2]" in _message(CASES["backward of non-scalar"], ember)
    assert "int64" in _message(CASES["requires_grad on int"], ember) or \
        "Long" in _message(CASES["requires_grad on int"], ember)
    assert "(2)" in _message(CASES["broadcast mismatch"], ember) and \
        "(3)" in _message(CASES["broadcast mismatch"], ember)
    assert "Float" in _message(CASES["bitwise on float"], ember)
    assert "3" in _message(CASES["item of many"], ember)


@pytest.mark.parametrize("data", [[[1, 2], [3]], [[[1, 2], [3, 4]], [[1, 2], [3]]]])
def test_ragged_nested_lists_name_the_dim_like_torch(data):
    assert _message(lambda m: m.tensor(data), ember) == _message(lambda m: m.tensor(data), torch)
    assert_raises_like_torch(lambda: ember.tensor(data), lambda: torch.tensor(data))


def test_softmax_of_integers_is_not_implemented_like_torch():
    assert_raises_like_torch(lambda: ember.softmax(ember.tensor([1, 2]), 0),
                             lambda: torch.softmax(torch.tensor([1, 2]), 0))


@pytest.mark.parametrize("make", [lambda m: m.ones(2).cuda(), lambda m: m.ones(2, device="cuda"),
                                  lambda m: m.nn.Linear(2, 2).cuda()])
def test_cuda_without_cupy_names_the_extra_and_is_torchs_assertion(make, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "cupy", None)  # a machine without CuPy, even if this has it
    monkeypatch.delitem(sys.modules, "ember.backend.cuda", raising=False)
    with pytest.raises(ImportError, match=r"ember\[cuda\]"):
        make(ember)
    with pytest.raises(AssertionError):  # what the CPU build of PyTorch (our oracle) raises
        make(torch)
    with pytest.raises(AssertionError):
        make(ember)
