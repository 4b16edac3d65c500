"""nn.Module, Parameter and the containers, side by side with the same structures in torch."""
from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from ember import nn
from tests.helpers import assert_close, assert_raises_like_torch


def tiny_modules(lib):
    """A scale-and-shift layer and a two-layer model, defined the same way for ember and
    torch (so that registration order, names and reprs can be compared)."""

    class Scale(lib.nn.Module):
        def __init__(self, n, tag=""):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.ones(n) * 1.5)
            self.bias = lib.nn.Parameter(lib.zeros(n) + 0.25)
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)
            self.tag = tag

        def forward(self, x):
            return x * self.weight + self.bias

        def extra_repr(self):
            return f"n={self.weight.shape[0]}" + (f", tag={self.tag}" if self.tag else "")

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = Scale(3, "a")
            self.blocks = lib.nn.ModuleList([Scale(3), Scale(3), Scale(3, "b")])
            self.heads = lib.nn.ModuleDict({"z": Scale(3), "a": Scale(3)})
            self.shared = self.first  # the same module twice: listed once
            self.extra = lib.nn.Parameter(lib.ones(2))
            self.register_buffer("table", lib.ones(2, 2))
            self.empty = None

        def forward(self, x):
            x = self.first(x)
            for b in self.blocks:
                x = b(x)
            return self.heads["z"](x) + self.heads["a"](x)

    return Scale, Net


EScale, ENet = tiny_modules(ember)
TScale, TNet = tiny_modules(torch)


def ember_repr(m) -> str:
    return repr(m).replace("ember", "torch")


# -- registration and traversal ---------------------------------------------------------

def test_names_match_torch():
    e, t = ENet(), TNet()
    for method in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert [n for n, _ in getattr(e, method)()] == [n for n, _ in getattr(t, method)()]
    assert [n for n, _ in e.named_parameters(prefix="m", recurse=True)] == \
        [n for n, _ in t.named_parameters(prefix="m", recurse=True)]
    assert [n for n, _ in e.named_parameters(recurse=False)] == \
        [n for n, _ in t.named_parameters(recurse=False)]
    assert [n for n, _ in e.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in t.named_parameters(remove_duplicate=False)]
    assert [n for n, _ in e.named_modules(remove_duplicate=False)] == \
        [n for n, _ in t.named_modules(remove_duplicate=False)]
    assert list(e.state_dict()) == list(t.state_dict())
    assert len(list(e.parameters())) == len(list(t.parameters()))
    assert len(list(e.modules())) == len(list(t.modules()))
    assert len(list(e.children())) == len(list(t.children()))


def test_shared_parameter_is_listed_once():
    e, t = EScale(2), TScale(2)
    e.alias = e.weight
    t.alias = t.weight
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert list(e.state_dict()) == list(t.state_dict())


def test_attribute_registration_and_deletion():
    m = EScale(2)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert "weight" in m._parameters and "weight" not in m.__dict__
    m.weight = None
    assert m.weight is None and [n for n, _ in m.named_parameters()] == ["bias"]
    m.child = EScale(1)
    m.child = None
    assert m.child is None and list(m.children()) == []
    m.steps = ember.ones(1)  # assigning a tensor to a buffer name replaces the buffer
    assert m._buffers["steps"] is m.steps
    del m.bias
    assert "bias" not in dict(m.named_parameters())
    with pytest.raises(AttributeError, match="no attribute 'bias'"):
        m.bias
    m.plain = 3
    assert m.plain == 3 and "plain" in m.__dict__
    assert "steps" in dir(m) and "child" in dir(m)


@pytest.mark.parametrize("action", [
    lambda lib, m: setattr(m, "weight", lib.ones(2)),
    lambda lib, m: m.register_parameter("p", lib.ones(2)),
    lambda lib, m: m.register_buffer("b", 3),
    lambda lib, m: m.register_buffer("a.b", lib.ones(2)),
    lambda lib, m: m.register_buffer("", lib.ones(2)),
    lambda lib, m: m.register_buffer("tag", lib.ones(2)),
    lambda lib, m: m.register_parameter(1, None),
    lambda lib, m: m.add_module("x", 3),
    lambda lib, m: m.add_module("a.b", lib.nn.Module()),
    lambda lib, m: m.get_submodule("nope"),
    lambda lib, m: m.get_parameter("steps"),
    lambda lib, m: m.train("yes"),
    lambda lib, m: lib.nn.Module()(1),
], ids=["tensor-as-param", "register-tensor", "buffer-int", "dotted-buffer", "empty-name",
        "existing-attr", "int-name", "module-int", "dotted-module",
        "no-submodule", "buffer-not-param", "train-str", "no-forward"])
