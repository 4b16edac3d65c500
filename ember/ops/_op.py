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
and receives the forward's non-tensor arguments as the backward's own arguments. An op
with ``n_outputs=None`` returns a tuple of any length (``split``); its derivative gets the
output gradients as one tuple, with None for outputs that received no gradient.
"""
from __future__ import annotations

import inspect
import itertools
from typing import Callable, NamedTuple

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, wrap, _new
from ..autograd.grad_mode import STATE
from ..autograd.graph import Node, edge_of, grad_accumulator
from ..autograd import anomaly
from ..autograd.graph_leak import warn_graph_leak
from ..profiler._hook import ACTIVE as _PROFILER
from ..amp._hook import ACTIVE as _AUTOCAST
from .._trace_hook import ACTIVE as _TRACER

_anomaly = anomaly._enabled
from .. import backend
from .. import _signatures
from . import _refusals

TABLE: dict[str, "Op"] = {}
COMPOSITES: dict[str, "Composite"] = {}

_ndarray = np.ndarray
_FLOAT = dt._FLOAT


class Op:
    """One entry of the op table. See the module docstring for how ops are declared."""

    def __init__(self, forward, *, name=None, nin=1, promote=None, save=(), save_output=False,
                 stash=False, n_outputs=1, differentiable_outputs=None, broadcasts=False,
                 elementwise=False, view=None, method=True, function=True, inplace=False,
                 differentiable=True, tensor_args=None, aliases=(), signature=None):
        self.name = name or forward.__name__
        self.forward = forward
        self.backward = None
        self.nin = nin                  # tensor operands first; -1: a sequence (forward: a list)
        # None | "common" | "float" | "compare" | "divide" (float without a rounding_mode,
        # else common) | a function
        self.promote = promote
        # A function ``promote(operands, arrays) -> arrays`` serves ops whose operands don't
        # all take part in promotion (a mask, a condition).
        self.promote_fn = promote if callable(promote) else None
        self.save = save                # indices of the inputs the derivative needs, or "all"
        self.save_output = save_output  # True (every output) or the indices of those needed
        self.stash = stash              # forward returns (result, stash) for the derivative
        self.n_outputs = n_outputs      # None: the forward returns a tuple of any length
        self.differentiable_outputs = differentiable_outputs or (
            (True,) * n_outputs if n_outputs is not None else itertools.repeat(True))
        self.broadcasts = broadcasts    # gradients are summed back to each input's shape
        self.elementwise = elementwise
        self.view = view                # None | "always" | "maybe": output shares memory
        self.differentiable = differentiable
        self.method = method
        self.function = function
        self.inplace = inplace
        self.aliases = aliases          # other public names of the same op (arcsin for asin)
        # PyTorch's argument order, when it interleaves plain arguments before a tensor
        # operand (``scatter(input, dim, index, src)``): maps a call to (args, kwargs) with
        # the tensor operands first, as the forward takes them.
        self.signature = signature
        # ``inplace_forward(xp, out, *operands, *args)`` writes the result into ``out``; for
        # in-place variants whose derivative doesn't need the old value (``index_put_``).
        self.inplace_forward = None
        # How `ember.onnx.export` writes this op: an ONNX op type (one node, same operands),
        # or ``lower(g, *operand_names, *args, **kwargs) -> output name(s)``; see `onnx`.
        self.onnx_lowering = None
        # One element of the result as an expression string, for graph mode's fused loops
        # (`ember.jit.fusion`); see `fuses`.
        self.scalar_form = None
        self.bind = None  # PyTorch's signatures, read on the first keyword call
        self.refused = _refusals.REFUSED.get(self.name)  # dtypes PyTorch refuses
        if tensor_args:
            self.tensor_args = tensor_args
        self.fn = _make_function(self)
        if self.name in TABLE:
            raise ValueError(f"op {self.name!r} is defined twice")
        TABLE[self.name] = self

    def __getattr__(self, name):
        # Made on first use: ``import ember`` would otherwise introspect and build a class
        # for each of its hundreds of ops.
        if name == "tensor_args":  # the names of the tensor operands, for messages
            params = list(inspect.signature(self.forward).parameters)[1:]
            self.tensor_args = tuple(params[:max(self.nin, 1)])
        elif name == "node_type":  # the graph node class of this op's calls
            camel = "".join(p.capitalize() for p in self.name.split("_"))
            fields = ({"__slots__": (), "n_outputs": self.n_outputs}
                      if self.n_outputs is not None else {"__slots__": ("n_outputs",)})
            self.node_type = type(f"{camel}Backward0", (OpNode,), {"op": self, **fields})
        else:
            raise AttributeError(name)
        return self.__dict__[name]

    def derivative(self, backward):
        """Register the derivative: ``backward(ctx, *grads, *args, **kwargs) -> input grads``."""
        self.backward = backward
        return self

    def onnx(self, lowering):
        """Declare the ONNX lowering beside the forward: ``relu.onnx("Relu")``, or as a
        decorator on ``lower(g, *operand_names, *args, **kwargs)`` for anything else (``g``
        is the exporter's `ember.onnx._builder.GraphBuilder`)."""
        self.onnx_lowering = lowering
        return self

    def fuses(self, scalar_form):
        """Declare the op's scalar form beside its forward, for graph mode's fused loops:
        ``mul.fuses(lambda a, b: f"({a} * {b})")`` writes one element of the result from its
        operands' expressions and the call's plain arguments (None where an argument takes
        the op out of the simple form)."""
        self.scalar_form = scalar_form
        return self

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def op(**flags):
    """Declare an op from its forward function (see the module docstring)."""
    return lambda forward: Op(forward, **flags)


class Composite(NamedTuple):
    fn: Callable
    method: bool
    function: bool


def composite(name: str | None = None, *, method: bool = True, function: bool = True):
    """Declare an op written with other ops (or an alias of one): it needs no derivative of
    its own, and becomes ``ember.<name>`` and/or ``Tensor.<name>`` like a table op.

        @composite()
        def flatten(x, start_dim=0, end_dim=-1): ...
        composite("swapaxes")(transpose.fn)
    """
    def register(fn):
        key = name or fn.__name__
        if key in COMPOSITES:
            raise ValueError(f"composite {key!r} is defined twice")
        public = _signatures.public(key, _refusals.refusing(key, fn))
        COMPOSITES[key] = Composite(public, method, function)
        return fn
    return register


class OpNode(Node):
    """The graph node of an op call: runs that op's derivative."""

    __slots__ = ("args", "kwargs", "shapes", "np_dtypes", "stash")

    @property
    def dtypes(self) -> tuple:
        """The input tensors' dtypes (None for Python-number operands)."""
        return tuple(None if d is None else dt.from_numpy_dtype(d) for d in self.np_dtypes)

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(e[0] is not None for e in self.next_functions)

    def apply(self, grads):
        op = self.op
        if op.n_outputs is None:  # any number of outputs: their grads come as one tuple
            grads_in = op.backward(self, tuple(grads), *self.args, **self.kwargs)
        else:
            grads_in = op.backward(self, *grads, *self.args, **self.kwargs)
        if type(grads_in) is not tuple:
            grads_in = (grads_in,)
        dtypes = self.np_dtypes
        if len(grads_in) == len(dtypes):  # the common case: nothing to reshape or cast
            broadcasts = op.broadcasts
            for g, d, shape in zip(grads_in, dtypes, self.shapes):
                if g is not None and d is not None and (
                        g._data.dtype is not d and g._data.dtype != d
                        or broadcasts and g._data.shape != shape):
                    break
            else:
                return grads_in
        if op.broadcasts:
            grads_in = tuple(_sum_to(g, shape) if g is not None and shape is not None and
                             g._data.shape != shape else g
                             for g, shape in zip(grads_in, self.shapes))
        return tuple(_grad_as(g, d) if g is not None and d is not None
                     and g._data.dtype != d else g for g, d in zip(grads_in, self.np_dtypes))


def _grad_as(g, d):
    """The gradient ``g`` in its input's dtype ``d``: for a real input of a complex
    computation, its real part (PyTorch's convention)."""
    if g._data.dtype.kind == "c" and d.kind != "c":
        g = g.real
    return g.to(dt.from_numpy_dtype(d))


def _sum_to(g, shape):
    lead = g._data.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and g._data.shape[i + lead] != 1)
    return g.sum(dims, keepdim=True).reshape(shape) if dims else g.reshape(shape)


