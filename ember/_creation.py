"""Making tensors: from data, filled, ranges, and identity."""
from __future__ import annotations

import functools
import inspect
import math
import numbers
import operator

import numpy as np

from . import _dtype as dt
from . import backend
from ._device import CPU, as_device
from ._layout import contiguous_format, copy_in_format, preserve_format
from ._tensor import Tensor, wrap
from .autograd.grad_mode import STATE


def _infer_dtype(data) -> dt.dtype:
    """The dtype PyTorch gives Python data: bools, int64, the default float, complex."""
    kinds = set()
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, bool):
            kinds.add(dt.bool_)
        elif isinstance(x, numbers.Integral):
            kinds.add(dt.int64)
        elif isinstance(x, numbers.Real):
            kinds.add(dt.get_default_dtype())
        elif isinstance(x, numbers.Complex):
            kinds.add(dt.get_default_dtype().to_complex())
        elif isinstance(x, str) and x is not data:
            raise ValueError("too many dimensions 'str'")
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    result = None
    for k in kinds:
        result = k if result is None else dt.promote_types(result, k)
    return result or dt.get_default_dtype()


def _ragged(data, dim: int = 0) -> str | None:
    """PyTorch's message for the first sequence whose length differs from its siblings'."""
    if not isinstance(data, (list, tuple)) or not data:
        return None
    lengths = [len(x) if isinstance(x, (list, tuple)) else None for x in data]
    for length in lengths[1:]:
        if length != lengths[0]:
            expected = lengths[0]
            return (f"expected sequence of length {expected} at dim {dim + 1} (got {length})"
                    if expected is not None and length is not None else
                    f"tensor(): mixed numbers and sequences at dim {dim + 1}")
    for x in data:
        found = _ragged(x, dim + 1)
        if found:
            return found
    return None


def to_array(data, dtype=None, device=None):
    """A fresh backend array holding ``data`` (nested lists, numbers, arrays, tensors)."""
    if isinstance(data, Tensor):
        arr = data._host().copy() if device is None or as_device(device) == CPU else data._data
        target = dt.as_dtype(dtype) if dtype is not None else data.dtype
    elif isinstance(data, np.ndarray) or isinstance(data, np.generic):
        arr = np.array(data)
        target = dt.as_dtype(dtype) if dtype is not None else dt.from_numpy_dtype(arr.dtype)
    elif hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        arr = np.array(data)
        target = dt.as_dtype(dtype) if dtype is not None else dt.from_numpy_dtype(arr.dtype)
    else:
        target = dt.as_dtype(dtype) if dtype is not None else _infer_dtype(data)
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
            data = _to_nested_lists(data)
        try:
            with np.errstate(over="ignore"):  # 1e40 as float32 is inf, as in PyTorch
                arr = np.array(data, dtype=target.np if target is not dt.bfloat16
                               else np.float32)
        except ValueError as e:
            raise ValueError(_ragged(data) or f"tensor(): could not build a tensor from the "
                             f"data: {e}") from None
    if arr.dtype != target.np:
        arr = arr.astype(target.np)
    if device is not None:
        arr = backend.to_device(arr, as_device(device))
    return arr


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _to_nested_lists(data):
    if isinstance(data, Tensor):
        if data.numel() != 1 and data.dim() != 0 and not isinstance(data, (list, tuple)):
            return data.tolist()
        return data.item() if data.dim() == 0 else data.tolist()
    if isinstance(data, (list, tuple)):
        return [_to_nested_lists(x) for x in data]
    return data


def supports_out(factory):
    """Give a factory PyTorch's ``out=``: the result is written into that tensor (resized
    if needed), whose dtype and device it takes unless told otherwise."""
    takes = inspect.signature(factory).parameters

    @functools.wraps(factory)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return factory(*args, **kwargs)
        if "dtype" in takes and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        if "device" in takes and kwargs.get("device") is None:
            kwargs["device"] = out.device
        result = factory(*args, **kwargs)._data
        if out._requires_grad and STATE.grad_enabled:
            raise RuntimeError(f"{factory.__name__}(): functions with out=... arguments don't "
                               "support automatic differentiation, but one of the arguments "
                               "requires grad.")
        if out._data.shape == result.shape:
            out._data[...] = result
        else:
            out._data = result.astype(out._data.dtype, copy=False)
        out._vc[0] += 1
        return out
    return with_out


