"""ember.save / ember.load and .safetensors files: round trips, sharing, safety, atomicity."""
from __future__ import annotations

import collections
import io
import os
import pathlib
import pickle
import sys
import zipfile

import numpy as np
import pytest

import ember
import ember.serialization as ser
from ember.utils import safetensors as est

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64", "complex128", "bfloat16"]


def random_tensor(rng, shape, name):
    dtype = getattr(ember, name)
    values = np.abs(rng.standard_normal(shape) * 10)
    if name == "bool":
        values = values > 5
    elif name.startswith("complex"):
        values = values + 1j * rng.standard_normal(shape)
    return ember.from_numpy(np.asarray(values).astype(dtype.np))


def host(t):
    return np.asarray(t.detach()._host())


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return ember.load(buf, **load_kwargs)


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4)])
def test_tensor_roundtrip_every_dtype(rng, name, shape):
    t = random_tensor(rng, shape, name)
    back = roundtrip(t)
    assert type(back) is ember.Tensor and back.dtype == t.dtype
    assert tuple(back.shape) == shape
    np.testing.assert_array_equal(host(back).reshape(-1).view(np.uint8),
                                  host(t).reshape(-1).view(np.uint8))


def test_non_contiguous_and_requires_grad_roundtrip(rng):
    base = rng.standard_normal((4, 6)).astype(np.float32)
    views = {"transposed": base.T, "strided": base[::2, 1::3], "reversed": base[::-1],
             "fortran": np.asfortranarray(base), "scalar": base[1, 2]}
    for name, array in views.items():
        back = roundtrip(ember.from_numpy(np.asarray(array)))
        np.testing.assert_array_equal(host(back), array, err_msg=name)
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    back = roundtrip({"w": w, "frozen": w.detach()})
    assert back["w"].requires_grad and back["w"].is_leaf and not back["frozen"].requires_grad


def test_nested_structures_keep_their_types(rng):
    state = collections.OrderedDict(
        [("layer.weight", random_tensor(rng, (3, 2), "float32")),
         ("layer.bias", random_tensor(rng, (3,), "float32"))])
    obj = {"model": state, "step": 17, "lr": 1e-3, "name": "run-1", "done": False,
           "nothing": None, "history": [1.5, (2, "x")], 3: {"nested": [state["layer.bias"]]},
           "dtype": ember.bfloat16, "device": ember.device("cpu"), "size": ember.Size([2, 3]),
           "complex": 1 + 2j, "tags": {"a", "b"}, "frozen": frozenset([1]), "bytes": b"\x00\xff"}
    back = roundtrip(obj)
    assert type(back["model"]) is collections.OrderedDict
    assert list(back["model"]) == list(state)
    for k in state:
        np.testing.assert_array_equal(host(back["model"][k]), host(state[k]))
    plain = {k: v for k, v in obj.items() if k not in ("model", 3)}
    assert {k: back[k] for k in plain} == plain
    assert type(back["history"][1]) is tuple and type(back["size"]) is ember.Size
    assert back["dtype"] is ember.bfloat16 and isinstance(back["device"], ember.device)
    assert back[3]["nested"][0] is back["model"]["layer.bias"]  # the same tensor, once


def test_paths_and_file_objects(tmp_path, rng):
    t = random_tensor(rng, (4,), "float64")
    for target in (str(tmp_path / "a.pt"), tmp_path / "b.pt"):
        ember.save(t, target)
        np.testing.assert_array_equal(host(ember.load(target)), host(t))
        np.testing.assert_array_equal(host(ember.load(str(target))), host(t))
    with open(tmp_path / "c.pt", "wb") as f:
        f.write(b"header")  # saving and loading start at the file's position
        ember.save(t, f)
    with open(tmp_path / "c.pt", "rb") as f:
        assert f.read(6) == b"header"
        np.testing.assert_array_equal(host(ember.load(f)), host(t))


