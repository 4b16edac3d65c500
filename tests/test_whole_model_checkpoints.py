"""Whole pickled models (``torch.save(model)``): loaded safely through an allow-list of the
classes they hold, from Ember's files and PyTorch's, and never running anything else."""
import enum
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch

import ember
from ember.nn.utils import parametrize


def make_net(T, name: str):
    """One model with every layer family, written once against the PyTorch API."""
    nn = T.nn

    class Net(nn.Module):
        def __init__(self, vocab=20, width=8):
            super().__init__()
            self.emb = nn.Embedding(vocab, width)
            self.lstm = nn.LSTM(width, width, 2, batch_first=True, bidirectional=True)
            self.gru = nn.GRU(2 * width, width)
            layer = nn.TransformerEncoderLayer(width, 2, 16, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2)
            self.conv = nn.Conv1d(width, width, 3, padding=1)
            self.norm = nn.BatchNorm1d(width)
            self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(width, width), nn.ReLU()),
                                         nn.Sequential(nn.LayerNorm(width), nn.Dropout(0.1))])
            self.acts = nn.ModuleDict({"gelu": nn.GELU()})
            self.head = nn.Linear(width, width)
            self.scale = nn.Parameter(T.ones(width))
            self.register_buffer("offset", T.full((width,), 0.5))

        def forward(self, tokens):
            x, _ = self.lstm(self.emb(tokens))
            x, _ = self.gru(x.transpose(0, 1))
            x = self.encoder(x.transpose(0, 1))
            x = self.norm(self.conv(x.transpose(1, 2))).transpose(1, 2)
            for block in self.blocks:
                x = block(x)
            return self.head(self.acts["gelu"](x)) * self.scale + self.offset

    Net.__name__ = Net.__qualname__ = name
    return Net


TorchNet = make_net(torch, "TorchNet")
EmberNet = make_net(ember, "EmberNet")


class Symmetric(ember.nn.Module):
    def forward(self, w):
        return w.triu() + w.triu(1).mT


def ember_model():
    ember.manual_seed(0)
    model = EmberNet()
    parametrize.register_parametrization(model.head, "weight", Symmetric())
    ember.nn.utils.parametrizations.weight_norm(model.blocks[0][0])
    model(ember.randint(0, 20, (3, 5)))  # running statistics that differ from the defaults
    return model.eval()


def classes_of(model) -> list:
    """The classes a user sees in the model (`print(model)`): what the allow-list names."""
    return list({parametrize.type_before_parametrizations(m) for m in model.modules()})


def saved(save, model) -> bytes:
    buffer = io.BytesIO()
    save(model, buffer)
    return buffer.getvalue()


def test_ember_whole_model_round_trip_through_safe_globals():
    model = ember_model()
    data = saved(ember.save, model)
    tokens = ember.randint(0, 20, (4, 6))
    with ember.serialization.safe_globals(classes_of(model)):
        loaded = ember.load(io.BytesIO(data))
    assert ember.serialization.get_safe_globals() == []
    assert type(loaded) is EmberNet and not loaded.training
    assert parametrize.is_parametrized(loaded.head, "weight")
    assert parametrize.is_parametrized(loaded.blocks[0][0], "weight")
    np.testing.assert_array_equal(loaded(tokens).detach().numpy(),
                                  model(tokens).detach().numpy())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key].numpy(), value.numpy())
    # it trains on: gradients reach every parameter
    loaded.train()
    loaded(tokens).sum().backward()
    assert all(p.grad is not None for p in loaded.parameters())


def test_every_layer_class_round_trips_listing_only_itself():
    """One instance of every ``nn`` layer class: its pickle names only public classes that
    the model shows (no private helper such as the recurrences' step functions)."""
    from tests.nn_instances import every_module
    for name, module in every_module():
        data = saved(ember.save, module)
        with ember.serialization.safe_globals(classes_of(module)):
            loaded = ember.load(io.BytesIO(data))
        assert type(loaded) is type(module), name
        assert loaded.state_dict().keys() == module.state_dict().keys(), name