def test_registration_errors_match_torch(action):
    with pytest.raises(Exception) as expected:
        action(torch, TScale(2))
    with pytest.raises(expected.type):
        action(ember, EScale(2))


def test_register_before_init_raises():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_get_submodule_and_parameter():
    e = ENet()
    assert e.get_submodule("blocks.2") is e.blocks[2]
    assert e.get_submodule("") is e
    assert e.get_parameter("heads.a.bias") is e.heads["a"].bias
    assert e.get_buffer("table") is e.table


# -- repr -------------------------------------------------------------------------------

def test_repr_matches_torch():
    assert ember_repr(ENet()) == repr(TNet())
    assert ember_repr(nn.Sequential(EScale(1), nn.Sequential(), EScale(2, "x"))) == \
        repr(torch.nn.Sequential(TScale(1), torch.nn.Sequential(), TScale(2, "x")))
    assert ember_repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_parameter_containers_repr_match_torch():
    ep = nn.ParameterList([nn.Parameter(ember.zeros(2, 3)), ember.ones(4)])
    tp = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2, 3)), torch.ones(4)])
    assert ember_repr(ep) == repr(tp)
    ed = nn.ParameterDict({"b": ember.zeros(1), "a": nn.Parameter(ember.ones(2, 2))})
    td = torch.nn.ParameterDict({"b": torch.zeros(1), "a": torch.nn.Parameter(torch.ones(2, 2))})
    assert ember_repr(ed) == repr(td)
    assert ember_repr(nn.Parameter(ember.arange(3.0))) == repr(torch.nn.Parameter(
        torch.arange(3.0)))


# -- parameters -------------------------------------------------------------------------

def test_parameter_basics():
    data = ember.arange(4.0)
    p = nn.Parameter(data)
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert p.data_ptr() == data.data_ptr()  # shares memory, as torch's does
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.requires_grad and q.data_ptr() != p.data_ptr()
    assert_close(q.detach(), torch.arange(4.0))
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, nn.Parameter) and r.requires_grad
    assert (p * 2).__class__ is ember.Tensor
    assert nn.Parameter().shape == (0,)


def test_buffer_assignment():
    m = nn.Module()
    m.stat = nn.Buffer(ember.zeros(2))
    m.temp = nn.Buffer(ember.zeros(1), persistent=False)
    assert list(m.state_dict()) == ["stat"]
    assert [n for n, _ in m.named_buffers()] == ["stat", "temp"]


# -- state dicts ------------------------------------------------------------------------

def fill_from_torch(e, t):
    """Load torch's values into ember through NumPy."""
    sd = OrderedDict((k, ember.tensor(v.detach().numpy())) for k, v in t.state_dict().items())
    return e.load_state_dict(sd)


def test_state_dict_round_trip_with_torch(rng):
    e, t = ENet(), TNet()
    with torch.no_grad():
        for v in t.state_dict().values():
            v.copy_(torch.from_numpy(rng.standard_normal(v.shape).astype(np.float32)))
    result = fill_from_torch(e, t)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for (k, ev), (_, tv) in zip(e.state_dict().items(), t.state_dict().items()):
        assert_close(ev, tv, what=k)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    assert_close(e(ember.tensor(x)), t(torch.tensor(x)))
    # and back: ember's state dict loads into torch
    t2 = TNet()
    t2.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in e.state_dict().items()})
    assert_close(e(ember.tensor(x)), t2(torch.tensor(x)))


def test_state_dict_shares_memory_and_detaches():
    m = EScale(3)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad
    assert sd["weight"].data_ptr() == m.weight.data_ptr()
    assert m.state_dict(keep_vars=True)["weight"] is m.weight
    assert list(m.state_dict(prefix="p.")) == ["p.weight", "p.bias", "p.steps"]


def test_load_state_dict_errors_match_torch():
    e, t = EScale(3), TScale(3)
    e_sd = {"weight": ember.ones(3), "bias": ember.ones(3), "extra": ember.ones(1)}
    t_sd = {"weight": torch.ones(3), "bias": torch.ones(3), "extra": torch.ones(1)}
    with pytest.raises(RuntimeError) as te:
        t.load_state_dict(t_sd)
    with pytest.raises(RuntimeError) as ee:
        e.load_state_dict(e_sd)
    assert str(ee.value) == str(te.value)
    assert "Missing key(s) in state_dict: \"steps\"" in str(ee.value)
    result = e.load_state_dict(e_sd, strict=False)
    assert result.missing_keys == ["steps"] and result.unexpected_keys == ["extra"]
    assert result == t.load_state_dict(t_sd, strict=False)


