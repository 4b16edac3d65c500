"""Views and shape changes. A view shares memory with its input exactly where PyTorch's does.

The table ops here are the primitive views (view, reshape, expand, squeeze, unsqueeze,
permute, transpose, as_strided); the rest (flatten, movedim, t, ``T``...) are composites
written from them, so they need no derivative of their own.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype as dt
from .._tensor import Size, Tensor
from ._inplace import _legacy
from .._layout import contiguous_format
from ._op import op, composite, _sum_to


def wrap_dim(dim: int, ndim: int) -> int:
    """``dim`` as a non-negative index into ``ndim`` dimensions (0-d tensors accept 0, -1)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def size_arg(size) -> tuple:
    """``x.view(2, 3)`` and ``x.view((2, 3))`` both mean the shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        return tuple(size[0])
    return size


def infer_shape(shape, numel: int) -> tuple:
    """``shape`` with its -1 (if any) worked out from ``numel``, checked against ``numel``."""
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


# ----------------------------------------------------------------------------- storage


def _root(a):
    """The array owning the memory ``a`` looks into (its storage, in PyTorch's words)."""
    while isinstance(a.base, type(a)):
        a = a.base
    return a


def _address(a) -> int:
    return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr


def storage_offset(a) -> int:
    """Where ``a`` starts in its storage, in elements."""
    return (_address(a) - _address(_root(a))) // a.itemsize


def strided(xp, a, shape, strides, offset: int):
    """A view of ``a``'s storage with the given shape, strides and offset (in elements)."""
    root = _root(a)
    item = a.itemsize
    byte_strides = tuple(s * item for s in strides)
    start = offset * item
    if xp is np:
        try:
            out = np.ndarray(shape, a.dtype, root, start, byte_strides)
        except TypeError:  # a storage NumPy can't hand out as a buffer (non-contiguous root)
            out = np.lib.stride_tricks.as_strided(
                np.asarray(root).reshape(-1).view(a.dtype)[offset:], shape, byte_strides)
        if not a.flags.writeable:
            out.flags.writeable = False
        return out
    return xp.ndarray(shape, a.dtype, memptr=root.data + start, strides=byte_strides)


def _geometry(a) -> tuple:
    item = a.itemsize
    return a.shape, tuple(s // item for s in a.strides), storage_offset(a)


# ----------------------------------------------------------------------------- view/reshape


@op(view="always", method=False, function=False)
def view(xp, x, *shape):
    """The same memory seen with another shape; fails where that needs a copy."""
    shape = size_arg(shape)
    try:
        # NumPy works out the -1 and checks the size; on failure we say why, as PyTorch does.
        return x.reshape(shape) if x.flags.c_contiguous else xp.reshape(x, shape, copy=False)
    except (ValueError, TypeError):
        infer_shape(shape, x.size)
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") \
            from None


@view.derivative
def view(ctx, grad, *shape):
    return grad.reshape(ctx.shapes[0])


@view.onnx
def view(g, x, *shape):
    return g.op("Reshape", x, g.target_shape(x, size_arg(shape)))


@op(view="always", method=False, function=False, differentiable=False)
def _view_dtype(xp, x, dtype):
    item, new = x.itemsize, dtype.np.itemsize
    if item != new:
        names = f"{legacy_name(x.dtype)} as {legacy_name(dtype.np)}"
        if x.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 to view {names} (different element "
                               f"sizes)")
        if x.shape[-1] != 1 and x.strides[-1] != item and x.size:
            raise RuntimeError(f"self.stride(-1) must be 1 to view {names} (different element "
                               f"sizes), but got {x.strides[-1] // item}")
        if new > item and x.shape[-1] % (new // item):
            raise RuntimeError(f"self.size(-1) must be divisible by {new // item} to view "
                               f"{names} (different element sizes), but got {x.shape[-1]}")
        if not x.size:  # NumPy's empty arrays have zero strides, which its view refuses
            return xp.empty(x.shape[:-1] + (x.shape[-1] * item // new,), dtype.np)
    return x.view(dtype.np)


def legacy_name(np_dtype) -> str:
    """PyTorch's old name of a dtype ('Float', 'Long'), as its messages use."""
    return _legacy(dt.from_numpy_dtype(np_dtype))


@composite("view", function=False)
def view_method(self: Tensor, *shape) -> Tensor:
    """``x.view(2, -1)``: the same memory with another shape; ``x.view(ember.int32)``: the
    same bytes read as another dtype (no gradient flows through that one)."""
    if len(shape) == 1 and isinstance(shape[0], dt.dtype):
        return self if shape[0] is self.dtype else _view_dtype(self, shape[0])
    if not shape:
        raise TypeError("view() missing 1 required positional argument: \"size\" (or dtype)")
    return view(self, *shape)


@op(view="maybe")
def reshape(xp, x, *shape):
    """``x`` with another shape: a view when the memory allows, else a copy."""
    shape = size_arg(shape)
    try:
        return x.reshape(shape)
    except (ValueError, TypeError):
        return x.reshape(infer_shape(shape, x.size))


@reshape.derivative
def reshape(ctx, grad, *shape):
    return grad.reshape(ctx.shapes[0])


@reshape.onnx
def reshape(g, x, *shape):
    return g.op("Reshape", x, g.target_shape(x, size_arg(shape)))


@op(view="always")
def expand(xp, x, *sizes):
    """Broadcast ``x`` to a larger shape without copying (-1 keeps a dimension)."""
    if not sizes:
        raise TypeError("expand() missing 1 required positional arguments: \"size\"")
    sizes = size_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand(): the number of sizes provided ({len(sizes)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({x.ndim})")
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    for i, s in enumerate(x.shape):
        if s != 1 and s != shape[i + lead]:
            raise RuntimeError(f"expand(): The expanded size of the tensor ({shape[i + lead]}) "
                               f"must match the existing size ({s}) at non-singleton dimension "
                               f"{i + lead}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(x.shape)}")
    if shape == x.shape:
        return x.view()
    return xp.broadcast_to(x, shape)


@expand.derivative
def expand(ctx, grad, *sizes):
    return _sum_to(grad, ctx.shapes[0])


@expand.onnx
def expand(g, x, *sizes):
    # Expand broadcasts: a 1 keeps the input's dim, so a dynamic batch stays dynamic.
    source = g.shape(x)
    sizes = size_arg(sizes)
    lead = len(sizes) - len(source)
    return g.op("Expand", x, g.ints(1 if i >= lead and s in (-1, source[i - lead]) else s
                                    for i, s in enumerate(sizes)))


@op(view="always")
def unsqueeze(xp, x, dim):
    """Insert a dimension of size one at ``dim``."""
    n = x.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    dim %= n
    shape = x.shape[:dim] + (1,) + x.shape[dim:]
    if dim == x.ndim and x.ndim and x.strides[-1] != x.itemsize:
        # PyTorch gives a new last dimension stride 1; NumPy's reshape would repeat the
        # old last stride.
        shape_, strides, offset = _geometry(x)
        return strided(xp, x, shape, strides + (1,), offset)
    return x.reshape(shape)


@unsqueeze.derivative
def unsqueeze(ctx, grad, dim):
    return grad.reshape(ctx.shapes[0])


@unsqueeze.onnx
def unsqueeze(g, x, dim):
    return g.op("Unsqueeze", x, g.ints([dim % (g.rank(x) + 1)]))


@op(view="always")
def squeeze(xp, x, dim=None):
    """Drop dimensions of size one (all of them, or those in ``dim``)."""
    if dim is None:
        return x.squeeze()
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(wrap_dim(d, x.ndim) for d in dims)
    for i, d in enumerate(dims):
        if d in dims[:i]:
            raise RuntimeError(f"squeeze(): dim {d} appears multiple times in the list of dims")
    return x.squeeze(axis=tuple(d for d in dims if x.ndim and x.shape[d] == 1))


@squeeze.derivative
def squeeze(ctx, grad, dim=None):
    return grad.reshape(ctx.shapes[0])


@squeeze.onnx
def squeeze(g, x, dim=None):
    shape = g.shape(x)
    dims = range(len(shape)) if dim is None else dim if isinstance(dim, (tuple, list)) else [dim]
    axes = [d % len(shape) for d in dims if shape[d] == 1] if shape else []
    return g.op("Squeeze", x, g.ints(axes)) if axes else g.op("Identity", x)


@op(view="always")
def permute(xp, x, *dims):
    """Reorder the dimensions: ``x.permute(2, 0, 1)``."""
    dims = size_arg(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {x.ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, x.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return x.transpose(dims)


@permute.derivative
def permute(ctx, grad, *dims):
    ndim = len(ctx.shapes[0])
    inverse = [0] * ndim
    for i, d in enumerate(size_arg(dims)):
        inverse[wrap_dim(d, ndim)] = i
    return grad.permute(*inverse)


@permute.onnx
def permute(g, x, *dims):
    rank = g.rank(x)
    if not rank:
        return g.op("Identity", x)
    return g.op("Transpose", x, perm=[d % rank for d in size_arg(dims)])


@op(view="always")
def transpose(xp, x, dim0, dim1):
    """Swap two dimensions."""
    dim0, dim1 = wrap_dim(dim0, x.ndim), wrap_dim(dim1, x.ndim)
    return x.swapaxes(dim0, dim1) if x.ndim else x.view()


@transpose.derivative
def transpose(ctx, grad, dim0, dim1):
    return grad.transpose(dim0, dim1)


@transpose.onnx
def transpose(g, x, dim0, dim1):
    perm = list(range(g.rank(x)))
    if not perm:  # a 0-d tensor is its own transpose
        return g.op("Identity", x)
    perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
    return g.op("Transpose", x, perm=perm)


# ----------------------------------------------------------------------------- as_strided


@op(view="always", stash=True)
def as_strided(xp, x, size, stride, storage_offset=None):
    """A view of ``x``'s storage with the given sizes, strides and offset (all in elements).

    >>> ember.arange(4.).as_strided((3, 2), (1, 1))   # sliding windows of length 2
    tensor([[0., 1.],
            [1., 2.],
            [2., 3.]])
    """
    size, stride = tuple(size), tuple(stride)
    geometry = _geometry(x)
    offset = geometry[2] if storage_offset is None else storage_offset
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, "
                           f"got strides: {list(stride)}")
    needed = offset + 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    available = _root(x).nbytes // x.itemsize
    if needed > available:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {x.itemsize} requiring a storage "
                           f"size of {needed * x.itemsize} are out of bounds for storage of "
                           f"size {available * x.itemsize}")
    return strided(xp, x, size, stride, offset), geometry


@as_strided.derivative
def as_strided(ctx, grad, size, stride, storage_offset=None):
    input_geometry = ctx.stash
    output_geometry = (tuple(size), tuple(stride),
                       input_geometry[2] if storage_offset is None else storage_offset)
    return _restride(grad, output_geometry, input_geometry)


@op(method=False, function=False)
def _restride(xp, x, source, target):
    """Lay ``x`` (with the ``source`` geometry) into a zero storage, summing where elements
    overlap, and read it back with the ``target`` geometry: the derivative of `as_strided`."""
    source_at, target_at = _positions(xp, *source), _positions(xp, *target)
    length = int(max(source_at.max(initial=-1), target_at.max(initial=-1))) + 1
    values = x.reshape(-1)
    if x.dtype.kind == "f":
        storage = xp.bincount(source_at.reshape(-1), values, length).astype(x.dtype)
    else:
        storage = xp.zeros(length, x.dtype)
        xp.add.at(storage, source_at.reshape(-1), values)
    return storage[target_at]


@_restride.derivative
def _restride(ctx, grad, source, target):
    return _restride(grad, target, source)


def _positions(xp, shape, strides, offset):
    """The storage index of every element of a strided layout."""
    at = xp.full(shape, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        at += (xp.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - d - 1))
    return at


# ----------------------------------------------------------------------------- composites


@composite()
def view_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.view(other.shape)``: a view of ``input`` with ``other``'s shape (the number
    of elements must match, and the memory layout must allow a view).

    >>> ember.arange(4.).view_as(ember.zeros(2, 2))
    tensor([[0., 1.],
            [2., 3.]])
    """
    return view(input, other.shape)


@composite()
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.reshape(other.shape)``: ``input``'s elements in ``other``'s shape, as a view
    when the memory layout allows one, else as a copy.

    >>> ember.arange(6).reshape_as(ember.zeros(2, 3))
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    return reshape(input, other.shape)


@composite()
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.expand(other.shape)``: a view that repeats ``input`` along its size-1 (or
    missing leading) dimensions to ``other``'s shape, without copying. Write to a clone, not
    to the view.

    >>> ember.tensor([1., 2.]).expand_as(ember.zeros(2, 2))
    tensor([[1., 2.],
            [1., 2.]])
    """
    return expand(input, other.shape)


@composite()
def broadcast_to(input: Tensor, size) -> Tensor:
    """``input`` broadcast to ``size`` (a view): ``ember.broadcast_to(x, (3, 4))``."""
    return expand(input, size)


@composite(method=False)
def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of all ``shapes`` broadcast to.

    >>> ember.broadcast_shapes((3, 1), (1, 4))
    ember.Size([3, 4])
    """
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for i, shape in enumerate(shapes):
        for d, n in enumerate(shape, ndim - len(shape)):
            if n != 1 and result[d] not in (1, n):
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at "
                                   f"{d - ndim}! Mismatching argument at index {i} had "
                                   f"{shape}; but expected shape should be broadcastable to "
                                   f"{result}")
            if n < 0:
                raise ValueError(f"broadcast_shapes(): Attempting to broadcast a dimension with "
                                 f"negative length! (argument {i}: {shape})")
            if n != 1:
                result[d] = n
    return Size(result)


@composite(method=False)
def broadcast_tensors(*tensors: Tensor) -> tuple:
    """Views of ``tensors`` all expanded to their common broadcast shape."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


composite("swapaxes")(transpose.fn)
composite("swapdims")(transpose.fn)


@composite()
def t(input: Tensor) -> Tensor:
    """Transpose a matrix; 0-d and 1-d tensors come back as they are (as views)."""
    if input.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.dim()}D")
    return transpose(input, 0, -1)


@composite()
def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dimensions (a view; a 0-d tensor is its own)."""
    if input.dim() == 0:
        out = input.view(())
        return out.conj() if out.is_complex() else out
    if input.dim() < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.dim()}-D tensor.")
    out = transpose(input, -2, -1)
    return out.conj() if out.is_complex() else out


def _matrix_transpose(input: Tensor) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {input.dim()}-D tensor.")
    return transpose(input, -2, -1)


def _reversed_dims(input: Tensor) -> Tensor:
    if input.dim() != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or "
                      "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                      "dimensions of a tensor.", UserWarning, stacklevel=2)
    return permute(input, tuple(range(input.dim() - 1, -1, -1)))


def _conj_transpose(input: Tensor) -> Tensor:
    if input.dim() > 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{input.dim()}-D tensor. For batches of matrices, consider using "
                           f"tensor.mH")
    out = transpose(input, 0, -1)
    return out.conj() if out.is_complex() else out


Tensor.T = property(_reversed_dims, doc="The dimensions reversed (a view).")
Tensor.mT = property(_matrix_transpose, doc="The last two dimensions swapped (a view).")
Tensor.H = property(_conj_transpose, doc="The conjugate transpose of a matrix.")
Tensor.mH = property(adjoint, doc="The conjugate transpose of the last two dimensions.")


@composite()
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dimension(s) ``source`` to position(s) ``destination``; the others keep their
    order. ``x.movedim(0, -1)``."""
    ndim = input.dim()
    source = (source,) if isinstance(source, int) else tuple(source)
    destination = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source "
                           f"({list(source)} dims) should contain the same number of dims as "
                           f"destination ({list(destination)} dims)")
    source = [wrap_dim(d, ndim) for d in source]
    destination = [wrap_dim(d, ndim) for d in destination]
    for name, dims in (("source", source), ("destination", destination)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
    if not ndim:
        return permute(input, ())
    order = [None] * ndim
    for s, d in zip(source, destination):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in source)
    return permute(input, tuple(d if d is not None else next(rest) for d in order))


composite("moveaxis")(movedim)


@composite()
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one (a view when the memory allows)."""
    shape = input.shape
    start, end = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if not shape:
        return reshape(input, (1,))
    if start == end:
        return input
    merged = math.prod(shape[start:end + 1])  # not -1: that is ambiguous when a size is 0
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


@composite()
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one may be -1): a view."""
    shape = input.shape
    dim = wrap_dim(dim, len(shape))
    sizes = tuple(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    if (-1 not in sizes and known != shape[dim]) or (-1 in sizes and (
            known == 0 or shape[dim] % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shape[dim]}) in the input tensor")
    # the -1 worked out here: a view of a zero-size tensor can't infer it
    sizes = tuple(shape[dim] // known if s == -1 else s for s in sizes)
    return view(input, shape[:dim] + sizes + shape[dim + 1:])


@composite()
def ravel(input: Tensor) -> Tensor:
    """``input`` as one dimension (a view when the memory allows)."""
    return reshape(input, (-1,))


@composite()
def contiguous(input: Tensor, memory_format=None) -> Tensor:
    """``input`` itself when its memory is in row-major order (or ``memory_format``'s),
    else such a copy."""
    if input.is_contiguous(memory_format):
        return input
    return input.clone(memory_format=memory_format or contiguous_format)


def _at_least(ndim: int, grow):
    def at_least(*tensors):
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            tensors = tuple(tensors[0])
        out = tuple(t if t.dim() >= ndim else grow(t) for t in tensors)
        return out[0] if len(out) == 1 else out
    at_least.__name__ = f"atleast_{ndim}d"
    at_least.__doc__ = f"Each tensor as a view with at least {ndim} dimensions."
    return composite(at_least.__name__, method=False)(at_least)


def _as_3d(t: Tensor) -> Tensor:
    if t.dim() == 2:
        return unsqueeze(t, -1)
    return unsqueeze(unsqueeze(t, 0), -1) if t.dim() == 1 else reshape(t, (1, 1, 1))


atleast_1d = _at_least(1, lambda t: reshape(t, (1,)))
atleast_2d = _at_least(2, lambda t: unsqueeze(t, 0) if t.dim() == 1 else reshape(t, (1, 1)))
atleast_3d = _at_least(3, _as_3d)


# ----------------------------------------------------------------------------- unfold


def _contiguous_strides(shape) -> tuple:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _windows(shape, strides, dim: int, size: int, step: int):
    """Shape and strides of the windows `unfold` takes from a layout."""
    if not shape:
        return (size,), (1,)
    count = (shape[dim] - size) // step + 1
    return (shape[:dim] + (count,) + shape[dim + 1:] + (size,),
            strides[:dim] + (strides[dim] * step,) + strides[dim + 1:] + (strides[dim],))


@op(view="always")
def unfold(xp, x, dimension, size, step):
    """All windows of ``size`` entries, ``step`` apart, along ``dimension`` (a view): the
    windows become a new last dimension. ``ember.arange(5.).unfold(0, 2, 1)``."""
    dim = wrap_dim(dimension, x.ndim)
    length = x.shape[dim] if x.ndim else 1
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {length} but size "
                           f"is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    shape, strides, offset = _geometry(x)
    shape, strides = _windows(shape, strides, dim, size, step)
    out = strided(xp, x, shape, strides, offset)
    if step < size and xp is np and shape[dim] > 1:
        out.flags.writeable = False  # overlapping windows: an in-place write would be ambiguous
    return out


@unfold.derivative
def unfold(ctx, grad, dimension, size, step):
    # Lay the windows out over a contiguous copy of the input's shape and sum them back.
    shape = ctx.shapes[0]
    strides = _contiguous_strides(shape)
    windows = _windows(shape, strides, wrap_dim(dimension, len(shape)), size, step)
    return _restride(grad, windows + (0,), (shape, strides, 0))
