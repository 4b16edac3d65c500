"""`ember.save` / `ember.load`: checkpoints in a safe, atomic archive.

A checkpoint is a zip archive (stored, not compressed) holding

- ``archive/ember_version``: the format's version,
- ``archive/data.pkl``: the saved object as a pickle in which every tensor (and numeric
  NumPy array) is a call to `_rebuild_tensor` (`_rebuild_array`) on a *storage* reference,
- ``archive/storages/<n>``: each storage's raw little-endian bytes, once, however many
  tensors view it, so views and repeated tensors come back sharing memory.

Loading is safe: the pickle is read by an unpickler that resolves only an allow-list of
plain containers and ember's own rebuild functions (plus what the user adds with
`add_safe_globals`), so a hostile file can't name ``os.system`` or any other callable.
Checkpoints written by PyTorch's ``torch.save`` load too, through the same restricted
unpickler with PyTorch's rebuild functions mapped onto ember's (`ember._torch_checkpoint`).
Saving to a path is atomic: the archive goes to a temporary file in the same directory,
is flushed to disk, then renamed over the target.
"""
from __future__ import annotations

import collections
import contextlib
import io
import os
import pickle
import struct
import sys
import zipfile
from typing import Any, BinaryIO, Callable

import numpy as np

from . import _dtype as dt
from . import backend
from ._device import CPU, as_device, device
from ._safe_unpickler import RestrictedUnpickler
from ._tensor import Size, Tensor, _init, _new, wrap

FORMAT_VERSION = "1"
_PREFIX = "archive/"
_MAGIC = b"PK\x03\x04"
_NUMERIC = "biufc"  # the NumPy kinds a checkpoint may hold as raw bytes
_PROTOCOL = 4

FileLike = str | os.PathLike | BinaryIO


# -- rebuild functions: the only callables a checkpoint may name ----------------------------

def _rebuild_tensor(storage, offset: int, shape: tuple, strides: tuple, dtype_name: str,
                    requires_grad: bool, cls_name: str = "") -> Tensor:
    """A tensor viewing ``storage`` (bytes) from byte ``offset`` with byte ``strides``."""
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("ember.load: a tensor's data must be a storage of the "
                                     f"archive, got {type(storage).__name__}")
    dtype = _rebuild_dtype(dtype_name)
    t = _new(_tensor_class(cls_name) if cls_name else Tensor)
    _init(t, storage.view(dtype.np, offset, shape, strides))
    t._requires_grad = bool(requires_grad)
    return t


def _rebuild_dtype(name: str) -> dt.dtype:
    try:
        return dt._BY_NAME[name]
    except (KeyError, TypeError):
        raise pickle.UnpicklingError(f"ember.load: unknown dtype {name!r}") from None


def _rebuild_device(spec: str) -> device:
    try:
        return as_device(spec)
    except (RuntimeError, TypeError, ValueError) as e:
        raise pickle.UnpicklingError(f"ember.load: bad device {spec!r}: {e}") from None


def _rebuild_size(dims: tuple) -> Size:
    if not all(isinstance(d, int) for d in dims):
        raise pickle.UnpicklingError(f"ember.load: bad Size {dims!r}")
    return Size(dims)


def _plain_numpy_dtype(spec: str) -> np.dtype:
    # Only numbers: an object or structured dtype over raw bytes would forge pointers.
    try:
        np_dtype = np.dtype(spec)
    except (TypeError, ValueError):
        np_dtype = None
    if np_dtype is None or np_dtype.kind not in _NUMERIC or np_dtype.fields is not None:
        raise pickle.UnpicklingError(f"ember.load: refusing NumPy dtype {spec!r}: only "
                                     f"numeric arrays can be loaded")
    return np_dtype


def _rebuild_array(storage, offset: int, shape: tuple, strides: tuple,
                   dtype_spec: str) -> np.ndarray:
    """A NumPy array (always on the host) viewing ``storage``."""
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("ember.load: an array's data must be a storage of the "
                                     f"archive, got {type(storage).__name__}")
    return storage.view(_plain_numpy_dtype(dtype_spec), offset, shape, strides, on_host=True)


def _rebuild_numpy_scalar(dtype_spec: str, raw: bytes) -> np.generic:
    np_dtype = _plain_numpy_dtype(dtype_spec)
    if not isinstance(raw, bytes) or len(raw) != np_dtype.itemsize:
        raise pickle.UnpicklingError(f"ember.load: bad NumPy {np_dtype} scalar {raw!r}")
    return np.frombuffer(raw, np_dtype)[0]