def _leaf(arr, requires_grad: bool) -> Tensor:
    t = wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor copying ``data`` (a number, nested lists, a NumPy array or a tensor).

    >>> ember.tensor([[1, 2], [3, 4]]).dtype
    ember.int64
    """
    try:
        if type(data) in _PLAIN_NUMBERS and dtype is None and device is None:  # the common case
            return _leaf(np.array(data, dt.scalar_dtype(data).np), requires_grad)
        return _leaf(to_array(data, dtype, device), requires_grad)
    except OverflowError as e:
        raise ValueError(f"tensor(): a number does not fit the dtype: {e}") from None


_PLAIN_NUMBERS = (float, int, bool)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like `tensor`, but shares memory with ``data`` when no conversion is needed."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dt.as_dtype(dtype).np == data.dtype) \
            and (device is None or as_device(device) == CPU):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """``obj`` (a tensor, NumPy array, number or nested sequence) as a tensor, sharing its
    memory when no conversion is needed. ``copy=True`` always copies; the default ``None``
    copies only when needed; ``copy=False`` raises ValueError when sharing is impossible (a
    sequence, another dtype or device). ``requires_grad`` (default False) makes the result a
    leaf that requires grad.

    >>> a = np.zeros(3)
    >>> t = ember.asarray(a); t[0] = 1.0; a
    array([1., 0., 0.])
    >>> ember.asarray([1, 2], dtype=ember.float32)
    tensor([1., 2.])
    """
    if copy is False:
        _refuse_copy(obj, dtype, device)
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype, device)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _refuse_copy(obj, dtype, device) -> None:
    """PyTorch's ValueError where ``asarray(obj, copy=False)`` would have to copy."""
    if isinstance(obj, Tensor):
        source, place = obj.dtype, obj.device
    elif isinstance(obj, np.ndarray):
        source, place = dt.from_numpy_dtype(obj.dtype), CPU
    else:
        raise ValueError(f"asarray(): can't alias a {type(obj).__name__} into a tensor: only a "
                         f"tensor or NumPy array can be shared; {_ALLOW_COPY}")
    if dtype is not None and dt.as_dtype(dtype) is not source:
        raise ValueError(f"asarray(): can't alias tensor with dtype "
                         f"'{dt.scalar_type_name(source)}' into dtype "
                         f"'{dt.scalar_type_name(dt.as_dtype(dtype))}'; {_ALLOW_COPY}")
    if device is not None and as_device(device) != place:
        raise ValueError(f"asarray(): can't alias tensor on device '{place}' into device "
                         f"'{as_device(device)}'; {_ALLOW_COPY}")


_ALLOW_COPY = "copy=False forbids the copy this needs (leave copy=None to copy only when needed)"


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with the NumPy ``array``.

    >>> a = np.zeros(3); t = ember.from_numpy(a); t[0] = 1; a
    array([1., 0., 0.])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dt.from_numpy_dtype(array.dtype)  # refuses unsupported types with a clear message
    return wrap(array)


def from_dlpack(ext) -> Tensor:
    """A tensor sharing memory with any object that speaks DLPack."""
    if isinstance(ext, Tensor):
        return ext
    dev_type, _ = ext.__dlpack_device__() if hasattr(ext, "__dlpack_device__") else (1, 0)
    if dev_type == 1:
        return wrap(np.from_dlpack(ext))
    from .backend import cuda
    return wrap(cuda.xp.from_dlpack(ext))


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        out = tuple(map(operator.index, size))
    except TypeError:
        bad = next(s for s in size if not hasattr(s, "__index__"))
        raise TypeError(f"argument 'size' must be tuple of ints, but found element of type "
                        f"{type(bad).__name__}") from None
    if out and min(out) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{list(out)}")
    return out


def _xp(device):
    return np if device is None else backend.for_device(as_device(device)).xp


def empty_array(size, dtype, device=None):
    return _xp(device).empty(size, dtype=dt.as_dtype(dtype).np)


def _filled(size, value, dtype, device, requires_grad):
    np_dtype = (dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)).np
    xp = _xp(device)
    shape = _size(size)
    zero = type(value) is int and value == 0  # calloc'd zeros are cheaper than a fill
    if type(value) is int and np_dtype.kind in "iu" and not \
            np.iinfo(np_dtype).min <= value <= np.iinfo(np_dtype).max:
        value = np.array(value).astype(np_dtype)  # wrapped, as PyTorch casts it (-1 is 255)
    data = xp.zeros(shape, np_dtype) if zero else xp.full(shape, value, np_dtype)
    return _leaf(data, requires_grad)