class Stream(io.RawIOBase):
    """A one-way stream: no seek, no tell (a pipe or socket)."""

    def __init__(self, data=b""):
        self.data, self.pos, self.written = data, 0, bytearray()

    def readable(self):
        return True

    def writable(self):
        return True

    def readinto(self, buf):
        n = min(len(buf), len(self.data) - self.pos)
        buf[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n

    def write(self, b):
        self.written += bytes(b)
        return len(b)


def test_unseekable_streams(rng):
    t = random_tensor(rng, (2, 3), "int64")
    out = Stream()
    ember.save({"t": t}, out)
    back = ember.load(Stream(bytes(out.written)))
    np.testing.assert_array_equal(host(back["t"]), host(t))


def test_shared_storage_is_saved_once_and_comes_back_shared(tmp_path):
    base = ember.from_numpy(np.arange(24, dtype=np.float32).reshape(4, 6))
    row = ember.from_numpy(base.numpy()[1])
    cols = ember.from_numpy(base.numpy()[:, ::2])
    as_ints = ember.from_numpy(base.numpy().view(np.int32))  # another dtype, same bytes
    path = tmp_path / "shared.pt"
    ember.save({"base": base, "row": row, "cols": cols, "again": base, "ints": as_ints}, path)
    with zipfile.ZipFile(path) as z:
        storages = [n for n in z.namelist() if "/storages/" in n]
        assert len(storages) == 1 and z.getinfo(storages[0]).file_size == 24 * 4
    back = ember.load(path)
    assert back["again"] is back["base"]
    np.testing.assert_array_equal(host(back["cols"]), base.numpy()[:, ::2])
    back["base"].numpy()[1, 2] = -1.0  # one write is seen through every view
    assert back["row"].numpy()[2] == -1.0 and back["cols"].numpy()[1, 1] == -1.0
    assert back["ints"].numpy()[1, 2] == np.float32(-1.0).view(np.int32)


def test_map_location_forms(tmp_path, rng):
    t = random_tensor(rng, (3,), "float32")
    path = tmp_path / "m.pt"
    ember.save([t], path)
    seen = []
    for where in ("cpu", ember.device("cpu"), {"cpu": "cpu"},
                  lambda storage, loc: seen.append(loc) or storage, lambda s, loc: None):
        back = ember.load(path, map_location=where)
        assert back[0].device == ember.device("cpu")
        np.testing.assert_array_equal(host(back[0]), host(t))
    assert seen == ["cpu"]
    with pytest.raises(TypeError):
        ember.load(path, map_location=3.5)


def rewrite_archive(src, dst, change):
    """Copy archive ``src`` to ``dst``, passing each (ZipInfo, bytes) through ``change``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            info, data = change(info, zin.read(info))
            if info is not None:
                zout.writestr(info, data)


def test_cuda_checkpoint_needs_map_location_without_cuda(tmp_path, rng, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # a machine without CuPy, even if this has it
    t = random_tensor(rng, (3,), "float32")
    ember.save({"t": t}, tmp_path / "cpu.pt")

    def to_cuda(info, data):
        if "/storages/" in info.filename:
            info.comment = b"cuda:0"
        return info, data
    rewrite_archive(tmp_path / "cpu.pt", tmp_path / "cuda.pt", to_cuda)
    with pytest.raises(RuntimeError, match="map_location"):
        ember.load(tmp_path / "cuda.pt")
    for where in ("cpu", {"cuda:0": "cpu"}):
        np.testing.assert_array_equal(host(ember.load(tmp_path / "cuda.pt",
                                                      map_location=where)["t"]), host(t))
    seen = []
    ember.load(tmp_path / "cuda.pt", map_location=lambda s, loc: seen.append(loc) or s)
    assert seen == ["cuda:0"]


# -- safety --------------------------------------------------------------------------------

class Exploit:
    """Pickles as a call to os.system that would create ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def malicious_archive(tmp_path, payload: bytes) -> pathlib.Path:
    ember.save({"ok": ember.zeros(2)}, tmp_path / "good.pt")
    path = tmp_path / "evil.pt"
    rewrite_archive(tmp_path / "good.pt", path,
                    lambda info, data: (info, payload if info.filename.endswith(".pkl")
                                        else data))
    return path


def test_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weights": Exploit(marker)})
    assert pickle.loads(pickle.dumps(Exploit(tmp_path / "check"))) == 0  # it really would run
    assert (tmp_path / "check").exists()
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        ember.load(malicious_archive(tmp_path, payload))
    (tmp_path / "raw.pt").write_bytes(payload)  # a bare pickle, as old torch files are
    with pytest.raises(pickle.UnpicklingError, match="not an ember checkpoint"):
        ember.load(tmp_path / "raw.pt")
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        ember.load(malicious_archive(tmp_path, payload), weights_only=True)
    assert not marker.exists()  # (weights_only=False, an explicit opt-out, would run it)


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("ember.serialization", "os"),
                                         ("ember.serialization", "atomic_write"),
                                         ("ember", "Tensor"), ("subprocess", "Popen")])