_ALLOWED: dict[tuple[str, str], Any] = {
    (__name__, "_rebuild_array"): _rebuild_array,
    (__name__, "_rebuild_numpy_scalar"): _rebuild_numpy_scalar,
    (__name__, "_rebuild_tensor"): _rebuild_tensor,
    (__name__, "_rebuild_dtype"): _rebuild_dtype,
    (__name__, "_rebuild_device"): _rebuild_device,
    (__name__, "_rebuild_size"): _rebuild_size,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
    ("builtins", "slice"): slice,
    ("builtins", "range"): range,
}
_user_allowed: dict[tuple[str, str], Any] = {}


def add_safe_globals(safe_globals: list) -> None:
    """Let `load` rebuild these classes or functions, which you trust, from checkpoints: a
    whole pickled model needs its classes listed. An entry may be ``(obj, "module.name")``
    to allow ``obj`` under another name. A checkpoint written by PyTorch names its classes
    ``torch.nn.modules...``: list Ember's classes of the same path, they stand for them.

    >>> ember.serialization.add_safe_globals([MyModel, ember.nn.LSTM, ember.nn.Linear])
    """
    for entry in safe_globals:
        if isinstance(entry, tuple):
            obj, path = entry
            module, _, name = str(path).rpartition(".")
        else:
            obj, module, name = entry, entry.__module__, entry.__qualname__
        _user_allowed[(module, name)] = obj


def get_safe_globals() -> list:
    """What `add_safe_globals` allowed (and `safe_globals` allows in its block)."""
    return list(_user_allowed.values())


def clear_safe_globals() -> None:
    """Forget everything `add_safe_globals` allowed."""
    _user_allowed.clear()


class safe_globals:
    """Within the block, `load` may also rebuild ``safe_globals`` (classes and functions you
    trust), as `add_safe_globals` allows them for good.

    >>> with ember.serialization.safe_globals([MyModel, ember.nn.Linear]):
    ...     model = ember.load("model.pt")
    """

    def __init__(self, safe_globals: list):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._saved = dict(_user_allowed)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc) -> None:
        _user_allowed.clear()
        _user_allowed.update(self._saved)


def _ember_path(module: str) -> str | None:
    """Ember's module for a PyTorch module path (``torch.nn.modules.rnn`` ->
    ``ember.nn.modules.rnn``), None for anything else."""
    if module == "torch" or module.startswith("torch."):
        return "ember" + module[len("torch"):]
    return None


def _lookup(module: str, name: str, importing: bool = False):
    """The object at ``module.name``, None if there is none. Without ``importing`` only
    modules already imported are searched: a file's names never make ember import anything
    (whatever the user allowed is imported already)."""
    import importlib
    try:
        found = importlib.import_module(module) if importing else sys.modules[module]
        for part in name.split("."):
            found = getattr(found, part)
    except (ImportError, KeyError, AttributeError):
        return None
    return found


def _user_global(module: str, name: str):
    """What the user allowed under this name, or, for a PyTorch name, the ember object of
    the same path if the user allowed that object."""
    found = _user_allowed.get((module, name))
    if found is None and (ember_module := _ember_path(module)) is not None:
        candidate = _lookup(ember_module, name)
        if candidate is not None and any(candidate is v for v in _user_allowed.values()):
            found = candidate
    return found


def _refusal(module: str, name: str) -> pickle.UnpicklingError:
    ember_module = _ember_path(module)
    hint = "" if ember_module is None else (
        f" (for PyTorch's {module}.{name}, allow ember's {ember_module}.{name})")
    return pickle.UnpicklingError(
        f"ember.load refuses to load {module}.{name}: Weights only load failed. Unsupported "
        f"global: GLOBAL {module}.{name} was not an allowed global by default: checkpoints "
        f"may hold only tensors, plain containers, numbers and strings. If you trust this "
        f"class or function, allow it with "
        f"ember.serialization.add_safe_globals([{name}]) or within "
        f"ember.serialization.safe_globals([{name}]){hint}; to run whatever the file holds, "
        f"load it with weights_only=False.")