@supports_out
def zeros(*size, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of zeros: ``ember.zeros(2, 3)`` or ``ember.zeros((2, 3))``."""
    return _filled(size, 0, dtype, device, requires_grad)


@supports_out
def ones(*size, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of ones."""
    return _filled(size, 1, dtype, device, requires_grad)


@supports_out
def empty(*size, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None, pin_memory=False):
    """An uninitialized tensor (its values are whatever the memory held)."""
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    return _leaf(_in_format(empty_array(_size(size), dtype, device), memory_format),
                 requires_grad)


@supports_out
def full(size, fill_value, *, dtype=None, layout=None, device=None,
         requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value)."""
    if dtype is None:
        dtype = dt.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor)
                                else fill_value)
    return _filled((size,) if isinstance(size, int) else size, fill_value, dtype, device,
                   requires_grad)


def _like(x, dtype, device):
    return (x.dtype if dtype is None else dtype), (x.device if device is None else device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """A tensor of zeros with ``input``'s shape, dtype and device. ``dtype``, ``device``
    and ``requires_grad`` (default False) override ``input``'s; ``layout`` is accepted (only
    strided exists). The result is contiguous whatever ``memory_format`` says, where PyTorch
    keeps a dense input's stride order by default: the values are the same.

    >>> ember.zeros_like(ember.tensor([[1, 2], [3, 4]]))
    tensor([[0, 0],
            [0, 0]])
    """
    dtype, device = _like(input, dtype, device)
    return _filled(input.shape, 0, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """A tensor of ones with ``input``'s shape, dtype and device. ``dtype``, ``device``
    and ``requires_grad`` (default False) override ``input``'s; ``layout`` is accepted (only
    strided exists). The result is contiguous whatever ``memory_format`` says, where PyTorch
    keeps a dense input's stride order by default: the values are the same.

    >>> ember.ones_like(ember.zeros(2, 2), dtype=ember.int64)
    tensor([[1, 1],
            [1, 1]])
    """
    dtype, device = _like(input, dtype, device)
    return _filled(input.shape, 1, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """An uninitialized tensor with ``input``'s shape, dtype and device: fill it before
    reading it. ``dtype``, ``device`` and ``requires_grad`` (default False) override
    ``input``'s; ``layout`` is accepted (only strided exists). With the default
    ``memory_format`` it keeps ``input``'s stride order, as in PyTorch.

    >>> x = ember.zeros(3, 2).t()
    >>> ember.empty_like(x).shape, ember.empty_like(x).stride()
    (ember.Size([2, 3]), (1, 2))
    """
    dtype, device = _like(input, dtype, device)
    if (memory_format is None or memory_format is preserve_format) and device == input.device:
        # the backend's empty_like keeps the input's stride order, as preserve_format does
        array = input._xp.empty_like(input._data, dtype=dt.as_dtype(dtype).np)
    else:
        array = _in_format(empty_array(tuple(input.shape), dtype, device), memory_format)
    return _leaf(array, requires_grad)


def _in_format(array, memory_format):
    if memory_format is None or memory_format is contiguous_format:
        return array
    return copy_in_format(array, memory_format, "empty")


def full_like(input, fill_value, *, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    """A tensor with ``input``'s shape, dtype and device, every element ``fill_value``
    (converted to that dtype). ``dtype``, ``device`` and ``requires_grad`` (default False)
    override ``input``'s; ``layout`` is accepted (only strided exists). The result is
    contiguous whatever ``memory_format`` says, where PyTorch keeps a dense input's stride
    order by default: the values are the same.

    >>> ember.full_like(ember.zeros(2, 3), 7.5)
    tensor([[7.5000, 7.5000, 7.5000],
            [7.5000, 7.5000, 7.5000]])
    """
    dtype, device = _like(input, dtype, device)
    return _filled(input.shape, fill_value, dtype, device, requires_grad)


@supports_out
def arange(start=None, end=None, step=1, *, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Values from ``start`` up to (not including) ``end`` by ``step``.

    >>> ember.arange(5)
    tensor([0, 1, 2, 3, 4])
    """
    if start is None and end is None:
        raise TypeError("arange() missing required argument 'end'")
    if end is None:
        start, end = 0, start
    elif start is None:  # arange(end=n)
        start = 0
    if dtype is not None:
        _refuse_kinds("arange_cpu", dt.as_dtype(dtype), (dt._BOOL, dt._COMPLEX))
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("arange(): upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = dt.result_dtype([start, end, step])
    dtype = dt.as_dtype(dtype)
    if dtype.category == dt._INT:
        values = _integer_range(start, end, step, dtype)
    else:
        n = max(0, math.ceil((end - start) / step))
        values = start + step * np.arange(n, dtype=np.float64 if dtype.category >= 2 or
                                          any(isinstance(v, float) for v in (start, end, step))
                                          else np.int64)
    return _leaf(backend.to_device(values.astype(dtype.np), as_device(device)), requires_grad)


def _integer_range(start, end, step, dtype):
    """`arange`'s values for an integer dtype, as PyTorch makes them: from the bounds and step
    rounded toward zero, their count from the unrounded ones (from the rounded ones for
    int64, which counts in integers)."""
    first, stride = int(start), int(step)
    if dtype is dt.int64:
        if stride == 0:
            raise ValueError("arange(): step must be nonzero")
        span = int(end) - first + stride - (1 if stride > 0 else -1)
        n = max(0, abs(span) // abs(stride) * (1 if (span >= 0) == (stride > 0) else -1))
    else:
        n = max(0, math.ceil((end - start) / step))
    return first + stride * np.arange(n, dtype=np.int64)


def _refuse_kinds(kernel: str, dtype, categories) -> None:
    """PyTorch's NotImplementedError for a ``kernel`` without a loop for ``dtype``."""
    if dtype.category in categories:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f'\'{dt.scalar_type_name(dtype)}\'')


def _check_space(name: str, start, end, steps) -> None:
    """linspace's and logspace's checks of their bounds and count, in PyTorch's order."""
    ranks = [v.dim() if isinstance(v, Tensor) else 0 for v in (start, end)]
    if any(ranks):
        raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got "
                           f"start with {ranks[0]} dimension(s) and end with {ranks[1]} "
                           f"dimension(s).")
    if steps < 0:
        raise RuntimeError(f"{name}(): number of steps must be non-negative")