def test_load_state_dict_size_mismatch_names_key_and_shapes():
    e, t = ENet(), TNet()
    e_sd, t_sd = e.state_dict(), t.state_dict()
    e_sd["blocks.1.weight"] = ember.ones(4)
    t_sd["blocks.1.weight"] = torch.ones(4)
    with pytest.raises(RuntimeError) as te:
        t.load_state_dict(t_sd)
    with pytest.raises(RuntimeError) as ee:
        e.load_state_dict(e_sd)
    assert str(ee.value).replace("ember", "torch") == str(te.value)
    assert "size mismatch for blocks.1.weight: copying a param with shape" in str(ee.value)
    with pytest.raises(TypeError):
        e.load_state_dict([1, 2])


def test_load_state_dict_assign_takes_the_tensors():
    m = EScale(2)
    weight = ember.full((2,), 7.0)
    m.load_state_dict({"weight": weight, "bias": ember.zeros(2), "steps": ember.ones(1)},
                      assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert m.weight.data_ptr() == weight.data_ptr()
    assert m.steps.tolist() == [1.0]


def test_state_dict_hooks_and_extra_state():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.value = 3

        def get_extra_state(self):
            return {"value": self.value}

        def set_extra_state(self, state):
            self.value = state["value"]

    m = WithExtra()
    sd = m.state_dict()
    assert sd["_extra_state"] == {"value": 3}
    m2 = WithExtra()
    m2.value = 0
    m2.load_state_dict(sd)
    assert m2.value == 3
    seen = []
    m.register_state_dict_post_hook(lambda mod, d, prefix, meta: seen.append(list(d)))
    m.register_load_state_dict_post_hook(lambda mod, keys: seen.append(tuple(keys)))
    m.load_state_dict(m.state_dict())
    assert seen == [["_extra_state"], ([], [])]


# -- modes and conversions --------------------------------------------------------------

def test_train_eval_and_apply_order_match_torch():
    e, t = ENet(), TNet()
    e.eval()
    t.eval()
    assert [m.training for m in e.modules()] == [m.training for m in t.modules()]
    assert e.train() is e and all(m.training for m in e.modules())
    e_order, t_order = [], []
    e.apply(lambda m: e_order.append(type(m).__name__))
    t.apply(lambda m: t_order.append(type(m).__name__))
    assert e_order == t_order


def test_requires_grad_and_zero_grad():
    m = EScale(2)
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    (m(ember.ones(2)) * 2).sum().backward()
    assert m.weight.grad.tolist() == [2.0, 2.0]
    m.zero_grad(set_to_none=False)
    assert m.weight.grad.tolist() == [0.0, 0.0]
    m.zero_grad()
    assert m.weight.grad is None


def test_conversions_keep_parameter_identity():
    m = ENet()
    weight = m.first.weight
    (m(ember.ones(1, 3))).sum().backward()
    assert m.double() is m
    assert m.first.weight is weight and weight.dtype == ember.float64
    assert weight.grad.dtype == ember.float64
    assert m.table.dtype == ember.float64
    m.to(ember.float32)
    assert weight.dtype == ember.float32 and isinstance(m.first.weight, nn.Parameter)
    m.to("cpu", dtype=ember.float64)
    assert weight.dtype == ember.float64
    m.float()
    assert weight.dtype == ember.float32
    m.register_buffer("counts", ember.zeros(2, dtype=ember.int64))
    m.double()
    assert m.counts.dtype == ember.int64  # only floating-point tensors are cast
    with pytest.raises(TypeError):
        m.to(ember.int32)
    assert m.cpu() is m and m.share_memory() is m


def test_deepcopy_module_copies_parameters():
    m = ENet()
    c = copy.deepcopy(m)
    assert c.first.weight is not m.first.weight
    assert c.shared is c.first  # sharing is preserved
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in m.named_parameters()]


# -- hooks ------------------------------------------------------------------------------

