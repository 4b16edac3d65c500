"""`ember.Tensor`: an n-dimensional array on a device, with autograd bookkeeping.

The array itself is a NumPy (or CuPy) array in ``_data``; the tensor adds what autograd needs:
``requires_grad``, ``grad``, the node that made it (``grad_fn``) and a version counter that
views share with their base. Math methods are attached by the op table (`ember.ops`).
"""
from __future__ import annotations

import numpy as np

from . import _dtype as dt
from ._device import CPU, as_device
from ._layout import preserve_format
from .autograd.grad_mode import STATE
from . import autograd as _autograd
from . import backend
from ._trace_hook import ACTIVE as _TRACER, note as _note_data_read


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    >>> x = ember.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    >>> (x * x).sum().backward(); x.grad
    tensor([[2., 4.],
            [6., 8.]])
    """

    # The few fields read on every op are slots; rarely-set ones fall back to class defaults.
    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_vc", "__dict__", "__weakref__")
    _output_nr = 0
    _grad = None
    _base = None
    _view_version = -1  # the version at which a view's grad_fn was last made current
    _grad_acc = None
    _hooks = None
    _post_acc_hooks = None
    _retains_grad = False
    _inference = False  # made under inference_mode (set per tensor only then)
    __array_priority__ = 1000  # NumPy defers `ndarray + tensor` to Tensor.__radd__

    def __new__(cls, *args, device=None, dtype=None, requires_grad=False):
        # The legacy constructor: ember.Tensor(2, 3) is an uninitialized float tensor,
        # ember.Tensor([1, 2]) a float tensor of that data.
        from . import _creation
        if len(args) == 1 and not isinstance(args[0], int):
            data = _creation.to_array(args[0], dtype or dt.get_default_dtype(), device)
        else:
            size = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            size = size or (0,)  # ember.Tensor() is an empty 1-d tensor
            data = _creation.empty_array(tuple(size), dtype or dt.get_default_dtype(), device)
        t = object.__new__(cls)
        _init(t, data)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, *args, **kwargs):
        pass

    # -- autograd fields -----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and self.dtype.category < dt._FLOAT:
            raise RuntimeError(
                f"only Tensors of floating point and complex dtype can require gradients, "
                f"got {self.dtype}")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad_fn(self):
        if self._base is not None and self._grad_fn is not None:
            from .autograd.graph import edge_of
            return edge_of(self)[0]
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: grad is "
                                   f"{list(value.shape)}, tensor is {list(self.shape)}")
            if value.dtype != self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: grad is "
                                   f"{value.dtype}, tensor is {self.dtype}")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def data(self) -> "Tensor":
        return self.detach()

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data

    def detach(self) -> "Tensor":
        """A tensor sharing this one's memory (and version counter) with no autograd history."""
        if _TRACER:  # the graph must say where gradients stop
            from .ops import TABLE
            return TABLE["detach"].fn(self)
        return self._alias()

    def detach_(self) -> "Tensor":
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    def _alias(self, grad_fn=None) -> "Tensor":
        t = _new(Tensor)
        t._data = self._data
        t._vc = self._vc
        t._grad_fn = grad_fn
        t._requires_grad = grad_fn is not None
        return t

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        import weakref
        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                t._grad = grad.detach().clone() if t._grad is None else t._grad + grad
        self._grad_fn.tensor_hooks(self._output_nr)[-1] = keep
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one.

        >>> h = x.register_hook(lambda g: g * 2); ...; h.remove()
        """
        from .autograd.graph import RemovableHandle, _add_hook
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return _add_hook(self._grad_fn.tensor_hooks(self._output_nr), hook)
        if self._hooks is None:
            self._hooks = {}
        return _add_hook(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a leaf's ``.grad`` has been accumulated."""
        from .autograd.graph import _add_hook
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        return _add_hook(self._post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves."""
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- shape and memory ----------------------------------------------------------------
    @property
    def shape(self) -> "Size":
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    ndim = property(dim)

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        if dim is None:
            return strides
        return strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        base = self._data
        while isinstance(base.base, type(self._data)):
            base = base.base
        if base is self._data:
            return 0
        xp = self._xp
        start = self._data.__array_interface__["data"][0] if xp is np else self._data.data.ptr
        origin = base.__array_interface__["data"][0] if xp is np else base.data.ptr
        return (start - origin) // self._data.itemsize

    def is_contiguous(self, memory_format=None) -> bool:
        if memory_format is None:
            return self._data.flags.c_contiguous
        from ._layout import is_dense_in
        return is_dense_in(self._data, memory_format)

    def data_ptr(self) -> int:
        if self._xp is np:
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def untyped_storage(self):
        return _Storage(self)

    def _is_view(self) -> bool:
        return self._base is not None

    # -- dtype and device ----------------------------------------------------------------
    @property
    def dtype(self) -> dt.dtype:
        return dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return CPU if type(self._data) is np.ndarray else backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return type(self._data) is np.ndarray

    @property
    def _xp(self):
        return np if type(self._data) is np.ndarray else backend.xp_of(self._data)

    def is_floating_point(self) -> bool:
        return self.dtype.category == dt._FLOAT

    def is_complex(self) -> bool:
        return self.dtype.category == dt._COMPLEX

    def get_device(self) -> int:
        d = self.device
        return -1 if d.type == "cpu" else (d.index or 0)

    def type(self, dtype=None, non_blocking=False):
        """With no argument the type's name ('ember.FloatTensor'); else a cast to ``dtype``."""
        if dtype is None:
            return "ember." + _LEGACY_NAMES[self.dtype]
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            by_name = {v: k for k, v in _LEGACY_NAMES.items()}
            name = dtype.split(".")[-1]
            if name not in by_name:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = by_name[name]
        return self.to(dtype)

    def to(self, *args, **kwargs) -> "Tensor":
        """Cast to a dtype and/or move to a device: ``x.to('cpu')``, ``x.to(ember.float64)``,
        ``x.to(other)``, ``x.to(device, dtype)``."""
        memory_format = kwargs.pop("memory_format", None)
        device, dtype, copy = _parse_to(args, kwargs)
        from .ops import conversion
        out = conversion.to(self, device, dtype, copy)
        if memory_format is None or memory_format is preserve_format:
            return out
        return out.contiguous(memory_format)

    def cpu(self) -> "Tensor":
        return self.to(CPU)

    def cuda(self, device=None, non_blocking=False) -> "Tensor":
        d = as_device("cuda" if device is None else device if not isinstance(device, int)
                      else f"cuda:{device}")
        return self.to(d)

    def float(self): return self.to(dt.float32)
    def double(self): return self.to(dt.float64)
    def half(self): return self.to(dt.float16)
    def bfloat16(self): return self.to(dt.bfloat16)
    def long(self): return self.to(dt.int64)
    def int(self): return self.to(dt.int32)
    def short(self): return self.to(dt.int16)
    def char(self): return self.to(dt.int8)
    def byte(self): return self.to(dt.uint8)
    def bool(self): return self.to(dt.bool_)
    def cfloat(self): return self.to(dt.complex64)
    def cdouble(self): return self.to(dt.complex128)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    # -- leaving ember -------------------------------------------------------------------
    def item(self):
        if _TRACER:
            _note_data_read("Tensor.item()")
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._host().reshape(()).item()

    def tolist(self):
        if _TRACER:
            _note_data_read("Tensor.tolist()")
        return self._host().tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The NumPy array behind this CPU tensor (shared memory, not a copy)."""
        if force:
            return self.detach().cpu()._data.copy() if not self.is_cpu else self._data.copy()
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if _TRACER:
            _note_data_read("Tensor.numpy()")
        if not self.is_cpu:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def _host(self) -> np.ndarray:
        return self._data if type(self._data) is np.ndarray else backend.to_device(
            self._data, CPU)

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        a = self._host()
        return a if dtype is None else a.astype(dtype, copy=False)

    def __dlpack__(self, *args, **kwargs):
        if self._requires_grad:
            raise BufferError("Can't export tensors that require gradient, use "
                              "tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    # -- Python protocol -----------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if _TRACER:
            _note_data_read("converting a tensor to a Python boolean")
        if self._data.size != 1:
            amount = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {amount} is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        if self.dtype.category != dt._INT or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from ._formatting import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def apply_(self, callable) -> "Tensor":
        """Replace each element ``v`` by ``callable(v)`` (a slow Python loop, CPU only)."""
        self._check_python_loop("apply_")
        flat = self._data.reshape(-1)
        self._data[...] = np.array([callable(v) for v in flat.tolist()]).reshape(
            self._data.shape)
        self._vc[0] += 1
        return self

    def map_(self, tensor: "Tensor", callable) -> "Tensor":
        """Replace each element ``v`` by ``callable(v, w)``, ``w`` from ``tensor`` broadcast."""
        self._check_python_loop("map_")
        other = np.broadcast_to(tensor._host(), self._data.shape)
        values = [callable(v, w) for v, w in zip(self._data.reshape(-1).tolist(),
                                                  other.reshape(-1).tolist())]
        self._data[...] = np.array(values).reshape(self._data.shape)
        self._vc[0] += 1
        return self

    def _check_python_loop(self, name: str) -> None:
        if self._requires_grad:
            raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                               f"var.detach().{name}() instead.")
        if not self.is_cpu:
            raise TypeError(f"{name}() is only implemented on CPU tensors")

    def __reduce_ex__(self, protocol):
        # Pickling (DataLoader workers, multiprocessing) carries the values, not the graph.
        return (_rebuild, (self._host(), self._requires_grad, type(self)))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment")
        t = _rebuild(self._data.copy(), self._requires_grad, type(self))
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        t.__dict__.update({k: v for k, v in self.__dict__.items() if not k.startswith("_")})
        memo[id(self)] = t
        return t


def _rebuild(data, requires_grad, cls=Tensor):
    t = _new(cls)
    _init(t, data)
    if requires_grad:
        t._requires_grad = True
    return t


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``ember.Size([2, 3])``."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out


class _Storage:
    """Just enough of PyTorch's storage to compare where two tensors' memory starts."""

    def __init__(self, t):
        base = t._data
        while isinstance(base.base, type(t._data)):
            base = base.base
        self._array = base

    def data_ptr(self) -> int:
        a = self._array
        return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr

    def nbytes(self) -> int:
        return self._array.nbytes

    def size(self) -> int:
        return self._array.nbytes


_LEGACY_NAMES = {dt.float32: "FloatTensor", dt.float64: "DoubleTensor",
                 dt.float16: "HalfTensor", dt.bfloat16: "BFloat16Tensor",
                 dt.int64: "LongTensor", dt.int32: "IntTensor", dt.int16: "ShortTensor",
                 dt.int8: "CharTensor", dt.uint8: "ByteTensor", dt.bool_: "BoolTensor",
                 dt.complex64: "ComplexFloatTensor", dt.complex128: "ComplexDoubleTensor"}

_new = object.__new__


def _init(t, data) -> None:
    t._data = data
    t._requires_grad = False
    t._grad_fn = None
    t._vc = [0]
    if STATE.inference:
        t._inference = True


def wrap(data) -> Tensor:
    """A new leaf tensor around a backend array (0-d NumPy scalars become 0-d arrays)."""
    if type(data) is not np.ndarray and isinstance(data, np.generic):
        data = np.asarray(data)
    t = _new(Tensor)
    t._data = data
    t._requires_grad = False
    t._grad_fn = None
    t._vc = [0]
    if STATE.inference:
        t._inference = True
    return t


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}(): Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n


def _parse_to(args, kwargs):
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    flags = []  # positional (non_blocking, copy) after the dtype or device
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, dt.dtype) or a in (float, int, bool, complex):
            dtype = a
        elif isinstance(a, bool):
            flags.append(a)
        elif isinstance(a, (str, int)) or hasattr(a, "type") and hasattr(a, "index"):
            device = a
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    if len(flags) == 2:
        copy = flags[1]
    return (None if device is None else as_device(device),
            None if dtype is None else dt.as_dtype(dtype), copy)