def test_whole_model_is_refused_without_its_classes():
    model = ember_model()
    data = saved(ember.save, model)
    with pytest.raises(pickle.UnpicklingError, match="EmberNet.*add_safe_globals"):
        ember.load(io.BytesIO(data))
    partial = [c for c in classes_of(model) if c is not ember.nn.LSTM]
    with ember.serialization.safe_globals(partial):
        with pytest.raises(pickle.UnpicklingError, match=r"ember\.nn\.modules\.rnn\.LSTM"):
            ember.load(io.BytesIO(data))


def torch_model():
    torch.manual_seed(0)
    model = TorchNet()
    model(torch.randint(0, 20, (3, 5)))
    return model.eval()


def torch_saved_into_ember(model):
    """Ember's EmberNet stands for the file's TorchNet (the user's class, in their program
    written against ``ember``); the layers are allowed by their ember classes."""
    layers = [getattr(ember.nn, type(m).__name__) for m in model.modules()
              if type(m) is not TorchNet and type(m).__name__ != "NonDynamicallyQuantizableLinear"]
    # PyTorch's transformer layer holds F.relu itself: allowed as in PyTorch
    return [(EmberNet, f"{__name__}.TorchNet"), ember.nn.functional.relu,
            ember.nn.modules.linear.NonDynamicallyQuantizableLinear, *layers]


def test_whole_model_saved_by_pytorch_loads_into_ember_and_matches():
    model = torch_model()
    data = saved(torch.save, model)
    with pytest.raises(pickle.UnpicklingError, match="TorchNet"):
        ember.load(io.BytesIO(data))
    with ember.serialization.safe_globals([(EmberNet, f"{__name__}.TorchNet")]):
        with pytest.raises(pickle.UnpicklingError,
                           match=r"torch\.nn\.modules\.sparse\.Embedding.*allow ember's "
                                 r"ember\.nn\.modules\.sparse\.Embedding"):
            ember.load(io.BytesIO(data))
    with ember.serialization.safe_globals(torch_saved_into_ember(model)):
        loaded = ember.load(io.BytesIO(data))
    assert type(loaded) is EmberNet and type(loaded.lstm) is ember.nn.LSTM
    tokens = torch.randint(0, 20, (4, 6))
    with torch.no_grad():
        expected = model(tokens).detach().numpy()
    got = loaded(ember.tensor(tokens.numpy())).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_weights_only_false_unpickles_whole_models():
    """The explicit opt-out runs what the file holds, as PyTorch's does: no allow-list."""
    model = ember_model()
    tokens = ember.randint(0, 20, (2, 7))
    loaded = ember.load(io.BytesIO(saved(ember.save, model)), weights_only=False)
    np.testing.assert_array_equal(loaded(tokens).detach().numpy(), model(tokens).detach().numpy())
    reference = torch_model()
    loaded = ember.load(io.BytesIO(saved(torch.save, reference)), weights_only=False)
    assert type(loaded).__name__ == "TorchNet"  # PyTorch's own class from this module
    plain = ember.load(io.BytesIO(saved(torch.save, torch.nn.Sequential(
        reference.emb, reference.lstm))), weights_only=False)
    assert type(plain) is ember.nn.Sequential and type(plain[1]) is ember.nn.LSTM
    with torch.no_grad():
        expected = reference.lstm(reference.emb(torch.tensor(tokens.numpy())))[0].numpy()
    np.testing.assert_allclose(plain(tokens)[0].detach().numpy(), expected, rtol=1e-5,
                               atol=1e-6)


# -- hostile pickles: every one would run code under plain pickle, none does here ----------

SENTINEL_ENV = "EMBER_TEST_SENTINEL"


def touch(path):
    """A function a user might allow; hostile pickles try to reach it."""
    open(path, "w").close()
    return 0


class Gadget:
    """Creating it with arguments (``__init__`` or ``__new__``) touches a file."""

    def __new__(cls, *args):
        if args:
            touch(args[0])
        return super().__new__(cls)

    def __init__(self, *args):
        if args:
            touch(args[0])


class Plain:
    """No ``__setstate__``: plain pickle sets its ``__dict__`` (and would then call a
    ``__setstate__`` planted in it)."""


