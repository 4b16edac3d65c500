"""PyTorch's argument names, order, keyword-only markers and defaults, for every public function
and Tensor method, read from the installed PyTorch (`tests/torch_signatures.py`).

Two checks: Ember's signature table (`ember/_signature_table.py`) is PyTorch's, for every
public name that both offer; and every sample of the op database (`tests/opinfo`), called
with each argument passed by keyword in PyTorch's spelling, gives PyTorch's result, both as
``ember.<name>(...)`` and as ``tensor.<name>(...)``.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import ember
from ember._signature_table import FUNCTIONS, METHODS

from .helpers import assert_close, flatten
from .opinfo import all_opinfos
from .test_ops import _convert, _tol
from .torch_signatures import parameters, public_functions, public_methods, torch_overloads

# Public names whose PyTorch signature Ember deliberately does not take (each with its reason).
GAPS: dict[str, str] = {}


@pytest.mark.parametrize("method", [False, True], ids=["function", "method"])
def test_table_is_pytorchs(method):
    table = METHODS if method else FUNCTIONS
    names = public_methods(ember) if method else public_functions(ember)
    wrong = {}
    for name in names:
        expected = torch_overloads(name, method)
        if expected and tuple(expected) != table.get(name):
            wrong[name] = (table.get(name), expected)
    assert not wrong, ("signatures that differ from the installed PyTorch's (run "
                       f"tools/gen_signatures.py): {wrong}")


def _keyword_forms(name, args, kwargs, method):
    """Each way of passing ``args`` by keyword under one of PyTorch's overloads of ``name``
    (for a method, ``args[0]`` stays the tensor): ``(positional, keywords)`` pairs."""
    forms = []
    for text in torch_overloads(name, method) or ():
        params = parameters(text)
        if any(p.kind == p.VAR_POSITIONAL for p in params):
            continue
        rest = args[1:] if method else args
        named = [p for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
        if len(rest) > len(named) or any(k not in {p.name for p in params} for k in kwargs):
            continue
        keywords = dict(zip((p.name for p in named), rest), **kwargs)
        forms.append(((args[0],) if method else (), keywords))
    return forms


def _method_takes_function_samples(name) -> bool:
    """Whether ``Tensor.<name>`` is ``torch.<name>`` with the first argument as ``self`` (not
    so for ``where(condition, input, other)``, whose method is ``input.where(condition, other)``)."""
    functions = {", ".join(t.split(", ")[1:]) for t in torch_overloads(name) or ()}
    return bool(functions & set(torch_overloads(name, True) or ()))


def _cases():
    for info in all_opinfos():
        if info.ember_fn is not None or info.torch_fn is not None:
            continue
        if callable(getattr(torch, info.name, None)):
            yield pytest.param(info, False, id=f"{info.name}-function")
        if callable(getattr(torch.Tensor, info.name, None)) and \
                _method_takes_function_samples(info.name):
            yield pytest.param(info, True, id=f"{info.name}-method")


def _same(e_out, t_out, what, atol=1e-5, rtol=1e-5):
    e_flat, t_flat = flatten(e_out), flatten(t_out)
    assert len(e_flat) == len(t_flat), f"{what}: {len(e_flat)} outputs, torch has {len(t_flat)}"
    for j, (e, t) in enumerate(zip(e_flat, t_flat)):
        assert_close(e, t, atol=atol, rtol=rtol, what=f"{what} output {j}")


@pytest.mark.parametrize("info,method", list(_cases()))
def test_keyword_calls_match_torch(info, method, rng):
    if f"{info.name}-{'method' if method else 'function'}" in GAPS:
        pytest.fail("listed as a gap, yet tested: remove it from GAPS")
    dtype = np.dtype(info.dtypes[0])
    tried = keywordable = 0
    for k, sample in enumerate(info.samples(rng, dtype)):
        e_args, t_args, _ = _convert(sample, info, dtype, False, "contiguous")
        if method and not isinstance(t_args[0], torch.Tensor):
            continue
        forms = list(zip(_keyword_forms(info.name, tuple(t_args), sample.kwargs, method),
                         _keyword_forms(info.name, tuple(e_args), sample.kwargs, method)))
        keywordable += bool(forms)
        for (t_pos, t_kw), (e_pos, e_kw) in forms:
            t_call = getattr(t_pos[0], info.name) if method else getattr(torch, info.name)
            try:
                t_out = t_call(**t_kw)
            except (TypeError, RuntimeError):
                continue  # this overload's types don't fit the sample
            e_call = getattr(e_pos[0], info.name) if method else getattr(ember, info.name)
            e_out = e_call(**e_kw)
            _same(e_out, t_out, f"{info.name} sample {k} as {sorted(e_kw)}", *_tol(info, dtype))
            tried += 1
            break
    # Functions of tensors only through ``*tensors`` (``block_diag``) have no keyword form.
    assert tried or not keywordable, f"torch took no keyword form of the {info.name} samples"


EVERYDAY = [
    "torch.flip(x, dims=[-1])", "x.permute(dims=(1, 0))", "torch.cat(tensors=[x, x], dim=0)",
    "torch.stack(tensors=[x, x])", "x.repeat(repeats=(2, 1))", "x.view(size=(4, 3))",
    "x.reshape(shape=(4, 3))", "x.expand(size=(2, 3, 4))", "x.split(split_size=2)",
    "torch.matmul(input=x, other=y)", "torch.mm(input=x, mat2=y)",
    "torch.mul(input=x, other=x)", "torch.pow(x, exponent=2)", "torch.zeros(size=(2, 3))",
    "torch.randn(size=(2, 3)).shape", "torch.swapaxes(x, axis0=0, axis1=1)",
    "torch.addmm(input=z, mat1=x, mat2=y)", "torch.max(x, dim=1)", "torch.max(input=x)",
    "torch.max(input=x, other=x)", "x.max(dim=0, keepdim=True)", "torch.sum(x, dim=1, keepdim=True)",
    "torch.split(x, split_size_or_sections=[1, 2])", "x.view(4, 3)", "x.view((4, 3))",
    "x.repeat(2, 1)", "torch.add(input=x, other=x, alpha=2)", "x.add(other=x, alpha=2)",
    "torch.ones(size=[3])", "torch.full(size=(2,), fill_value=3.0)", "torch.where(condition=x > 0, input=x, other=x * 2)",
    "torch.transpose(input=x, dim0=0, dim1=1)", "torch.softmax(input=x, dim=-1)",
    "torch.clamp(x, min=-0.5, max=0.5)", "torch.gather(input=x, dim=1, index=i)",
    "torch.squeeze(input=x.unsqueeze(0), dim=0)", "torch.unsqueeze(input=x, dim=0)",
    "torch.mean(input=x, dim=(0, 1))", "torch.argmax(input=x, dim=1, keepdim=False)",
    "torch.topk(input=x, k=2, dim=1)", "torch.sort(input=x, dim=0, descending=True)",
    "torch.cumsum(input=x, dim=1)", "torch.chunk(input=x, chunks=2, dim=1)",
    "torch.narrow(input=x, dim=1, start=1, length=2)", "torch.index_select(input=x, dim=1, index=i[0])",
    "torch.tril(input=x, diagonal=1)", "torch.flatten(input=x, start_dim=0, end_dim=-1)",
    "torch.einsum('ij,jk->ik', x, y)", "torch.masked_fill(input=x, mask=x > 0, value=0.0)",
    "torch.linspace(start=0, end=1, steps=5)", "torch.arange(start=0, end=5, step=2)",
    "torch.eye(n=3, m=2)", "torch.zeros_like(input=x)", "torch.full_like(input=x, fill_value=2.0)",
    "torch.randint(low=0, high=5, size=(3,)).shape", "torch.rand(size=(2,)).shape",
    "torch.tensor(data=[1.0, 2.0])", "torch.norm(input=x, p=2)",
    "torch.dist(input=x, other=x * 2, p=2)", "torch.lerp(input=x, end=x * 2, weight=0.5)",
]


@pytest.mark.parametrize("call", EVERYDAY)
def test_everyday_keyword_spellings(call):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4, 2)).astype(np.float32)
    c = rng.standard_normal((3, 2)).astype(np.float32)
    index = rng.integers(0, 4, size=(3, 2))
    results = []
    for T in (torch, ember):
        names = {"torch": T, "x": T.tensor(a), "y": T.tensor(b), "z": T.tensor(c),
                 "i": T.tensor(index)}
        results.append(eval(call, names))
    _same(results[1], results[0], call)


MISFITS = [
    "torch.mul(x, other=x, bogus=1)", "x.mul(x, bogus=1)", "torch.flip(x, dims=[0], foo=2)",
    "torch.sum(x, dim=0, keepdimm=True)", "x.index_add_(0, index=i[0], source=x, bad=1)",
    "torch.gather(x, 1, index=i, sparse=True)", "torch.transpose(input=x, dim0=0)",
]


@pytest.mark.parametrize("call", MISFITS)
def test_keywords_that_fit_no_overload_raise_type_error(call):
    """A keyword call that matches none of PyTorch's overloads raises TypeError naming the
    function and, where there is one, the keyword it doesn't have."""
    index = np.zeros((3, 2), dtype=np.int64)
    messages = []
    for T in (torch, ember):
        names = {"torch": T, "x": T.ones(3, 4), "i": T.tensor(index)}
        with pytest.raises(TypeError) as info:
            eval(call, names)
        messages.append(str(info.value))
    function = call.split("(")[0].split(".")[-1]
    assert function + "()" in messages[1], messages[1]
    bad = [k for k in ("bogus", "foo", "keepdimm", "bad", "sparse") if k in call]
    if bad:
        assert f"'{bad[0]}'" in messages[1] and f"'{bad[0]}'" in messages[0], messages


@pytest.mark.parametrize("call", ["torch.sum(x, axis=0)", "torch.sum(x, 0, keepdims=True)",
                                  "torch.add(x1=x, x2=x)", "x.index_add_(0, index=i[0], "
                                  "source=x[:2] * 2, alpha=2.5)"])
def test_numpy_keyword_spellings_and_keyword_tails(call):
    """PyTorch's parser takes NumPy's names (axis, keepdims, x1, x2) for its own; a keyword
    tail after positional operands binds in order."""
    results = []
    for T in (torch, ember):
        names = {"torch": T, "x": T.arange(12.0).reshape(3, 4),
                 "i": T.zeros((3, 2), dtype=T.int64)}
        results.append(eval(call, names))
    _same(results[1], results[0], call)