def test_only_allow_listed_globals_load(tmp_path, module, name):
    payload = b"\x80\x04" + b"c" + module.encode() + b"\n" + name.encode() + b"\n" + b")R."
    with pytest.raises(pickle.UnpicklingError, match="refuses"):
        ember.load(malicious_archive(tmp_path, payload))


class Crafted:
    """Pickles as a float32 view with the given geometry over the archive's storage '0'."""

    def __init__(self, offset, shape, strides):
        self.args = (ser._StorageRef("0"), offset, shape, strides, "float32", False)

    def __reduce__(self):
        return ser._rebuild_tensor, self.args


@pytest.mark.parametrize("offset,shape,strides", [(0, (1000,), (4,)), (-8, (1,), (4,)),
                                                  (4, (2,), (4,)), (0, (2, 2), (4, 1 << 40)),
                                                  (0, (2,), (-4,))])
def test_crafted_tensor_outside_its_storage_is_refused(tmp_path, offset, shape, strides):
    # A view reaching past its 8-byte storage would read arbitrary memory if it were built.
    buf = io.BytesIO()
    ser._Pickler(buf, 4).dump(Crafted(offset, shape, strides))
    with pytest.raises(pickle.UnpicklingError, match="does not fit its storage"):
        ember.load(malicious_archive(tmp_path, buf.getvalue()))


def test_damaged_files_give_clear_errors(tmp_path, rng):
    path = tmp_path / "ok.pt"
    ember.save({"t": random_tensor(rng, (100,), "float64")}, path)
    data = path.read_bytes()
    cases = {"truncated": data[: len(data) // 2], "empty": b"", "magic": b"GIF89a" + data[6:]}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises((RuntimeError, pickle.UnpicklingError), match="ember.load"):
            ember.load(tmp_path / name)

    def drop_storage(info, blob):
        return (None, None) if "/storages/" in info.filename else (info, blob)
    (tmp_path / "missing").write_bytes(b"")
    rewrite_archive(path, tmp_path / "missing", drop_storage)
    with pytest.raises(RuntimeError, match="missing"):
        ember.load(tmp_path / "missing")

    def garble(info, blob):
        return info, (blob[:10] if info.filename.endswith(".pkl") else blob)
    rewrite_archive(path, tmp_path / "garbled", garble)
    with pytest.raises(pickle.UnpicklingError, match="malformed"):
        ember.load(tmp_path / "garbled")

    def future(info, blob):
        return info, (b"99" if info.filename.endswith("version") else blob)
    rewrite_archive(path, tmp_path / "future", future)
    with pytest.raises(RuntimeError, match="version"):
        ember.load(tmp_path / "future")


class Config:
    def __init__(self, depth):
        self.depth = depth


class Scaled(ember.Tensor):
    pass


def test_user_types_load_only_when_allowed():
    obj = {"config": Config(3), "t": ember.ones(2)}
    with pytest.raises(pickle.UnpicklingError, match="Config"):
        roundtrip(obj)
    with ser.safe_globals([Config]):
        assert roundtrip(obj)["config"].depth == 3
    assert Config not in ser.get_safe_globals()
    special = Scaled([1.0, 1.0, 1.0])
    with pytest.raises(pickle.UnpicklingError, match="Scaled"):
        roundtrip(special)
    ser.add_safe_globals([Scaled])
    try:
        back = roundtrip(special)
        assert type(back) is Scaled and host(back).tolist() == [1.0, 1.0, 1.0]
    finally:
        ser.clear_safe_globals()


# -- atomic writes -------------------------------------------------------------------------

class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("cannot serialize this")


def test_failed_save_leaves_old_file_and_no_temp_file(tmp_path, rng, monkeypatch):
    path = tmp_path / "ckpt.pt"
    old = random_tensor(rng, (50,), "float32")
    ember.save({"w": old}, path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="cannot serialize"):
        ember.save({"w": ember.zeros(50), "bad": Unpicklable()}, path)

    calls = []

    def fail_on_second(root):  # dies half-way through writing the storages
        calls.append(root)
        if len(calls) == 2:
            raise OSError("disk full")
        return memoryview(np.ascontiguousarray(root).reshape(-1).view(np.uint8))
    monkeypatch.setattr(ser, "_host_bytes", fail_on_second)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"a": ember.zeros(1000), "b": ember.ones(1000)}, path)
    assert path.read_bytes() == before
    np.testing.assert_array_equal(host(ember.load(path)["w"]), host(old))
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_saved_file_mode_and_missing_directory(tmp_path):
    path = tmp_path / "fresh.pt"
    ember.save(ember.zeros(1), path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        ember.save(ember.zeros(1), tmp_path / "nope" / "x.pt")


# -- safetensors ---------------------------------------------------------------------------

def test_safetensors_roundtrip(tmp_path, rng):
    state = {name: random_tensor(rng, (2, 3), name) for name in DTYPES if name != "complex128"}
    state["strided"] = ember.from_numpy(np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2])
    path = tmp_path / "w.safetensors"
    est.save_file(state, path, metadata={"format": "pt"})
    back = est.load_file(path)
    assert list(back) == sorted(state) or set(back) == set(state)
    for k, t in state.items():
        assert back[k].dtype == t.dtype
        np.testing.assert_array_equal(host(back[k]).view(np.uint8),
                                      np.ascontiguousarray(host(t)).view(np.uint8))
    assert est.load(est.save(state))["float32"].dtype == ember.float32


