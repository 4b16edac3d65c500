"""The op table: each operation defined once, with its derivative beside it.

An op is declared with `@op(...)` on its forward, written against ``xp`` (NumPy or CuPy)
on backend arrays; its derivative is registered with ``@<op>.derivative`` and is written
with Ember tensor operations, so that gradients of gradients work. Everything else (the
``ember.<name>`` function, the ``Tensor.<name>`` method, the in-place ``Tensor.<name>_``,
dtype promotion, autograd recording, version counters of views) is derived here from the
declaration. The rest of Ember reads `TABLE`; nothing describes an op a second time.

    @op(nin=2, promote="common", save=(0, 1), broadcasts=True)
    def mul(xp, a, b):
        return xp.multiply(a, b)

    @mul.derivative
    def mul(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a

``ctx`` is the graph node: it offers ``saved_tensors``, ``shapes`` (the inputs' shapes),
``needs_input_grad``, ``stash`` (whatever the forward handed over with ``stash=True``),
and receives the forward's non-tensor arguments as the backward's own arguments.
"""
from __future__ import annotations

import inspect

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, wrap, _new
from ..autograd.grad_mode import STATE
from ..autograd.graph import Node, edge_of
from ..autograd import anomaly
from .. import backend

TABLE: dict[str, "Op"] = {}

_ndarray = np.ndarray
_FLOAT = dt._FLOAT


class Op:
    """One entry of the op table. See the module docstring for how ops are declared."""

    def __init__(self, forward, *, name=None, nin=1, promote=None, save=(), save_output=False,
                 stash=False, n_outputs=1, differentiable_outputs=None, broadcasts=False,
                 elementwise=False, view=None, method=True, function=True, inplace=False,
                 differentiable=True, tensor_args=None, aliases=()):
        self.name = name or forward.__name__
        self.forward = forward
        self.backward = None
        self.nin = nin                  # tensor operands first; -1: one sequence of tensors
        self.promote = promote          # None | "common" | "float" | "compare" | a function
        # A function ``promote(operands, arrays) -> arrays`` serves ops whose operands don't
        # all take part in promotion (a mask, a condition).
        self.promote_fn = promote if callable(promote) else None
        self.save = save                # indices of the inputs the derivative needs
        self.save_output = save_output
        self.stash = stash              # forward returns (result, stash) for the derivative
        self.n_outputs = n_outputs
        self.differentiable_outputs = differentiable_outputs or (True,) * n_outputs
        self.broadcasts = broadcasts    # gradients are summed back to each input's shape
        self.elementwise = elementwise
        self.view = view                # None | "always" | "maybe": output shares memory
        self.differentiable = differentiable
        self.method = method
        self.function = function
        self.inplace = inplace
        self.aliases = aliases          # other public names of the same op (arcsin for asin)
        params = list(inspect.signature(forward).parameters)[1:]
        self.tensor_args = tensor_args or tuple(params[:max(nin, 1)])
        camel = "".join(p.capitalize() for p in self.name.split("_"))
        self.node_type = type(f"{camel}Backward0", (OpNode,), {"__slots__": (), "op": self,
                                                               "n_outputs": n_outputs})
        self.fn = _make_function(self)
        if self.name in TABLE:
            raise ValueError(f"op {self.name!r} is defined twice")
        TABLE[self.name] = self

    def derivative(self, backward):
        """Register the derivative: ``backward(ctx, *grads, *args, **kwargs) -> input grads``."""
        self.backward = backward
        return self

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def op(**flags):
    """Declare an op from its forward function (see the module docstring)."""
    return lambda forward: Op(forward, **flags)


class OpNode(Node):
    """The graph node of an op call: runs that op's derivative."""

    __slots__ = ("args", "kwargs", "shapes", "dtypes", "stash")

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(e[0] is not None for e in self.next_functions)

    def apply(self, grads):
        op = self.op
        grads_in = op.backward(self, *grads, *self.args, **self.kwargs)
        if type(grads_in) is not tuple:
            grads_in = (grads_in,)
        if op.broadcasts:
            grads_in = tuple(_sum_to(g, shape) if g is not None and shape is not None and
                             g._data.shape != shape else g
                             for g, shape in zip(grads_in, self.shapes))
        dtypes = self.dtypes
        return tuple(g.to(d) if g is not None and d is not None and g._data.dtype != d.np
                     else g for g, d in zip(grads_in, dtypes))