class Caller:
    def __call__(self, path):
        touch(path)


class Box:
    """Not allowed; its ``__setstate__`` touches a file."""

    def __setstate__(self, path):
        touch(path)


def make_box():
    return Box()


def _global(obj) -> bytes:
    return b"c" + f"{obj.__module__}\n{obj.__qualname__}\n".encode()


def _text(s: str) -> bytes:
    raw = s.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


PROTO, STOP, MARK = b"\x80\x04", b".", b"("
TUPLE1, TUPLE2, EMPTY_TUPLE, EMPTY_DICT = b"\x85", b"\x86", b")", b"}"
REDUCE, NEWOBJ, BUILD, SETITEM, APPEND, NONE = b"R", b"\x81", b"b", b"s", b"a", b"N"


def hostile(path: str) -> dict:
    p = _text(path)
    return {
        "os.system": b"cos\nsystem\n" + _text(f"touch {path}") + TUPLE1 + REDUCE,
        "allowed class called": _global(Gadget) + p + TUPLE1 + REDUCE,
        "allowed class created with arguments": _global(Gadget) + p + TUPLE1 + NEWOBJ,
        "__setstate__ of an object that is not allowed":
            _global(make_box) + EMPTY_TUPLE + REDUCE + p + BUILD,
        "__setstate__ planted in the instance":
            _global(Plain) + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + _text("__setstate__")
            + _global(touch) + SETITEM + BUILD + p + BUILD,
        "an object built from the file called": _global(Caller) + EMPTY_TUPLE + NEWOBJ + p
            + TUPLE1 + REDUCE,
        "INST": MARK + p + b"i" + f"{Gadget.__module__}\n{Gadget.__qualname__}\n".encode(),
        "append on an allowed non-list": _global(Caller) + EMPTY_TUPLE + NEWOBJ + p + APPEND,
        "class swapped through the slot state": _global(Plain) + EMPTY_TUPLE + NEWOBJ + NONE
            + EMPTY_DICT + _text("__class__") + _global(Caller) + SETITEM + TUPLE2 + BUILD,
        "copyreg._reconstructor from another base": b"ccopyreg\n_reconstructor\n"
            + _global(Plain) + _global(Gadget) + p + b"\x87" + REDUCE,
    }


def archive(payload: bytes) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/ember_version", "1")
        z.writestr("archive/data.pkl", PROTO + payload + STOP)
    out.seek(0)
    return out


@pytest.mark.parametrize("case", list(hostile("x")))
def test_hostile_pickles_are_refused_without_running(tmp_path, case):
    sentinel = str(tmp_path / "ran")
    payload = hostile(sentinel)[case]
    allowed = [Gadget, Plain, Caller, make_box, touch]
    with ember.serialization.safe_globals(allowed):
        with pytest.raises(pickle.UnpicklingError, match="refuses"):
            ember.load(archive(payload))
    assert not os.path.exists(sentinel)
    if case not in ("append on an allowed non-list", "class swapped through the slot state"):
        try:  # the same bytes do run under plain pickle: the gadget is real
            pickle.loads(PROTO + payload + STOP)
        except Exception:
            pass
        assert os.path.exists(sentinel), case


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


def test_allowed_enum_members_load():
    buffer = io.BytesIO()
    ember.save({"mode": Mode.SLOW, "weights": ember.ones(2)}, buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Mode"):
        ember.load(buffer)
    buffer.seek(0)
    with ember.serialization.safe_globals([Mode]):
        assert ember.load(buffer)["mode"] is Mode.SLOW


def test_safe_globals_helpers_mirror_torch_serialization():
    ember.serialization.clear_safe_globals()
    ember.serialization.add_safe_globals([Plain, (Caller, "somewhere.Else")])
    try:
        assert set(ember.serialization.get_safe_globals()) == {Plain, Caller}
        with ember.serialization.safe_globals([touch]):
            assert touch in ember.serialization.get_safe_globals()
        assert touch not in ember.serialization.get_safe_globals()
    finally:
        ember.serialization.clear_safe_globals()
    assert ember.serialization.get_safe_globals() == []