def run_hooked(lib, Scale, x_values):
    """Hooks of every kind on a two-layer Sequential; returns what they saw, in order."""
    seq = lib.nn.Sequential(Scale(3), Scale(3))
    log = []

    def record(tag):
        def hook(*args):
            tensors = [a for a in args[1:] if isinstance(a, (tuple, lib.Tensor))]
            log.append((tag, [tuple(t.shape) if isinstance(t, lib.Tensor) else
                              [None if g is None else g.detach().numpy().round(5).tolist()
                               for g in t] for t in tensors]))
        return hook

    for i, m in enumerate(seq):
        m.register_forward_pre_hook(record(f"pre{i}"))
        m.register_forward_hook(record(f"fwd{i}"))
        m.register_full_backward_pre_hook(record(f"bpre{i}"))
        m.register_full_backward_hook(record(f"bwd{i}"))
    seq.register_forward_hook(record("outer"), prepend=True)
    seq.register_forward_pre_hook(lambda m, args, kwargs: log.append(("kw", sorted(kwargs))),
                                  with_kwargs=True)
    x = lib.tensor(x_values, requires_grad=True)
    (seq(x) ** 2).sum().backward()
    return log, x.grad.numpy()


def test_hook_order_and_gradients_match_torch(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    e_log, e_grad = run_hooked(ember, EScale, x)
    t_log, t_grad = run_hooked(torch, TScale, x)
    assert [tag for tag, _ in e_log] == [tag for tag, _ in t_log]
    for (tag, ev), (_, tv) in zip(e_log, t_log):
        if tag.startswith("b"):
            np.testing.assert_allclose(np.array(ev, dtype=float), np.array(tv, dtype=float),
                                       rtol=1e-4, err_msg=tag)
    assert_close(e_grad, t_grad)


def test_hooks_can_change_inputs_outputs_and_gradients():
    m = EScale(2)
    h1 = m.register_forward_pre_hook(lambda mod, args: args[0] * 0 + 1)
    h2 = m.register_forward_hook(lambda mod, args, out: out * 10)
    assert m(ember.zeros(2)).tolist() == [17.5, 17.5]
    h1.remove()
    h2.remove()
    assert m(ember.zeros(2)).tolist() == [0.25, 0.25]
    m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1,), kwargs),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: out + len(kwargs), with_kwargs=True)
    assert m(ember.zeros(2)).tolist() == [1.75, 1.75]
    x = ember.ones(2, requires_grad=True)
    m.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 3,))
    m.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 2,))
    m(x).sum().backward()
    assert x.grad.tolist() == [9.0, 9.0]  # 1.5 * 2 (pre hook) * 3 (hook)


def test_prepend_and_always_call():
    m = EScale(1)
    order = []
    m.register_forward_hook(lambda *a: order.append("second"))
    m.register_forward_hook(lambda *a: order.append("first"), prepend=True)
    m(ember.ones(1))
    assert order == ["first", "second"]

    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    b = Broken()
    called = []
    b.register_forward_hook(lambda mod, args, out: called.append(out), always_call=True)
    b.register_forward_hook(lambda mod, args, out: called.append("never"))
    with pytest.raises(ValueError, match="boom"):
        b(ember.ones(1))
    assert called == [None]


def test_backward_hook_when_no_input_requires_grad():
    m = EScale(2)
    seen = []
    m.register_full_backward_hook(lambda mod, gin, gout: seen.append((gin, gout[0].tolist())))
    m(ember.ones(2)).sum().backward()
    assert seen == [((None,), [1.0, 1.0])]
    assert m.weight.grad.tolist() == [1.0, 1.0]


# -- containers -------------------------------------------------------------------------

def names(m):
    return [n for n, _ in m.named_parameters()]


def test_sequential_like_torch():
    e = nn.Sequential(*[EScale(i + 1) for i in range(4)])
    t = torch.nn.Sequential(*[TScale(i + 1) for i in range(4)])
    assert ember_repr(e[1:3]) == repr(t[1:3]) and isinstance(e[1:3], nn.Sequential)
    assert e[-1].weight.shape == (4,)
    for op in (lambda s: s.__delitem__(1), lambda s: s.insert(1, type(s[0])(9)),
               lambda s: s.append(type(s[0])(5)), lambda s: s.insert(-1, type(s[0])(7)),
               lambda s: s.extend([type(s[0])(6)]), lambda s: s.pop(0),
               lambda s: s.__delitem__(slice(0, 2))):
        op(e)
        op(t)
        assert names(e) == names(t) and ember_repr(e) == repr(t)
    assert len(e) == len(t)
    with pytest.raises(IndexError):
        e[10]
    od = nn.Sequential(OrderedDict([("enc", EScale(2)), ("dec", EScale(2))]))
    assert names(od) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert od(ember.ones(2)).tolist() == [2.875, 2.875]
    assert len(od + od) == 4 and len(od * 3) == 6
    assert names(od) == names(torch.nn.Sequential(OrderedDict([("enc", TScale(2)),
                                                               ("dec", TScale(2))])))


