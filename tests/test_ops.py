"""Every op in ember's op table, against PyTorch: forward, gradients, gradcheck, broadcasting.

The test is driven by the op table itself: an op without an OpInfo fails
`test_every_op_has_an_opinfo`.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st, HealthCheck
from hypothesis.extra import numpy as hnp

import ember
from ember.ops import TABLE, COMPOSITES

from .helpers import assert_close, flatten, noncontiguous, to_numpy
from .opinfo import Sample, all_opinfos

OPINFOS = all_opinfos()
BY_NAME = {info.name: info for info in OPINFOS}


def test_every_op_has_an_opinfo():
    missing = sorted((set(TABLE) | set(COMPOSITES)) - set(BY_NAME))
    assert not missing, f"ops without an OpInfo in tests/opinfo: {missing}"


def test_every_opinfo_names_an_op():
    unknown = sorted(set(BY_NAME) - set(TABLE) - set(COMPOSITES))
    assert not unknown, f"OpInfos for ops that are not in the table: {unknown}"


def _convert(sample: Sample, info, dtype, requires_grad, layout):
    e_args, t_args, leaves = [], [], []
    for i, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            if layout == "noncontiguous":
                a = noncontiguous(a)
            grad = requires_grad and a.dtype.kind == "f" and i not in sample.no_grad
            e = ember.from_numpy(a)
            t = torch.from_numpy(a)
            if grad:
                e = e.detach().requires_grad_(True)
                t = t.detach().requires_grad_(True)
                leaves.append((i, e, t))
            e_args.append(e)
            t_args.append(t)
        elif isinstance(a, (list, tuple)) and a and all(isinstance(x, np.ndarray) for x in a):
            es, ts = [], []
            for j, x in enumerate(a):
                e = ember.from_numpy(x)
                t = torch.from_numpy(x)
                if requires_grad and x.dtype.kind == "f":
                    e = e.detach().requires_grad_(True)
                    t = t.detach().requires_grad_(True)
                    leaves.append(((i, j), e, t))
                es.append(e)
                ts.append(t)
            e_args.append(type(a)(es))
            t_args.append(type(a)(ts))
        else:
            e_args.append(a)
            t_args.append(a)
    return e_args, t_args, leaves


def _cases():
    for info in OPINFOS:
        for dtype in info.dtypes:
            layouts = ["contiguous"] + (["noncontiguous"] if info.noncontiguous else [])
            for layout in layouts:
                yield pytest.param(info, np.dtype(dtype), layout,
                                   id=f"{info.name}-{np.dtype(dtype).name}-{layout}")


def _tol(info, dtype, scale=1.0):
    from .helpers import TOL
    rtol, atol = TOL.get(dtype, (1e-5, 1e-5))
    return (info.atol if info.atol is not None else atol * scale,
            info.rtol if info.rtol is not None else rtol * scale)


@pytest.mark.parametrize("info,dtype,layout", list(_cases()))
def test_forward_and_gradient_match_torch(info, dtype, layout, rng):
    diff = info.grad and dtype.kind == "f"
    for k, sample in enumerate(info.samples(rng, dtype)):
        e_args, t_args, leaves = _convert(sample, info, dtype, diff, layout)
        e_out = info.ember_call()(*e_args, **sample.kwargs)
        t_out = info.torch_call()(*t_args, **sample.kwargs)
        atol, rtol = _tol(info, dtype)
        e_flat, t_flat = flatten(e_out), flatten(t_out)
        assert len(e_flat) == len(t_flat), f"sample {k}: {len(e_flat)} outputs, torch has {len(t_flat)}"
        for j, (e, t) in enumerate(zip(e_flat, t_flat)):
            assert_close(e, t, atol=atol, rtol=rtol, what=f"{info.name} sample {k} output {j}")
        if not leaves:
            continue
        outs = [(e, t) for e, t in zip(e_flat, t_flat)
                if isinstance(t, torch.Tensor) and t.requires_grad]
        if not outs:
            continue
        grads = [rng.standard_normal(tuple(t.shape)).astype(to_numpy(t).dtype) for _, t in outs]
        ember.autograd.backward([e for e, _ in outs], [ember.tensor(g) for g in grads])
        torch.autograd.backward([t for _, t in outs], [torch.tensor(g) for g in grads])
        gatol, grtol = _tol(info, dtype, scale=10.0)
        for where, e, t in leaves:
            if t.grad is None:
                assert e.grad is None or not to_numpy(e.grad).any(), \
                    f"{info.name} sample {k}: grad of arg {where} should be None/zero"
                continue
            assert e.grad is not None, f"{info.name} sample {k}: no grad for arg {where}"
            assert_close(e.grad, t.grad, atol=gatol, rtol=grtol,
                         what=f"{info.name} sample {k} grad of arg {where}")


def _gradcheck_cases():
    for info in OPINFOS:
        if info.grad and info.gradcheck and np.float64 in [np.dtype(d) for d in info.dtypes]:
            yield pytest.param(info, id=info.name)


@pytest.mark.parametrize("info", list(_gradcheck_cases()))
def test_gradcheck_float64(info, rng):
    for sample in info.samples(rng, np.dtype(np.float64))[:3]:
        e_args, _, leaves = _convert(sample, info, np.float64, True, "contiguous")
        if not leaves:
            continue
        positions = [where for where, _, _ in leaves]

        def fn(*xs):
            args = list(e_args)
            for where, x in zip(positions, xs):
                if isinstance(where, tuple):
                    i, j = where
                    seq = list(args[i])
                    seq[j] = x
                    args[i] = type(e_args[i])(seq)
                else:
                    args[where] = x
            return info.ember_call()(*args, **sample.kwargs)

        xs = [e for _, e, _ in leaves]
        assert ember.autograd.gradcheck(fn, xs, eps=1e-6, atol=1e-5, rtol=1e-3)
        if info.gradgradcheck:
            assert ember.autograd.gradgradcheck(fn, xs, eps=1e-6, atol=1e-5, rtol=1e-3)


BROADCASTING = [name for name, op in TABLE.items() if op.broadcasts and op.elementwise
                and op.nin == 2 and name in BY_NAME]


@pytest.mark.parametrize("name", BROADCASTING)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_broadcasting_matches_torch(name, data):
    info = BY_NAME[name]
    low, high = info.extra.get("domain", (0.5, 2.0))
    dtype = np.dtype(np.float64 if np.float64 in info.dtypes else info.dtypes[0])
    elements = st.floats(low, high) if dtype.kind == "f" else st.integers(int(low), int(high))
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4))
    arrays = [data.draw(hnp.arrays(dtype, s, elements=elements)) for s in shapes.input_shapes]
    grad = info.grad and dtype.kind == "f"
    es = [ember.tensor(a, requires_grad=grad) for a in arrays]
    ts = [torch.tensor(a, requires_grad=grad) for a in arrays]
    e_out = info.ember_call()(*es)
    t_out = info.torch_call()(*ts)
    assert_close(e_out, t_out)
    if not grad:
        return
    e_out.sum().backward()
    t_out.sum().backward()
    for e, t in zip(es, ts):
        assert_close(e.grad, t.grad, what=f"{name} grad")