def test_safetensors_interoperates_with_numpy_and_torch_readers(tmp_path, rng):
    import safetensors.numpy
    import safetensors.torch
    import torch
    ours = {"w": random_tensor(rng, (4, 3), "float32"), "i": random_tensor(rng, (5,), "int64")}
    est.save_file(ours, tmp_path / "ours.safetensors")
    by_numpy = safetensors.numpy.load_file(tmp_path / "ours.safetensors")
    by_torch = safetensors.torch.load_file(tmp_path / "ours.safetensors")
    for k in ours:
        np.testing.assert_array_equal(by_numpy[k], host(ours[k]))
        np.testing.assert_array_equal(by_torch[k].numpy(), host(ours[k]))
    theirs = {"a": torch.randn(3, 2), "b": torch.randn(4).to(torch.bfloat16),
              "c": torch.arange(6, dtype=torch.int32)}
    safetensors.torch.save_file(theirs, tmp_path / "theirs.safetensors")
    safetensors.numpy.save_file({"n": np.arange(3.0)}, tmp_path / "np.safetensors")
    back = est.load_file(tmp_path / "theirs.safetensors")
    assert back["b"].dtype == ember.bfloat16
    for k, v in theirs.items():
        np.testing.assert_array_equal(host(back[k]).astype(np.float32), v.float().numpy())
    np.testing.assert_array_equal(host(est.load_file(tmp_path / "np.safetensors")["n"]),
                                  np.arange(3.0))