def _sum_to(g, shape):
    lead = g._data.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and g._data.shape[i + lead] != 1)
    return g.sum(dims, keepdim=True).reshape(shape) if dims else g.reshape(shape)


# ----------------------------------------------------------------------------- dispatch


def _make_function(op: Op):
    def fn(*args, **kwargs):
        return apply(op, args, kwargs)
    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.forward.__doc__
    return fn


def apply(op: Op, args: tuple, kwargs: dict):
    """Run ``op`` on ``args``: promote, compute on arrays, and record for autograd."""
    if kwargs:
        out = kwargs.pop("out", None)
        if out is not None:
            return _into(out, apply(op, args, kwargs), op)
        args = _tensor_kwargs_to_args(op, args, kwargs)
    nin = op.nin
    if nin == -1:
        if not args or not isinstance(args[0], (tuple, list)):
            raise TypeError(f"{op.name}(): expected a sequence of Tensors as the first argument")
        operands = tuple(args[0])
        rest = args[1:]
    else:
        if len(args) < nin:
            raise TypeError(f"{op.name}() missing required argument "
                            f"'{op.tensor_args[len(args)]}' (position {len(args) + 1})")
        operands = args[:nin]
        rest = args[nin:]

    arrays = []
    requires_grad = False
    xp = None
    for i, x in enumerate(operands):
        if isinstance(x, Tensor):
            a = x._data
            if xp is None:
                xp = np if type(a) is _ndarray else backend.xp_of(a)
            elif type(a) is not arrays_type:
                _device_mismatch(op, operands)
            arrays_type = type(a)
            arrays.append(a)
            requires_grad = requires_grad or x._requires_grad
        elif op.promote is not None and isinstance(x, (int, float, complex, np.generic)):
            arrays.append(x)
        else:
            raise TypeError(f"{op.name}(): argument '{_arg_name(op, i)}' (position {i + 1}) "
                            f"must be Tensor, not {type(x).__name__}")
    if xp is None:
        raise TypeError(f"{op.name}(): expected at least one Tensor argument")
    if op.promote is not None:
        arrays = _promote(op, operands, arrays)

    try:
        result = op.forward(xp, *arrays, *rest, **kwargs)
    except ValueError as e:
        if op.broadcasts and "broadcast" in str(e):
            raise RuntimeError(f"{op.name}(): {_mismatch(arrays)}") from None
        raise ValueError(f"{op.name}(): {e}") from None
    except (TypeError, IndexError, RuntimeError, NotImplementedError) as e:
        raise type(e)(f"{op.name}(): {e}") from None
    if op.stash:
        result, stash = result
    record = requires_grad and op.differentiable and STATE.grad_enabled
    if op.n_outputs == 1:
        outs = (_wrap_out(result),)
    else:
        outs = tuple(_wrap_out(r) for r in result)
    if op.view is not None:
        _share_version(op, operands[0], outs)
    if record:
        node = op.node_type()
        node.next_functions = tuple(edge_of(x) if isinstance(x, Tensor) and x._requires_grad
                                    else (None, 0) for x in operands)
        node.args = rest
        node.kwargs = kwargs
        node.shapes = tuple(a.shape if type(a) is arrays_type else None for a in arrays)
        node.dtypes = tuple(x.dtype if isinstance(x, Tensor) else None for x in operands)
        node.stash = stash if op.stash else None
        node._saved = ()
        node._pre_hooks = node._hooks = node._tensor_hooks = node.metadata = None
        if op.save or op.save_output:
            node.save([operands[i] for i in op.save],
                      [o for o in outs] if op.save_output else ())
        if anomaly.enabled():
            anomaly.record_stack(node)
        for nr, (o, diff) in enumerate(zip(outs, op.differentiable_outputs)):
            if diff and o._data.dtype.kind in "fc" or diff and o._data.dtype.kind == "V":
                o._grad_fn = node
                o._requires_grad = True
                if nr:
                    o._output_nr = nr
    return outs[0] if op.n_outputs == 1 else outs