def _space_dtype(name: str, start, end, dtype):
    """linspace's and logspace's result dtype: ``dtype``, or the default one (its complex
    twin for a complex bound, which no other ``dtype`` can hold)."""
    complex_bound = any(v.is_complex() if isinstance(v, Tensor) else isinstance(v, complex)
                        for v in (start, end))
    default = dt.get_default_dtype()
    if complex_bound:
        default = dt.complex128 if default is dt.float64 else dt.complex64
        if dtype is not None and dt.as_dtype(dtype).category != dt._COMPLEX:
            inferred = "c10::complex<double>" if default is dt.complex128 else \
                "c10::complex<float>"
            raise RuntimeError(f"torch.{name}(): inferred dtype {inferred} can't be safely "
                               f"cast to passed dtype {dt.scalar_type_name(dt.as_dtype(dtype))}")
    return default if dtype is None else dt.as_dtype(dtype)


def _exponents(start, end, steps: int, dtype):
    """``steps`` evenly spaced values from ``start`` to ``end``, in float64 (complex128).
    For an integer ``dtype``, PyTorch first rounds the bounds to it (wrapping), and fills the
    first half up from ``start``, the second half down from ``end``."""
    if dtype.category == dt._COMPLEX:
        return np.linspace(complex(start), complex(end), steps)
    if dtype.category != dt._INT:
        return np.linspace(float(start), float(end), steps)
    if steps == 1:  # the unrounded start
        return np.array([float(start)])
    first, last = (float(np.array(float(v)).astype(dtype.np)) for v in (start, end))
    index = np.arange(steps, dtype=np.float64)
    step = (last - first) / (steps - 1) if steps > 1 else 0.0
    return np.where(index < max(steps // 2, 1), first + step * index,
                    last - step * (steps - 1 - index))


@supports_out
def linspace(start, end, steps, *, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    _check_space("linspace", start, end, steps)
    dtype = _space_dtype("linspace", start, end, dtype)
    if steps > 1:
        _refuse_kinds("linspace_cpu", dtype, (dt._BOOL,))
    values = _exponents(start, end, int(steps), dtype)
    return _leaf(backend.to_device(values.astype(dtype.np), as_device(device)), requires_grad)


@supports_out
def logspace(start, end, steps, base=10.0, *, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``steps`` values from ``base**start`` to ``base**end``, evenly spaced in the exponent."""
    _check_space("logspace", start, end, steps)
    dtype = _space_dtype("logspace", start, end, dtype)
    if steps > 1:
        _refuse_kinds("logspace_cpu", dtype, (dt._BOOL,))
    exponents = _exponents(start, end, int(steps), dtype)
    if dtype.category == dt._COMPLEX:  # a negative base has complex powers
        values = np.power(complex(base), exponents)
    else:
        with np.errstate(invalid="ignore"):  # a negative base's fractional powers are NaN
            values = np.power(float(base), exponents)
    return _leaf(backend.to_device(values.astype(dtype.np), as_device(device)), requires_grad)


@supports_out
def eye(n, m=None, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix."""
    for name, size in (("n", n), ("m", m)):
        if size is not None and size < 0:
            raise RuntimeError(f"eye(): {name} must be greater or equal to 0, got {size}")
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    return _leaf(_xp(device).eye(n, n if m is None else m, dtype=dtype.np), requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialized tensor with the given element ``stride`` for each dimension."""
    size, stride = _size((size,)), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"empty_strided(): mismatch in length of strides and shape: size "
                           f"{list(size)}, stride {list(stride)}")
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    span = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    buffer = empty_array((span,), dtype, device)
    xp = _xp(device)
    lib = np.lib.stride_tricks if xp is np else xp.lib.stride_tricks
    view = lib.as_strided(buffer, size, tuple(s * buffer.itemsize for s in stride))
    return _leaf(view, requires_grad)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """A 0-dim tensor holding the number ``s`` (of the default float dtype unless told)."""
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    return _filled((), s, dtype, device, requires_grad)


def is_tensor(obj) -> bool:
    """Whether ``obj`` is an ember Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    """Whether ``input``'s dtype is a real floating type (complex dtypes are not); the
    function form of `Tensor.is_floating_point`.

    >>> ember.is_floating_point(ember.zeros(2)), ember.is_floating_point(ember.tensor([1]))
    (True, False)
    """
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    """Whether ``input``'s dtype is complex; the function form of `Tensor.is_complex`.

    >>> ember.is_complex(ember.tensor([1j])), ember.is_complex(ember.zeros(2))
    (True, False)
    """
    return input.is_complex()


# ----------------------------------------------------------------------------- new_* methods
# ``x.new_zeros(...)`` and friends make a tensor with ``x``'s dtype and device by default.


def _new_kwargs(self, dtype, device):
    return dict(dtype=self.dtype if dtype is None else dtype,
                device=self.device if device is None else device)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False) -> Tensor:
    """A new tensor of ``data`` with this tensor's dtype and device (unless given)."""
    return tensor(data, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False) -> Tensor:
    """A tensor of zeros of ``size`` (sizes, or one tuple) with this tensor's dtype and
    device unless ``dtype`` or ``device`` is given; ``requires_grad`` defaults to False.

    >>> ember.tensor([1, 2]).new_zeros(2, 3)
    tensor([[0, 0, 0],
            [0, 0, 0]])
    """
    return zeros(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False) -> Tensor:
    """A tensor of ones of ``size``, with this tensor's dtype and device unless given (as
    `new_zeros`).

    >>> ember.zeros(1, dtype=ember.float64).new_ones((2,))
    tensor([1., 1.], dtype=ember.float64)
    """
    return ones(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False) -> Tensor:
    """An uninitialized tensor of ``size``, with this tensor's dtype and device unless
    given (as `new_zeros`); fill it before reading it.

    >>> ember.tensor([1, 2]).new_empty(2, 3).dtype
    ember.int64
    """
    return empty(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False) -> Tensor:
    """A tensor of ``size`` (a tuple) filled with ``fill_value``, with this tensor's dtype
    and device unless given (as `new_zeros`).

    >>> ember.tensor([1, 2]).new_full((2,), 7)
    tensor([7, 7])
    """
    return full(size, fill_value, requires_grad=requires_grad,
                **_new_kwargs(self, dtype, device))


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False) -> Tensor:
    """An uninitialized tensor of ``size`` laid out with ``stride`` (elements per step of
    each dimension), with this tensor's dtype and device unless given (as `new_zeros`).

    >>> ember.zeros(1).new_empty_strided((2, 3), (1, 2)).stride()
    (1, 2)
    """
    return empty_strided(size, stride, requires_grad=requires_grad,
                         **_new_kwargs(self, dtype, device))


for _method in (new_tensor, new_zeros, new_ones, new_empty, new_full, new_empty_strided):
    setattr(Tensor, _method.__name__, _method)