# ----------------------------------------------------------------------------- dispatch


def _make_function(op: Op):
    # The fast paths skip promotion, so an op with its own promotion rule never takes them.
    fast = op.elementwise and not op.stash and op.promote_fn is None
    if fast and op.promote is not None and op.nin == 2:
        fn = _binary_fast_path(op)
    elif fast and op.nin == 1:
        fn = _unary_fast_path(op)
    elif op.signature is None:
        def fn(*args, **kwargs):
            return apply(op, args, kwargs)
    else:
        signature = op.signature

        def fn(*args, **kwargs):
            if kwargs:
                args, kwargs = _bind(op, args, kwargs)
            args, kwargs = signature(*args, **kwargs)
            return apply(op, args, kwargs)
    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.forward.__doc__
    return fn


# The fast paths cover the most frequent calls (float CPU tensors of one dtype, maybe with a
# Python number): there NumPy's own promotion already equals PyTorch's, so they skip the
# general promotion and argument handling. Anything else takes `apply`.

def _binary_fast_path(op: Op):
    forward = op.forward
    differentiable = op.differentiable
    profiler = _PROFILER
    autocast = _AUTOCAST
    tracer = _TRACER

    def fn(a=_MISSING, b=_MISSING, /, *args, **kwargs):  # input=, other=: in kwargs
        if args or kwargs or autocast or profiler or tracer:
            return apply(op, _given((a, b) + args), kwargs)
        if isinstance(a, Tensor):
            x = a._data
            if isinstance(b, Tensor):
                y = b._data
                if x.dtype is not y.dtype or type(y) is not _ndarray:
                    return apply(op, (a, b), {})
                requires_grad = a._requires_grad or b._requires_grad
            elif type(b) is float or type(b) is int:
                y = b
                requires_grad = a._requires_grad
            else:
                return apply(op, (a, b), {})
            array = x
        elif isinstance(b, Tensor) and (type(a) is float or type(a) is int):
            x, y = a, b._data
            requires_grad = b._requires_grad
            array = y
        else:
            return apply(op, (a, b), {})
        if type(array) is not _ndarray or array.dtype.kind != "f":
            return apply(op, (a, b), {})
        try:
            r = forward(np, x, y)
        except ValueError:  # shapes that don't broadcast: the full path words the error
            return apply(op, (a, b), {})
        if type(r) is not _ndarray:
            r = np.asarray(r)
        out = _new(Tensor)
        out._data = r
        out._requires_grad = False
        out._grad_fn = None
        out._vc = [0]
        if STATE.inference:
            out._inference = True
        if requires_grad and differentiable and STATE.grad_enabled:
            _record_elementwise(op, (a, b), out)
        return out
    return fn


