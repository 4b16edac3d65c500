"""Views and shape changes. A view shares memory with its input exactly where PyTorch's does."""
from __future__ import annotations

from .._tensor import Size
from ._op import op


def _size_arg(size):
    # x.view(2, 3) and x.view((2, 3)) both mean the shape (2, 3)
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        return tuple(size[0])
    return size


def infer_shape(shape, numel: int, name: str):
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{name}(): only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{name}(): invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"{name}(): shape '{list(shape)}' is invalid for input of size "
                               f"{numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"{name}(): shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


@op(view="always")
def view(xp, x, *shape):
    """The same memory seen with another shape; fails where that needs a copy."""
    shape = infer_shape(_size_arg(shape), x.size, "view")
    try:
        return xp.reshape(x, shape, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")


@view.derivative
def view(ctx, grad, *shape):
    return grad.reshape(ctx.shapes[0])


@op(view="maybe")
def reshape(xp, x, *shape):
    """``x`` with another shape: a view when the memory allows, else a copy."""
    return xp.reshape(x, infer_shape(_size_arg(shape), x.size, "reshape"))


@reshape.derivative
def reshape(ctx, grad, *shape):
    return grad.reshape(ctx.shapes[0])


@op(view="always")
def expand(xp, x, *sizes):
    """Broadcast ``x`` to a larger shape without copying (-1 keeps a dimension)."""
    sizes = _size_arg(sizes)
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
    return xp.broadcast_to(x, shape)


@expand.derivative
def expand(ctx, grad, *sizes):
    from ._op import _sum_to
    return _sum_to(grad, ctx.shapes[0])


@op(view="always")
def unsqueeze(xp, x, dim):
    """Insert a dimension of size one at ``dim``."""
    n = x.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return xp.expand_dims(x, dim % n)


@unsqueeze.derivative
def unsqueeze(ctx, grad, dim):
    return grad.reshape(ctx.shapes[0])


@op(view="always")
def squeeze(xp, x, dim=None):
    """Drop dimensions of size one (all of them, or those in ``dim``)."""
    if dim is None:
        return xp.squeeze(x)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    n = max(x.ndim, 1)
    dims = tuple(d % n for d in dims if -n <= d < n or _out_of_range(d, n))
    return xp.squeeze(x, axis=tuple(d for d in dims if x.ndim and x.shape[d] == 1))


def _out_of_range(d, n):
    raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                     f"but got {d})")


@squeeze.derivative
def squeeze(ctx, grad, dim=None):
    return grad.reshape(ctx.shapes[0])


@op(view="always")
def permute(xp, x, *dims):
    """Reorder the dimensions: ``x.permute(2, 0, 1)``."""
    dims = _size_arg(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {x.ndim} is not equal to len(dims) = {len(dims)}")
    return xp.transpose(x, tuple(d % max(x.ndim, 1) for d in dims))


@permute.derivative
def permute(ctx, grad, *dims):
    dims = tuple(d % max(len(ctx.shapes[0]), 1) for d in _size_arg(dims))
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return grad.permute(*inverse)


@op(view="always")
def transpose(xp, x, dim0, dim1):
    """Swap two dimensions."""
    n = max(x.ndim, 1)
    for d in (dim0, dim1):
        if not -n <= d < n:
            _out_of_range(d, n)
    return xp.swapaxes(x, dim0 % n, dim1 % n) if x.ndim else x


@transpose.derivative
def transpose(ctx, grad, dim0, dim1):
    return grad.transpose(dim0, dim1)