def _wrap_out(r):
    if type(r) is not _ndarray and isinstance(r, np.generic):
        r = np.asarray(r)
    t = _new(Tensor)
    t._data = r
    t._requires_grad = False
    t._grad_fn = None
    t._vc = [0]
    return t


def _share_version(op, base, outs) -> None:
    for o in outs:
        if op.view == "maybe" and not np.may_share_memory(o._data, base._data):
            continue
        o._vc = base._vc
        o._base = base._base if base._base is not None else base


def _promote(op, operands, arrays):
    if op.promote_fn is not None:
        return op.promote_fn(operands, arrays)
    first = arrays[0]
    if len(arrays) == 1:
        if op.promote == "float" and first.dtype.kind in "biu":
            return [first.astype(dt.get_default_dtype().np)]
        return arrays
    kind = common_kind(arrays)
    if kind is not None and (kind in "fc" or op.promote != "float"):
        return arrays
    target = dt.result_dtype(operands)
    if op.promote == "float" and target.category < _FLOAT:
        target = dt.get_default_dtype()
    npt = target.np
    return [a.astype(npt) if hasattr(a, "dtype") and type(a) is not np.generic
            and a.dtype != npt else a for a in arrays]


# The Python numbers that leave an array's type alone, by the array's type kind.
_WEAK = {bool: "biufc", int: "iufc", float: "fc"}


def common_kind(arrays):
    """The dtype kind when promotion has nothing to do (NumPy arrays of one dtype, with
    numbers of no higher kind: the hot path of ``x + y`` and ``x * 2``), else None."""
    dtype = None
    for a in arrays:
        if type(a) is _ndarray:
            if dtype is None:
                dtype = a.dtype
            elif a.dtype != dtype:
                return None
    if dtype is None:
        return None
    kind = dtype.kind
    for a in arrays:
        if type(a) is not _ndarray and kind not in _WEAK.get(type(a), ""):
            return None
    return kind


def _tensor_kwargs_to_args(op, args, kwargs):
    # ember.add(input=a, other=b): move named tensor operands into position.
    names = op.tensor_args
    if op.nin < 1 or not any(n in kwargs for n in names):
        return args
    args = list(args)
    for n in names[len(args):]:
        if n not in kwargs:
            break
        args.append(kwargs.pop(n))
    return tuple(args)


def _mismatch(arrays) -> str:
    """PyTorch's message for operands whose shapes do not broadcast."""
    shapes = [a.shape for a in arrays if hasattr(a, "shape")]
    for i, (a, b) in enumerate(zip(shapes, shapes[1:])):
        for d in range(1, min(len(a), len(b)) + 1):
            if a[-d] != b[-d] and 1 not in (a[-d], b[-d]):
                return (f"The size of tensor a ({a[-d]}) must match the size of tensor b "
                        f"({b[-d]}) at non-singleton dimension {max(len(a), len(b)) - d}")
    return f"shapes {[list(s) for s in shapes]} cannot be broadcast together"


def _arg_name(op, i):
    return op.tensor_args[i] if i < len(op.tensor_args) else f"tensors[{i}]"


def _device_mismatch(op, operands):
    devices = sorted({str(x.device) for x in operands if isinstance(x, Tensor)})
    raise RuntimeError(f"{op.name}(): Expected all tensors to be on the same device, but "
                       f"found at least two devices, {devices[0]} and {devices[1]}!")


def _into(out, result, op):
    """Write ``result`` into the caller's ``out=`` tensor (resizing it if needed)."""
    if isinstance(out, (tuple, list)):
        for o, r in zip(out, result):
            _into(o, r, op)
        return out
    if out._requires_grad and STATE.grad_enabled:
        raise RuntimeError(f"{op.name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    if out._data.shape != result._data.shape:
        out._data = result._data.astype(out._data.dtype)
    else:
        out._data[...] = result._data
    out._vc[0] += 1
    return out