def _unary_fast_path(op: Op):
    forward = op.forward
    differentiable = op.differentiable
    profiler = _PROFILER
    autocast = _AUTOCAST
    tracer = _TRACER

    def fn(a=_MISSING, /, *args, **kwargs):
        if args or kwargs or autocast or profiler or tracer or not isinstance(a, Tensor):
            return apply(op, _given((a,) + args), kwargs)
        x = a._data
        if type(x) is not _ndarray or x.dtype.kind != "f":
            return apply(op, (a,), {})
        r = forward(np, x)
        if type(r) is not _ndarray:
            r = np.asarray(r)
        out = _new(Tensor)
        out._data = r
        out._requires_grad = False
        out._grad_fn = None
        out._vc = [0]
        if STATE.inference:
            out._inference = True
        if a._requires_grad and differentiable and STATE.grad_enabled:
            _record_elementwise(op, (a,), out)
        return out
    return fn


_NO_KWARGS: dict = {}
_MISSING = _signatures.MISSING


def _given(args: tuple) -> tuple:
    """The arguments a fast path received positionally (the others came by keyword)."""
    return tuple(a for a in args if a is not _MISSING)


def apply(op: Op, args: tuple, kwargs: dict, profiled: bool = False, traced: bool = False):
    """Run ``op`` on ``args``: promote, compute on arrays, and record for autograd.
    ``profiled``: an active profiler already times this call; ``traced``: an active tracer
    already records it."""
    if _TRACER and not (traced or profiled):
        return _TRACER[0](op, args, kwargs)
    if _PROFILER and not profiled:
        return _PROFILER[0](op, args, kwargs)
    if kwargs:
        out = kwargs.pop("out", None)
        if out is not None:
            return _into(out, apply(op, args, kwargs, True), op)
        args, kwargs = _bind(op, args, kwargs)
    if _AUTOCAST:
        args = _AUTOCAST[0](op.name, args)
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
        if nin != -1:
            raise TypeError(f"{op.name}(): expected at least one Tensor argument")
        xp = np  # an empty sequence: the forward raises the op's own error
    if op.refused is not None:
        _refusals.check_operands(op.name, op.refused, operands)
    if op.promote is not None and arrays:
        arrays = _promote(op, operands, arrays, kwargs)

    try:
        if nin == -1:
            result = op.forward(xp, arrays, *rest, **kwargs)
        else:
            result = op.forward(xp, *arrays, *rest, **kwargs)
    except OverflowError:
        wrapped = _wrapped_ints(operands, arrays) if nin != -1 else None
        if wrapped is None:
            raise
        result = op.forward(xp, *wrapped, *rest, **kwargs)
    except (TypeError, ValueError, IndexError, RuntimeError, NotImplementedError) as e:
        if op.broadcasts and type(e) is ValueError and "broadcast" in str(e):
            _check_broadcast(op, arrays)
        message = str(e)  # named once, whether or not the forward named the op itself
        if type(e) is ValueError and "broadcast" in message or \
                message.startswith("Cannot cast ufunc"):
            # shapes that don't broadcast, NumPy's casting refusals: PyTorch's class (and the
            # latter's constructor takes no message)
            e = RuntimeError(message)
        if not message.startswith(f"{op.name}("):
            message = f"{op.name}(): {message}"
        raise type(e)(message) from None
    if op.stash:
        result, stash = result
    if op.n_outputs == 1:
        outs = (wrap(result),)
    else:
        outs = tuple(wrap(r) for r in result)
    if op.view is not None:
        _share_version(op, operands[0], outs)
    if requires_grad and op.differentiable and STATE.grad_enabled:
        _record(op, operands, outs, rest, kwargs, stash if op.stash else None)
    return outs[0] if op.n_outputs == 1 else outs