def test_safetensors_errors(tmp_path):
    with pytest.raises(TypeError, match="complex128"):
        est.save({"z": ember.zeros(2, dtype=ember.complex128)})
    with pytest.raises(TypeError, match="not a Tensor"):
        est.save({"x": np.zeros(2)})
    (tmp_path / "junk.safetensors").write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{oops")
    with pytest.raises(RuntimeError, match="not a valid safetensors"):
        est.load_file(tmp_path / "junk.safetensors")


def test_parameters_and_module_state_dicts(rng):
    class Net(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = ember.nn.Parameter(ember.from_numpy(
                rng.standard_normal((3, 2)).astype(np.float32)))
            self.register_buffer("steps", ember.zeros(1, dtype=ember.int64))

    net, fresh = Net(), Net()
    back = roundtrip({"model": net.state_dict(), "param": net.weight})
    assert type(back["param"]) is ember.nn.Parameter and back["param"].requires_grad
    fresh.load_state_dict(back["model"])
    np.testing.assert_array_equal(host(fresh.weight), host(net.weight))


# -- checkpoints written by PyTorch ----------------------------------------------------------

def test_loads_checkpoints_written_by_torch(tmp_path):
    import torch
    torch.manual_seed(0)
    base = torch.randn(4, 5)
    saved = collections.OrderedDict(
        weight=torch.randn(3, 2), steps=torch.arange(4), half=torch.randn(3).half(),
        bf16=torch.randn(2).bfloat16(), flags=torch.tensor([True, False]),
        z=torch.randn(2, dtype=torch.complex128), base=base, view=base[1:, ::2],
        param=torch.nn.Parameter(torch.ones(2)), meta={"dtype": torch.float16, "n": 3,
                                                       "size": torch.Size([2, 3]),
                                                       "device": torch.device("cpu")})
    torch.save(saved, tmp_path / "torch.pt")
    back = ember.load(tmp_path / "torch.pt")
    assert type(back) is collections.OrderedDict and list(back) == list(saved)
    for k, v in saved.items():
        if isinstance(v, torch.Tensor):
            assert back[k].dtype.name == str(v.dtype).removeprefix("torch."), k
            np.testing.assert_array_equal(host(back[k]).astype(np.complex128),
                                          v.detach().to(torch.complex128).numpy(), err_msg=k)
    assert type(back["param"]) is ember.nn.Parameter and back["param"].requires_grad
    assert back["meta"] == {"dtype": ember.float16, "n": 3, "size": ember.Size([2, 3]),
                            "device": ember.device("cpu")}
    back["base"].numpy()[1, 0] = 42.0  # views of one storage still share it
    assert back["view"].numpy()[0, 0] == 42.0


def test_torch_checkpoint_with_hostile_pickle_is_refused(tmp_path):
    import torch
    marker = tmp_path / "pwned"
    torch.save({"w": torch.zeros(2), "evil": Exploit(marker)}, tmp_path / "evil.pt")
    with pytest.raises(pickle.UnpicklingError, match="refuses"):
        ember.load(tmp_path / "evil.pt")
    assert not marker.exists()


def test_numpy_arrays_and_scalars_roundtrip(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    t = ember.from_numpy(a)
    obj = {"array": a, "view": a[:, 1], "tensor": t, "ints": np.arange(5, dtype=np.uint16),
           "rng": np.random.RandomState(3).get_state(), "f32": np.float32(1.5),
           "i8": np.int8(-3), "flag": np.bool_(True), "c": np.complex64(1 - 2j)}
    back = roundtrip(obj)
    for k in ("array", "view", "ints"):
        assert type(back[k]) is np.ndarray and back[k].dtype == obj[k].dtype
        np.testing.assert_array_equal(back[k], obj[k])
    for k in ("f32", "i8", "flag", "c"):
        assert type(back[k]) is type(obj[k]) and back[k] == obj[k]
    restored = np.random.RandomState()
    restored.set_state(back["rng"])
    assert restored.randint(1000) == np.random.RandomState(3).randint(1000)
    back["array"][0, 1] = 99.0  # the array, its view and the tensor made from it share memory
    assert back["view"][0] == 99.0 and back["tensor"].numpy()[0, 1] == 99.0


def test_object_arrays_do_not_load(tmp_path):
    with pytest.raises(pickle.UnpicklingError, match="refuses"):
        roundtrip({"objects": np.array([{"a": 1}], dtype=object)})

    class ForgedArray:
        def __reduce__(self):
            return ser._rebuild_array, (ser._StorageRef("0"), 0, (1,), (8,), "|O")
    buf = io.BytesIO()
    ser._Pickler(buf, 4).dump(ForgedArray())
    with pytest.raises(pickle.UnpicklingError, match="only numeric arrays"):
        ember.load(malicious_archive(tmp_path, buf.getvalue()))