def test_module_list_like_torch():
    e = nn.ModuleList([EScale(1), EScale(2)])
    t = torch.nn.ModuleList([TScale(1), TScale(2)])
    for op in (lambda s, S: s.append(S(3)), lambda s, S: s.insert(0, S(4)),
               lambda s, S: s.extend([S(5), S(5)]), lambda s, S: s.__delitem__(-1),
               lambda s, S: s.__setitem__(1, S(6)), lambda s, S: s.pop(0),
               lambda s, S: s.__iadd__([S(7)])):
        op(e, EScale)
        op(t, TScale)
        assert names(e) == names(t) and ember_repr(e) == repr(t)
    assert ember_repr(e[1:]) == repr(t[1:]) and isinstance(e[1:], nn.ModuleList)
    assert names(e + e) == names(t + t)
    with pytest.raises(IndexError):
        e[len(e)]


def test_module_dict_like_torch():
    e = nn.ModuleDict({"b": EScale(1), "a": EScale(2)})
    t = torch.nn.ModuleDict({"b": TScale(1), "a": TScale(2)})
    e["c"] = EScale(3)
    t["c"] = TScale(3)
    e.update([("d", EScale(1))])
    t.update([("d", TScale(1))])
    assert names(e) == names(t) and ember_repr(e) == repr(t)
    assert list(e.keys()) == list(t.keys()) and "a" in e and len(e) == 4
    e.pop("a")
    del e["b"]
    assert list(e) == ["c", "d"]
    with pytest.raises(KeyError):
        e["zz"]


def test_parameter_list_and_dict_like_torch():
    e = nn.ParameterList([ember.ones(1), nn.Parameter(ember.zeros(2))])
    t = torch.nn.ParameterList([torch.ones(1), torch.nn.Parameter(torch.zeros(2))])
    e.append(ember.ones(3))
    t.append(torch.ones(3))
    assert names(e) == names(t) and all(isinstance(p, nn.Parameter) for p in e)
    assert len(e[1:]) == 2 and e[-1].shape == (3,)
    with pytest.raises(RuntimeError):
        e()
    ed = nn.ParameterDict({"w": ember.ones(2)})
    td = torch.nn.ParameterDict({"w": torch.ones(2)})
    ed.update({"z": ember.ones(1), "a": ember.zeros(1)})
    td.update({"z": torch.ones(1), "a": torch.zeros(1)})
    assert names(ed) == names(td) and list(ed.keys()) == list(td.keys())
    assert isinstance(ed["w"], nn.Parameter) and ed.get("nope") is None
    assert ed.pop("w").shape == (2,) and "w" not in ed
    assert ed.popitem()[0] == td.popitem()[0] == "z" if td.pop("w") is not None else False
    owner = nn.Module()
    owner.table = ed
    assert names(owner) == ["table.a"]


def test_set_submodule_and_to_empty_like_torch():
    def build(m):
        model = m.nn.Sequential(m.nn.Linear(2, 2))
        model.foo = 3
        return model

    for m in (ember, torch):
        model = build(m)
        model.set_submodule("0", m.nn.ReLU())
        model.set_submodule("new", m.nn.Tanh())
        assert [type(c).__name__ for c in model.children()] == ["ReLU", "Tanh"]
    for target, strict in [("", False), ("1", True), ("foo", False), ("x.y", False)]:
        assert_raises_like_torch(lambda: build(ember).set_submodule(target, ember.nn.ReLU(),
                                                                    strict=strict),
                                 lambda: build(torch).set_submodule(target, torch.nn.ReLU(),
                                                                    strict=strict))
    assert_raises_like_torch(lambda: build(ember).set_submodule("0", 3),
                             lambda: build(torch).set_submodule("0", 3))
    layer = ember.nn.Linear(3, 2).double()
    weight = layer.weight
    layer.to_empty(device="cpu")
    assert layer.weight is weight and layer.weight.shape == (2, 3)
    assert layer.weight.dtype == ember.float64 and layer.weight.requires_grad