def _wrapped_ints(operands, arrays) -> list | None:
    """``arrays`` with each Python int that NumPy refused to mix with a smaller integer type
    (``uint8 tensor + -1``) cast to the result's type, wrapping around as PyTorch's
    conversion does; None when the result isn't an integer."""
    target = dt.result_dtype(operands).np
    if target.kind not in "iu":
        return None
    return [np.array(a).astype(target) if type(a) is int else a for a in arrays]


def _check_broadcast(op, arrays) -> None:
    """Raise PyTorch's error for operands whose shapes don't broadcast together."""
    shapes = [a.shape for a in arrays if hasattr(a, "shape")]
    for a, b in zip(shapes, shapes[1:]):
        n = max(len(a), len(b))
        for i in range(n - 1, -1, -1):
            sa = a[i - n + len(a)] if i - n + len(a) >= 0 else 1
            sb = b[i - n + len(b)] if i - n + len(b) >= 0 else 1
            if sa != sb and sa != 1 and sb != 1:
                raise RuntimeError(f"{op.name}(): The size of tensor a ({sa}) must match the "
                                   f"size of tensor b ({sb}) at non-singleton dimension {i}")


def _record(op, operands, outs, args, kwargs, stash) -> None:
    """Make the graph node of one op call and hang the outputs on it."""
    node = _new(op.node_type)
    edges, shapes, dtypes = [], [], []
    for x in operands:
        if isinstance(x, Tensor):
            data = x._data
            shapes.append(data.shape)
            dtypes.append(data.dtype)
            if x._requires_grad:
                fn = x._grad_fn
                if fn is not None and fn._saved is None:
                    warn_graph_leak(fn)
                if fn is not None and x._base is not None and x._view_version != x._vc[0]:
                    edges.append(edge_of(x))  # a view whose memory changed since: refreshed
                else:
                    edges.append((fn, x._output_nr) if fn is not None
                                 else (grad_accumulator(x), 0))
            else:
                edges.append(_NO_EDGE)
        else:
            edges.append(_NO_EDGE)
            shapes.append(None)
            dtypes.append(None)
    node.next_functions = tuple(edges)
    node.shapes = tuple(shapes)
    node.np_dtypes = tuple(dtypes)
    node.args = args
    node.kwargs = kwargs
    node.stash = stash
    if op.n_outputs is None:
        node.n_outputs = len(outs)
    node._pre_hooks = node._hooks = node._tensor_hooks = node.metadata = None
    if op.save or op.save_output:
        kept = range(len(outs)) if op.save_output is True else op.save_output or ()
        node.save(operands if op.save == "all" else [operands[i] for i in op.save],
                  [(nr, outs[nr]) for nr in kept])
    else:
        node._saved = ()
    if _anomaly[0]:
        anomaly.record_stack(node)
    if len(outs) == 1:
        o = outs[0]
        if o._data.dtype.kind in "fcV":  # V: bfloat16 from ml_dtypes
            o._grad_fn = node
            o._requires_grad = True
        return
    for nr, (o, diff) in enumerate(zip(outs, op.differentiable_outputs)):
        if diff and o._data.dtype.kind in "fcV":
            o._grad_fn = node
            o._requires_grad = True
            if nr:
                o._output_nr = nr


