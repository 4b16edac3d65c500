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
        """Whether autograd records the operations on this tensor. Settable on leaves
        (``x.requires_grad = True`` is `requires_grad_`); only floating and complex tensors
        can require gradients.

        >>> ember.ones(2).requires_grad, ember.ones(2, requires_grad=True).requires_grad
        (False, True)
        """
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set `requires_grad` in place (default True) and return this tensor. A computed
        (non-leaf) tensor can't be switched off: `detach` it instead.

        >>> w = ember.zeros(3).requires_grad_()
        >>> w.requires_grad, w.is_leaf
        (True, True)
        """
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
        """The graph node that made this tensor (its backward function), or None for a leaf
        and for results computed without gradient tracking.

        >>> x = ember.ones(2, requires_grad=True)
        >>> x.grad_fn is None, type((x * 2).sum().grad_fn).__name__
        (True, 'SumBackward0')
        """
        if self._base is not None and self._grad_fn is not None:
            from .autograd.graph import edge_of
            return edge_of(self)[0]
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        """Whether this tensor has no `grad_fn`: it was made by the user, or by an operation
        that recorded nothing. Only leaves get ``.grad`` filled by `backward`.

        >>> x = ember.ones(2, requires_grad=True)
        >>> x.is_leaf, (x * 2).is_leaf
        (True, False)
        """
        return self._grad_fn is None

    @property
    def grad(self):
        """The gradient `backward` accumulated into this leaf (None until then). Assigning
        checks shape and dtype; ``del x.grad`` or ``x.grad = None`` clears it.

        >>> x = ember.ones(2, requires_grad=True)
        >>> (3 * x).sum().backward()
        >>> x.grad
        tensor([3., 3.])
        """
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
        """This tensor without autograd history (as `detach`). Assigning ``x.data = y`` swaps
        in ``y``'s values behind autograd's back, which is what old PyTorch code does for
        in-place updates of parameters.

        >>> w = ember.ones(2, requires_grad=True)
        >>> w.data.requires_grad
        False
        """
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
        """Detach this tensor from the graph in place: it becomes a leaf that doesn't require
        grad. A view of a tensor that requires grad can't be (use `detach`).

        >>> y = ember.ones(2, requires_grad=True) * 2
        >>> y.detach_().requires_grad, y.grad_fn
        (False, None)
        """
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
        """Whether `retain_grad` was called on this non-leaf tensor, so that `backward` keeps
        its ``.grad``.

        >>> y = ember.ones(2, requires_grad=True) * 2
        >>> y.retain_grad(); y.retains_grad
        True
        """
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one.

        >>> x = ember.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)
        >>> x.sum().backward(); x.grad
        tensor([2., 2.])
        >>> h.remove()
        """
        from .autograd.graph import _add_hook
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
        """The size of each dimension, an `ember.Size` (a tuple); the same as `size()`.

        >>> ember.zeros(2, 3).shape
        ember.Size([2, 3])
        """
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape as an `ember.Size`, or with ``dim`` (negative counts from the end) the
        size of that one dimension.

        >>> x = ember.zeros(2, 3)
        >>> x.size(), x.size(-1)
        (ember.Size([2, 3]), 3)
        """
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        """The number of dimensions (0 for a scalar); also `ndim` and `ndimension()`.

        >>> ember.zeros(2, 3).dim(), ember.tensor(1.0).ndim
        (2, 0)
        """
        return self._data.ndim

    ndim = property(dim)

    def ndimension(self) -> int:
        """Another name of `dim`: the number of dimensions.

        >>> ember.zeros(2, 3, 4).ndimension()
        3
        """
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements, the product of the shape (``nelement`` is another name).

        >>> ember.zeros(2, 3).numel(), ember.zeros(0, 3).nelement()
        (6, 0)
        """
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element, from the dtype (the same as `itemsize`).

        >>> ember.zeros(2).element_size(), ember.zeros(2, dtype=ember.int16).element_size()
        (4, 2)
        """
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element (as `element_size()`).

        >>> ember.zeros(2, dtype=ember.float64).itemsize
        8
        """
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes the elements take, ``numel() * itemsize`` (a view counts only its own).

        >>> ember.zeros(2, 3).nbytes
        24
        """
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        """How many elements to step in memory to move one place along each dimension (a
        tuple), or along ``dim`` only.

        >>> x = ember.zeros(3, 4)
        >>> x.stride(), x.t().stride(), x.stride(0)
        ((4, 1), (1, 4), 4)
        """
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        if dim is None:
            return strides
        return strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        """Where this tensor's first element sits in its storage, in elements (0 unless it is
        a view that starts further in).

        >>> x = ember.zeros(2, 3)
        >>> x.storage_offset(), x[1].storage_offset()
        (0, 3)
        """
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
        """Whether the elements lie in memory in row-major order with no gaps; with
        ``memory_format`` (``ember.channels_last``...), whether they lie in that order.
        PyTorch's default, ``ember.contiguous_format``, is spelled None here.

        >>> x = ember.zeros(3, 4)
        >>> x.is_contiguous(), x.t().is_contiguous()
        (True, False)
        """
        if memory_format is None:
            return self._data.flags.c_contiguous
        from ._layout import is_dense_in
        return is_dense_in(self._data, memory_format)

    def data_ptr(self) -> int:
        """The address of the first element (of the NumPy or CuPy array behind the tensor).
        Views into one buffer differ by their offset; a tensor with no elements may share an
        address with another.

        >>> x = ember.zeros(2, 3)
        >>> x[1].data_ptr() - x.data_ptr() == 3 * x.element_size()
        True
        """
        if self._xp is np:
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def untyped_storage(self):
        """The memory behind this tensor as bytes (a view's is its base's). Ember's storage
        object offers ``nbytes()``, ``data_ptr()`` and ``size()``, not PyTorch's whole
        storage API.

        >>> ember.zeros(2, 3).untyped_storage().nbytes()
        24
        """
        return _Storage(self)

    def _is_view(self) -> bool:
        return self._base is not None

    # -- dtype and device ----------------------------------------------------------------
    @property
    def dtype(self) -> dt.dtype:
        """The element type, an `ember.dtype` (``ember.float32``...). `to` changes it.

        >>> ember.zeros(2).dtype, ember.tensor([1, 2]).dtype
        (ember.float32, ember.int64)
        """
        return dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        """Where the data lives: ``device(type='cpu')`` for NumPy arrays, ``cuda:N`` for CuPy
        ones.

        >>> ember.zeros(2).device
        device(type='cpu')
        """
        return CPU if type(self._data) is np.ndarray else backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        """Whether the tensor is on a CUDA device (a CuPy array).

        >>> ember.zeros(2).is_cuda
        False
        """
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        """Whether the tensor is on the CPU (a NumPy array).

        >>> ember.zeros(2).is_cpu
        True
        """
        return type(self._data) is np.ndarray

    @property
    def _xp(self):
        return np if type(self._data) is np.ndarray else backend.xp_of(self._data)

    def is_floating_point(self) -> bool:
        """Whether the dtype is a real floating type (float16, bfloat16, float32, float64);
        complex dtypes are not.

        >>> ember.zeros(2).is_floating_point(), ember.tensor([1, 2]).is_floating_point()
        (True, False)
        """
        return self.dtype.category == dt._FLOAT

    def is_complex(self) -> bool:
        """Whether the dtype is complex (complex64 or complex128).

        >>> ember.zeros(2, dtype=ember.complex64).is_complex(), ember.zeros(2).is_complex()
        (True, False)
        """
        return self.dtype.category == dt._COMPLEX

    def get_device(self) -> int:
        """The CUDA device index, or -1 for a CPU tensor.

        >>> ember.zeros(2).get_device()
        -1
        """
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
        """This tensor on the CPU: itself when it is there already, else a copy.

        >>> x = ember.ones(2)
        >>> x.cpu() is x
        True
        """
        return self.to(CPU)

    def cuda(self, device=None, non_blocking=False) -> "Tensor":
        """A copy on CUDA device ``device`` (an index, a string or an `ember.device`; the
        current one by default), itself if it is there already. It needs CuPy
        (``pip install ember[cuda]``): without it, ``ember.cuda.CudaUnavailable`` is raised
        where PyTorch raises an AssertionError. ``non_blocking`` is accepted and ignored.

        >>> ember.ones(2).cuda() if ember.cuda.is_available() else "needs CuPy"
        'needs CuPy'
        """
        d = as_device("cuda" if device is None else device if not isinstance(device, int)
                      else f"cuda:{device}")
        return self.to(d)

    def type_as(self, other: "Tensor") -> "Tensor":
        """This tensor cast to ``other``'s dtype (``self.to(other.dtype)``): itself when the
        dtypes match.

        >>> ember.tensor([1.7, -2.2]).type_as(ember.tensor([1]))
        tensor([ 1, -2])
        """
        return self.to(other.dtype)

    # -- leaving ember -------------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number (float, int, bool or
        complex); any other number of elements raises RuntimeError.

        >>> ember.tensor([[2.5]]).item()
        2.5
        """
        if _TRACER:
            _note_data_read("Tensor.item()", self)
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._host().reshape(()).item()

    def tolist(self):
        """The elements as nested Python lists of Python numbers (a number for a 0-d tensor).

        >>> ember.tensor([[1, 2], [3, 4]]).tolist()
        [[1, 2], [3, 4]]
        """
        if _TRACER:
            _note_data_read("Tensor.tolist()", self)
        return self._host().tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The NumPy array behind this CPU tensor (shared memory, not a copy)."""
        if force:
            return self.detach().cpu()._data.copy() if not self.is_cpu else self._data.copy()
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if _TRACER:
            _note_data_read("Tensor.numpy()", self)
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
            _note_data_read("converting a tensor to a Python boolean", self)
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


def _cast_method(name: str, dtype: dt.dtype):
    """``Tensor.<name>()``, PyTorch's shorthand for ``self.to(<dtype>)``."""
    def cast(self) -> Tensor:
        return self.to(dtype)
    cast.__name__, cast.__qualname__ = name, f"Tensor.{name}"
    cast.__doc__ = f"""``self.to({dtype})``: a copy of this tensor in that dtype, or the tensor
    itself when it has it already. A cast to an integer type rounds toward zero; to bool,
    nonzero is True.

    >>> ember.tensor([1.5, -2.0]).{name}().dtype
    {dtype}
    """
    return cast


for _name, _dtype in (("float", dt.float32), ("double", dt.float64), ("half", dt.float16),
                      ("bfloat16", dt.bfloat16), ("long", dt.int64), ("int", dt.int32),
                      ("short", dt.int16), ("char", dt.int8), ("byte", dt.uint8),
                      ("bool", dt.bool_), ("cfloat", dt.complex64),
                      ("cdouble", dt.complex128)):
    setattr(Tensor, _name, _cast_method(_name, _dtype))


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


_LEGACY_NAMES = {d: dt.scalar_type_name(d) + "Tensor" for d in (
    dt.float32, dt.float64, dt.float16, dt.bfloat16, dt.int64, dt.int32, dt.int16, dt.int8,
    dt.uint8, dt.bool_, dt.complex64, dt.complex128)}

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