def _tensor_class(cls_name: str) -> type:
    """The Tensor subclass named ``module:qualname``: one of ember's own (nn.Parameter...) or
    one the user allowed. Never anything that is not a Tensor type."""
    module, _, name = str(cls_name).partition(":")
    found = _user_allowed.get((module, name))
    if found is None and (module == "ember" or module.startswith("ember.")):
        import importlib
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            found = None
    if isinstance(found, type) and issubclass(found, Tensor):
        return found
    raise pickle.UnpicklingError(
        f"ember.load refuses to rebuild a tensor of type {module}.{name}: it is not one of "
        f"ember's tensor types. If you trust this file, allow the type with "
        f"ember.serialization.add_safe_globals([...]).")


# -- saving ---------------------------------------------------------------------------------

class _StorageRef:
    """Stands for storage ``key`` in the pickle (written as a persistent id)."""
    __slots__ = ("key",)

    def __init__(self, key: str):
        self.key = key


class _Pickler(pickle.Pickler):
    def __init__(self, file, protocol: int):
        super().__init__(file, protocol)
        self.storages: dict[int, tuple[str, Any, str]] = {}  # id(root) -> (key, root, location)

    def persistent_id(self, obj):
        return ("storage", obj.key) if type(obj) is _StorageRef else None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            args = (*self._storage_args(obj._data, str(obj.device)), obj.dtype.name,
                    obj._requires_grad)
            if type(obj) is not Tensor:
                args += (f"{type(obj).__module__}:{type(obj).__qualname__}",)
            return _rebuild_tensor, args
        if type(obj) is np.ndarray and obj.dtype.kind in _NUMERIC and obj.dtype.fields is None:
            return _rebuild_array, (*self._storage_args(obj, "cpu"), obj.dtype.str)
        if isinstance(obj, np.generic) and obj.dtype.kind in _NUMERIC:
            return _rebuild_numpy_scalar, (obj.dtype.str, obj.tobytes())
        if type(obj) is dt.dtype:
            return _rebuild_dtype, (obj.name,)
        if type(obj) is device:
            return _rebuild_device, (str(obj),)
        if type(obj) is Size:
            return _rebuild_size, (tuple(obj),)
        return NotImplemented

    def _storage_args(self, array, location: str) -> tuple:
        """(storage reference, byte offset, shape, byte strides) of ``array`` in the storage
        of the memory block it views, registering that block once."""
        root = array
        while isinstance(root.base, type(array)):
            root = root.base
        if not (root.flags.c_contiguous or root.flags.f_contiguous):
            root = array = array.copy()  # memory we can't describe as one block: save a copy
        entry = self.storages.get(id(root))
        if entry is None:
            entry = (str(len(self.storages)), root, location)
            self.storages[id(root)] = entry
        offset = _address(array) - _address(root)
        return _StorageRef(entry[0]), offset, tuple(array.shape), tuple(array.strides)


def _address(array) -> int:
    if type(array) is np.ndarray:
        return array.__array_interface__["data"][0]
    return array.data.ptr


def _host_bytes(root) -> memoryview:
    host = root if type(root) is np.ndarray else backend.to_device(root, CPU)
    flat = host.reshape(-1, order="A") if host.ndim else host.reshape(1)
    return memoryview(flat.view(np.uint8))


def _write_archive(obj, f: BinaryIO, protocol: int) -> None:
    if sys.byteorder != "little":
        raise RuntimeError("ember.save: checkpoints are little-endian; big-endian hosts are "
                           "not supported")
    data = io.BytesIO()
    pickler = _Pickler(data, protocol)
    pickler.dump(obj)
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr(_PREFIX + "ember_version", FORMAT_VERSION)
        archive.writestr(_PREFIX + "data.pkl", data.getvalue())
        for key, root, location in pickler.storages.values():
            info = zipfile.ZipInfo(_PREFIX + "storages/" + key)
            info.comment = location.encode()
            with archive.open(info, "w", force_zip64=True) as out:
                out.write(_host_bytes(root))