_NO_EDGE = (None, 0)


def _record_elementwise(op, operands, out) -> None:
    """`_record` for the fast paths (one output; no arguments, keywords or stash), with
    the node's tuples built directly: the per-call cost of the tiniest ops is this."""
    node = _new(op.node_type)
    if len(operands) == 1:
        (a,) = operands
        data = a._data
        node.next_functions = (_edge(a),)
        node.shapes = (data.shape,)
        node.np_dtypes = (data.dtype,)
    else:
        a, b = operands
        node.next_functions = (_edge(a), _edge(b))
        a_is, b_is = isinstance(a, Tensor), isinstance(b, Tensor)
        node.shapes = (a._data.shape if a_is else None, b._data.shape if b_is else None)
        node.np_dtypes = (a._data.dtype if a_is else None, b._data.dtype if b_is else None)
    node.args = ()
    node.kwargs = _NO_KWARGS
    node.stash = None
    node._pre_hooks = node._hooks = node._tensor_hooks = node.metadata = None
    save = op.save
    saved = () if not save else tuple(
        (x, x._vc[0], None) if isinstance(x, Tensor) else (x, None, None)
        for x in (operands if save == "all" else [operands[i] for i in save]))
    if op.save_output:
        saved += ((out._alias(), out._vc[0], 0),)
    node._saved = saved
    if _anomaly[0]:
        anomaly.record_stack(node)
    if out._data.dtype.kind in "fcV":
        out._grad_fn = node
        out._requires_grad = True


def _edge(x):
    """Where the gradient of operand ``x`` goes: as `_record` finds it."""
    if not isinstance(x, Tensor) or not x._requires_grad:
        return _NO_EDGE
    fn = x._grad_fn
    if fn is None:
        return (grad_accumulator(x), 0)
    if fn._saved is None:
        warn_graph_leak(fn)
    if x._base is not None and x._view_version != x._vc[0]:
        return edge_of(x)
    return (fn, x._output_nr)


def _share_version(op, base, outs) -> None:
    for o in outs:
        if op.view == "maybe" and not np.may_share_memory(o._data, base._data):
            continue
        o._vc = base._vc
        o._base = base._base if base._base is not None else base
        if base._requires_grad:
            o._view_version = base._vc[0]  # its history is current until the memory changes


def _promote(op, operands, arrays, kwargs=None):
    if op.promote_fn is not None:
        return op.promote_fn(operands, arrays)
    first = arrays[0]
    to_float = op.promote == "float" or op.promote == "divide" and kwargs is not None and \
        kwargs.get("rounding_mode") is None
    if len(arrays) == 1:
        if to_float and first.dtype.kind in "biu":
            return [first.astype(dt.get_default_dtype().np)]
        return arrays
    kind = common_kind(arrays)
    if kind is not None and (kind in "fc" or not to_float):
        return arrays
    target = dt.result_dtype(operands)
    # true division casts integers straight to float: 3 / tensor(-5) is -0.6 with a uint8 3
    if to_float and target.category < _FLOAT:
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


def _bind(op, args, kwargs):
    """A keyword call in PyTorch's spelling, as the forward takes it (see `_signatures`)."""
    bind = op.bind
    if bind is None:
        # the names the forward (or the op's own argument reordering) takes by keyword
        own = (_signatures.keyword_names(op.signature) if op.signature is not None else
               _signatures.keyword_names(op.forward, 1 + max(op.nin, 1)))
        bind = op.bind = (_signatures.binder(op.name, own, max(op.nin, 1))
                          or (lambda args, kwargs: (_tensor_kwargs_to_args(op, args, kwargs),
                                                    kwargs)))
    return bind(args, kwargs)


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
