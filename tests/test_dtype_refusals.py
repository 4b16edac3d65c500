"""Every op of the table, in every dtype: Ember accepts what PyTorch accepts and refuses what
it refuses (complex ordering, bool or integer math PyTorch doesn't implement), with the same
exception class, and gives the same result dtype.

The cases are the op database's samples (`tests/opinfo`) with their floating-point arrays
recast to each dtype; index and mask arrays keep theirs.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember

from .fuzzing import DTYPES, _exception_class, explained
from .opinfo import all_opinfos


def _recast(value, dtype: str, lib):
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            if dtype == "bool":
                value = value > 0
            elif dtype.startswith(("int", "uint")):
                value = np.round(np.abs(value) * 2 if dtype == "uint8" else value * 2)
            t = lib.from_numpy(np.asarray(value, dtype=np.float32 if dtype == "bfloat16"
                                          else dtype))
            return t.to(lib.bfloat16) if dtype == "bfloat16" else t
        return lib.from_numpy(value.copy())
    if isinstance(value, (list, tuple)) and value and \
            all(isinstance(v, np.ndarray) for v in value):
        return type(value)(_recast(v, dtype, lib) for v in value)
    return value


def _outcome(info, sample, dtype, lib):
    args = [_recast(a, dtype, lib) for a in sample.args]
    call = (info.torch_call() if lib is torch else info.ember_call())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = call(*args, **sample.kwargs)
        except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
            return e
    first = out[0] if isinstance(out, (tuple, list)) and out else out
    return getattr(first, "dtype", None)


def _cases():
    for info in all_opinfos():
        if info.ember_fn is None and info.torch_fn is None and hasattr(torch, info.name):
            yield pytest.param(info, id=info.name)


@pytest.mark.parametrize("info", list(_cases()))
def test_accepts_and_refuses_dtypes_as_torch(info):
    rng = np.random.default_rng(0)
    samples = info.samples(rng, np.dtype(np.float32))[:2]
    wrong = []
    for dtype in DTYPES:
        for k, sample in enumerate(samples):
            t = _outcome(info, sample, dtype, torch)
            e = _outcome(info, sample, dtype, ember)
            t_err, e_err = isinstance(t, Exception), isinstance(e, Exception)
            if t_err and e_err:
                if _exception_class(t) is not _exception_class(e):
                    wrong.append(f"{dtype} sample {k}: ember raised {type(e).__name__}: {e}; "
                                 f"torch raised {type(t).__name__}: {t}")
            elif t_err:
                wrong.append(f"{dtype} sample {k}: ember accepts; torch raised "
                             f"{type(t).__name__}: {t}")
            elif e_err:
                wrong.append(f"{dtype} sample {k}: ember raised {type(e).__name__}: {e}; "
                             "torch accepts")
            elif t is not None and str(t).split(".")[-1] != str(e).split(".")[-1]:
                wrong.append(f"{dtype} sample {k}: result dtype {e}, torch's {t}")
    wrong = [w for w in wrong if explained(info.name, {w.split()[0]}, w) is None]
    assert not wrong, f"{info.name}:\n" + "\n".join(w[:300] for w in wrong)
