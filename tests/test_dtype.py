"""dtypes, their limits, and PyTorch's type promotion, checked against torch."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import ember

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex64", "complex128"]
PAIRS = list(itertools.product(NAMES, NAMES))


def torch_name(t_dtype) -> str:
    # ember has no complex32: float16 meeting a complex number becomes complex64 instead.
    name = str(t_dtype).removeprefix("torch.")
    return "complex64" if name == "complex32" else name


def both(name):
    return getattr(ember, name), getattr(torch, name)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_properties_match_torch(name):
    e, t = both(name)
    assert e.itemsize == t.itemsize
    assert e.is_floating_point == t.is_floating_point
    assert e.is_complex == t.is_complex
    assert e.is_signed == t.is_signed
    assert repr(e) == repr(t).replace("torch", "ember")


@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types_matches_torch(a, b):
    assert ember.promote_types(both(a)[0], both(b)[0]).name == \
        torch_name(torch.promote_types(both(a)[1], both(b)[1]))


@pytest.mark.parametrize("a,b", PAIRS)
def test_can_cast_matches_torch(a, b):
    assert ember.can_cast(both(a)[0], both(b)[0]) == torch.can_cast(both(a)[1], both(b)[1])


def _operand(name, tier):
    """The same operand for ember and torch: a 1-d tensor, a 0-dim tensor, or a Python number."""
    e, t = both(name)
    if tier == "dim":
        return ember.zeros(2, dtype=e), torch.zeros(2, dtype=t)
    if tier == "zero":
        return ember.zeros((), dtype=e), torch.zeros((), dtype=t)
    number = {"bool": True, "int64": 3, "float32": 1.5, "complex64": 1 + 2j}[name]
    return number, number


TIERS = [(x, y) for x in ("dim", "zero") for y in ("dim", "zero")]
SCALARS = ["bool", "int64", "float32", "complex64"]


@pytest.mark.parametrize("tiers", TIERS, ids="-".join)
@pytest.mark.parametrize("a,b", PAIRS)
def test_result_type_of_tensors_matches_torch(a, b, tiers):
    (ea, ta), (eb, tb) = _operand(a, tiers[0]), _operand(b, tiers[1])
    assert ember.result_type(ea, eb).name == \
        torch_name(torch.result_type(ta, tb))


@pytest.mark.parametrize("tier", ["dim", "zero"])
@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, SCALARS)))
def test_result_type_with_python_scalars_matches_torch(a, b, tier):
    (ea, ta), (eb, tb) = _operand(a, tier), _operand(b, "scalar")
    assert ember.result_type(ea, eb).name == \
        torch_name(torch.result_type(ta, tb))
    assert ember.result_type(eb, ea).name == \
        torch_name(torch.result_type(tb, ta))


def test_result_type_follows_default_dtype():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for operand in (1.5, 1 + 1j):
            assert ember.result_type(ember.tensor([1]), operand).name == \
                torch_name(torch.result_type(torch.tensor([1]), operand))
        assert ember.tensor(1.0).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


def test_default_dtype_accepts_only_floats():
    assert ember.get_default_dtype() is ember.float32
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64", "complex64",
                                  "complex128"])
def test_finfo_matches_torch(name):
    e, t = ember.finfo(both(name)[0]), torch.finfo(both(name)[1])
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(e, field) == getattr(t, field), field
    assert e.dtype == t.dtype


def test_finfo_defaults_to_default_dtype_and_refuses_ints():
    assert ember.finfo().eps == torch.finfo().eps
    with pytest.raises(TypeError):
        ember.finfo(ember.int32)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    e, t = ember.iinfo(both(name)[0]), torch.iinfo(both(name)[1])
    assert (e.bits, e.max, e.min, e.dtype) == (t.bits, t.max, t.min, t.dtype)


def test_iinfo_refuses_bool_and_floats():
    for d in (ember.bool, ember.float32):
        with pytest.raises(TypeError):
            ember.iinfo(d)


def test_dtype_aliases_are_the_same_objects():
    assert ember.float is ember.float32 and ember.double is ember.float64
    assert ember.half is ember.float16 and ember.long is ember.int64
    assert ember.int is ember.int32 and ember.cfloat is ember.complex64


def test_dtypes_pickle_to_themselves():
    import pickle
    for name in NAMES:
        assert pickle.loads(pickle.dumps(getattr(ember, name))) is getattr(ember, name)


def test_bfloat16_tensors_round_through_float32():
    x = ember.tensor([1.0, 2.5, 3.14159], dtype=ember.bfloat16)
    t = torch.tensor([1.0, 2.5, 3.14159], dtype=torch.bfloat16)
    assert x.dtype is ember.bfloat16
    np.testing.assert_array_equal(x.float().numpy(), t.float().numpy())