def save(obj: Any, f: FileLike, pickle_module=None, pickle_protocol: int = _PROTOCOL,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Save ``obj`` (tensors, state_dicts, nested containers of them with numbers, strings,
    dtypes, devices...) to a path or a binary file object. Writing to a path is atomic.

    >>> ember.save({'w': ember.ones(2)}, 'ckpt.pt'); ember.load('ckpt.pt')
    {'w': tensor([1., 1.])}
    """
    if isinstance(f, (str, os.PathLike)):
        atomic_write(os.fspath(f), lambda out: _write_archive(obj, out, pickle_protocol))
    else:
        _write_archive(obj, f, pickle_protocol)


def atomic_write(path: str, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, then move it onto ``path``:
    a failure or crash part-way leaves any previous file at ``path`` untouched."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    import tempfile
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where we can
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _new_file_mode(path: str) -> int:
    # mkstemp makes owner-only files; give the result the mode a plain open() would.
    with contextlib.suppress(FileNotFoundError):
        return os.stat(path).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# -- loading --------------------------------------------------------------------------------

class _Storage:
    """One storage of an archive: its bytes, on the device its tensors will live on."""

    def __init__(self, host: np.ndarray, target: device):
        self.host = host
        self.target = target
        self.array = host if target == CPU else backend.to_device(host, target)

    def view(self, np_dtype: np.dtype, offset: int, shape: tuple, strides: tuple,
             on_host: bool = False):
        try:
            # The ndarray constructor checks that the view stays inside the buffer.
            checked = np.ndarray(tuple(shape), np_dtype, self.host, int(offset), tuple(strides))
        except (TypeError, ValueError) as e:
            raise pickle.UnpicklingError(
                f"ember.load: a view of shape {tuple(shape)} with strides {tuple(strides)} "
                f"at offset {offset} does not fit its storage of {self.host.nbytes} bytes: "
                f"{e}") from None
        if on_host or self.target == CPU:
            return checked
        xp = backend.for_device(self.target).xp
        return xp.ndarray(checked.shape, np_dtype, memptr=self.array.data + int(offset),
                          strides=checked.strides)


class _Unpickler(RestrictedUnpickler):
    """Resolves only allow-listed globals; storages come from ``open_storage(key, location)``
    (None: the location the archive recorded)."""

    allowed = _ALLOWED

    def __init__(self, file, open_storage: Callable[[str, str | None], _Storage]):
        super().__init__(file)
        self._open_storage = open_storage

    def resolve(self, module: str, name: str):
        found = self.allowed.get((module, name))
        if found is None:
            found = _user_global(module, name)
            if found is None:
                raise _refusal(module, name)
            self._admit(found, callable_=not isinstance(found, type))
        elif callable(found):
            self._admit(found, callable_=True)
        return found

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "storage"
                and isinstance(pid[1], str)):
            raise pickle.UnpicklingError(f"ember.load: unknown persistent id {pid!r}")
        return self._open_storage(pid[1], None)


def _trusting(restricted: type) -> type:
    """The unpickler of ``load(weights_only=False)``: any global, as plain pickle does, with
    the archive's storages and rebuild functions of ``restricted`` and PyTorch's names
    mapped to ember's."""
    class TrustingUnpickler(pickle.Unpickler):
        def __init__(self, file, open_storage):
            super().__init__(file)
            self._open_storage = open_storage

        persistent_load = restricted.persistent_load

        def find_class(self, module: str, name: str):
            found = restricted.allowed.get((module, name))
            if found is not None:
                return found
            ember_module = _ember_path(module)
            if ember_module is not None:
                found = _lookup(ember_module, name, importing=True)
                if found is None:
                    raise pickle.UnpicklingError(
                        f"ember.load: {module}.{name} has no ember counterpart "
                        f"({ember_module}.{name} does not exist)")
                return found
            return super().find_class(module, name)
    return TrustingUnpickler


def _target_device(location: str, map_location) -> device:
    if map_location is None:
        return as_device(location)
    if isinstance(map_location, dict):
        return as_device(map_location.get(location, location))
    return as_device(map_location)


def _open_storage(archive: zipfile.ZipFile, name: str, entry: str, location: str | None,
                  map_location) -> _Storage:
    try:
        info = archive.getinfo(entry)
    except KeyError:
        raise RuntimeError(f"ember.load: {name} is damaged: storage {entry!r} is "
                           f"missing") from None
    host = _read_storage(archive, info, name)
    if location is None:
        location = info.comment.decode() or "cpu"
    if callable(map_location):
        moved = map_location(wrap(host), location)
        if moved is not None:
            return _Storage(host, moved.device)
        map_location = None
    target = _target_device(location, map_location)
    if target.type == "cuda":
        try:
            backend.for_device(target)
        except ImportError:
            raise RuntimeError(
                f"Attempting to deserialize object on a CUDA device ({location}) but CUDA is "
                f"not available (CuPy is not installed). If you are running on a CPU-only "
                f"machine, please use ember.load with map_location='cpu' to map your "
                f"storages to the CPU.") from None
    return _Storage(host, target)


def _read_storage(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> np.ndarray:
    host = np.empty(info.file_size, dtype=np.uint8)
    view, filled = memoryview(host), 0
    try:
        with archive.open(info) as src:
            while filled < len(host) and (n := src.readinto(view[filled:])):
                filled += n
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise RuntimeError(f"ember.load: {name} is damaged: storage {info.filename!r} can't "
                           f"be read: {e}") from None
    if filled != len(host):
        raise RuntimeError(f"ember.load: {name} is truncated: storage {info.filename!r} has "
                           f"{filled} of its {len(host)} bytes")
    return host


def load(f: FileLike, map_location=None, pickle_module=None, *, weights_only: bool = True,
         mmap: bool | None = None, **pickle_load_args) -> Any:
    """Load what `save` wrote, from a path or a binary file object.

    By default (``weights_only=True``) nothing in the file runs: it may hold tensors,
    containers, numbers and strings, and instances of the classes you allow with
    `add_safe_globals` / `safe_globals` (rebuilt through the pickle protocol only, see
    ``ember/_safe_unpickler.py``). ``weights_only=False`` unpickles whatever the file holds,
    as plain pickle does: only for files you trust. ``map_location`` moves storages: a
    device or string for all of them, a dict from saved to new location, or
    ``fn(storage, location)`` returning the storage where it should live.

    >>> ember.save({'w': ember.ones(2)}, 'ckpt.pt')
    >>> ember.load('ckpt.pt', map_location='cpu')['w']
    tensor([1., 1.])
    """
    if not (map_location is None or isinstance(map_location, (str, device, dict))
            or callable(map_location)):
        raise TypeError(f"ember.load: map_location must be None, a device, a string, a dict "
                        f"or a callable, got {type(map_location).__name__}")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _load(fh, os.fspath(f), map_location, weights_only)
    return _load(f, getattr(f, "name", type(f).__name__), map_location, weights_only)


def _load(f: BinaryIO, name: str, map_location, weights_only: bool = True) -> Any:
    start = f.tell() if getattr(f, "seekable", lambda: False)() else None
    magic = f.read(4)
    if magic != _MAGIC:
        raise pickle.UnpicklingError(
            f"ember.load: {name} is not an ember checkpoint: expected a zip archive starting "
            f"with {_MAGIC!r}, found {magic!r}")
    if start is None:
        f = io.BytesIO(magic + f.read())
    else:
        f.seek(start)
    try:
        archive = zipfile.ZipFile(f)
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        prefix = pickles[0][:-len("data.pkl")]
        data = archive.read(prefix + "data.pkl")
        version = archive.read(prefix + "ember_version").decode() \
            if prefix + "ember_version" in names else None
    except (zipfile.BadZipFile, IndexError, EOFError, OSError, UnicodeDecodeError) as e:
        raise RuntimeError(f"ember.load: {name} is not a readable ember checkpoint (truncated "
                           f"or damaged archive): {e}") from None
    if version is None:  # no ember marker: a checkpoint written by PyTorch
        from ._torch_checkpoint import TorchUnpickler as unpickler
        storage_dir = prefix + "data/"
    elif version != FORMAT_VERSION:
        raise RuntimeError(f"ember.load: {name} has format version {version!r}; this ember "
                           f"reads version {FORMAT_VERSION}")
    else:
        unpickler, storage_dir = _Unpickler, prefix + "storages/"
    opened: dict[str, _Storage] = {}

    def storage(key: str, location: str | None) -> _Storage:
        if key not in opened:
            opened[key] = _open_storage(archive, name, storage_dir + key, location,
                                        map_location)
        return opened[key]

    if weights_only is False:
        unpickler = _trusting(unpickler)
    with archive:
        try:
            return unpickler(io.BytesIO(data), storage).load()
        except _MALFORMED as e:  # a damaged pickle fails in many ways: name the file
            if str(e).startswith("ember.load"):
                raise
            raise pickle.UnpicklingError(f"ember.load: {name} holds a malformed object "
                                         f"description: {type(e).__name__}: {e}") from None


_MALFORMED = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
              IndexError, KeyError, OverflowError, struct.error)
