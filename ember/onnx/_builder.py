"""What an op's ONNX lowering writes into: names in, ONNX nodes and initializers out.

A lowering (declared beside its op's forward with ``<op>.onnx(...)``) receives a
`GraphBuilder` ``g``, the names of its tensor operands, and the op's other arguments as the
forward receives them. It adds nodes with ``g.op("Type", *inputs, **attributes)`` and
constants with ``g.const(array)``, and returns the name (or names) of its outputs:

    @softmax.onnx
    def softmax(g, x, dim, dtype=None):
        return g.op("Softmax", g.cast(x, dtype), axis=dim)

The builder knows the traced shape and dtype of every name (``g.shape(x)``, ``g.dtype(x)``)
and of the outputs of the node being lowered (``g.out_shape()``, ``g.out_dtype()``).
"""
from __future__ import annotations

import math

import numpy as np


class OnnxExporterError(RuntimeError):
    """The base of the exporter's errors (``torch.onnx.OnnxExporterError``)."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op of the traced program has no ONNX lowering (or not for these arguments)."""


class GraphBuilder:
    """The ONNX graph under construction (see the module docstring)."""

    def __init__(self, onnx, opset: int, dynamic_sizes: frozenset = frozenset()):
        self.onnx = onnx                  # the `onnx` package
        self.opset = opset
        self.nodes: list = []
        self.initializers: list = []
        self._shapes: dict[str, tuple] = {}
        self._dtypes: dict[str, np.dtype] = {}
        self._count = 0
        # Traced sizes of the axes declared dynamic: a reshape target holding one of them
        # must be written relative to its input (0 / -1), not as the traced number.
        self.dynamic_sizes = dynamic_sizes
        self.node = None                  # the IR node being lowered (set by the exporter)

    # -------------------------------------------------------------------- bookkeeping
    def fresh(self, hint: str = "t") -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def note(self, name: str, shape, dtype) -> None:
        """Record the traced shape and dtype of ``name``."""
        self._shapes[name] = tuple(shape)
        self._dtypes[name] = np.dtype(dtype)

    def shape(self, name: str) -> tuple:
        return self._shapes[name]

    def dtype(self, name: str) -> np.dtype:
        return self._dtypes[name]

    def rank(self, name: str) -> int:
        return len(self._shapes[name])

    def out_shape(self, i: int = 0) -> tuple:
        return tuple(self.node.outputs[i].shape)

    def out_dtype(self, i: int = 0) -> np.dtype:
        return np.dtype(self.node.outputs[i].dtype.np)

    # -------------------------------------------------------------------- emitting
    def op(self, op_type: str, *inputs, outputs: int = 1, since: int = 1, **attributes):
        """Add one ONNX node; its output name, or a tuple of ``outputs`` names.
        An input given as ``None`` is an omitted optional input (written as ""); ``since``
        is the first opset that has the op."""
        if self.opset < since:
            raise NotImplementedError(f"ONNX's {op_type} needs opset_version {since} or later")
        names = [self.fresh(op_type.lower()) for _ in range(outputs)]
        attrs = {k: v for k, v in attributes.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(
            op_type, ["" if i is None else i for i in inputs], names, **attrs))
        return names[0] if outputs == 1 else tuple(names)

    def const(self, value, dtype=None) -> str:
        """An initializer holding ``value`` (an array, or a number of ``dtype``)."""
        array = np.asarray(value, dtype=dtype)
        name = self.fresh("const")
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        self.note(name, array.shape, array.dtype)
        return name

    def ints(self, values) -> str:
        """A 1-d int64 constant: the axes, shapes and sizes ONNX takes as inputs."""
        return self.const(np.asarray(list(values), dtype=np.int64))

    def scalar(self, value, like) -> str:
        """The number ``value`` as a 0-d constant of the dtype of the name ``like`` (or of
        ``like`` itself, a NumPy dtype)."""
        return self.const(value, dtype=self.dtype(like) if isinstance(like, str) else like)

    def cast(self, x: str, dtype) -> str:
        """``x`` cast to an ember dtype (None: unchanged)."""
        return x if dtype is None else self.cast_np(x, np.dtype(dtype.np))

    def cast_np(self, x: str, dtype: np.dtype) -> str:
        """``x`` cast to a NumPy dtype."""
        if dtype == self.dtype(x):
            return x
        name = self.op("Cast", x, to=self.onnx.helper.np_dtype_to_tensor_dtype(dtype))
        self.note(name, self.shape(x), dtype)
        return name

    def as_bool(self, x: str) -> str:
        return self.cast_np(x, np.dtype(np.bool_))

    def cast_to_out(self, x: str) -> str:
        """``x`` in the dtype of the node's output (sums of integers and bools are int64)."""
        return self.cast_np(x, self.out_dtype())

    def arg_extreme(self, op_type: str, x: str, dim, keepdim: bool) -> str:
        """ArgMax / ArgMin over ``dim``, or over the flattened tensor when ``dim`` is None."""
        if not self.rank(x):  # the one element of a 0-d tensor is at index 0
            return self.const(0, dtype=np.int64)
        if dim is not None:
            return self.op(op_type, x, axis=dim, keepdims=int(keepdim))
        flat = self.op("Reshape", x, self.ints([-1]))
        index = self.op(op_type, flat, axis=0, keepdims=0)
        return self.op("Reshape", index, self.ints([1] * self.rank(x))) if keepdim else index

    def basic_index(self, x: str, key) -> str:
        """``x[key]`` for a key of ints, slices, None and Ellipsis (one Slice node, a
        Gather per int, one Unsqueeze for the Nones), or of one integer index tensor."""
        key = key if isinstance(key, tuple) else (key,)
        tensors = [k for k in key if isinstance(k, str)]
        if tensors:
            if len(tensors) > 1 or any(k is not Ellipsis and k != slice(None)
                                       for k in key if not isinstance(k, str)):
                raise NotImplementedError("advanced indexing beyond one index tensor has no "
                                          "ONNX lowering yet")
            axis = next(i for i, k in enumerate(key) if isinstance(k, str))
            if self.dtype(key[axis]) == np.bool_:
                raise NotImplementedError("indexing with a boolean mask has a data-dependent "
                                          "shape; ONNX export needs a fixed one")
            return self.op("Gather", x, key[axis], axis=axis)
        rank = self.rank(x)
        used = sum(k is not None and k is not Ellipsis for k in key)
        if Ellipsis in key:
            at = key.index(Ellipsis)
            key = key[:at] + (slice(None),) * (rank - used) + key[at + 1:]
        key = key + (slice(None),) * (rank - used - (Ellipsis in key))
        starts, ends, axes, steps, picks, nones = [], [], [], [], [], []
        axis = out = 0
        big = np.iinfo(np.int64).max
        for k in key:
            if k is None:
                nones.append(out)
                out += 1
            elif isinstance(k, slice):
                if k != slice(None):
                    step = 1 if k.step is None else k.step
                    starts.append(k.start if k.start is not None else (0 if step > 0 else -1))
                    ends.append(k.stop if k.stop is not None else (big if step > 0 else -big))
                    axes.append(axis)
                    steps.append(step)
                axis += 1
                out += 1
            else:
                picks.append((axis, int(k)))
                axis += 1
        if axes:
            x = self.op("Slice", x, self.ints(starts), self.ints(ends), self.ints(axes),
                        self.ints(steps))
        for axis, index in sorted(picks, reverse=True):
            x = self.op("Gather", x, self.const(index, dtype=np.int64), axis=axis)
        if nones:
            x = self.op("Unsqueeze", x, self.ints(nones))
        return x if axes or picks or nones else self.op("Identity", x)

    def along_last_axis(self, op_type: str, x: str, dim: int) -> str:
        """Softmax-like ``op_type`` over ``dim``; a 0-d tensor as one of one element."""
        if self.rank(x):
            return self.op(op_type, x, axis=dim)
        one = self.op(op_type, self.op("Reshape", x, self.ints([1])), axis=0)
        return self.op("Reshape", one, self.ints([]))

    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """A Reduce* node over ``axes`` (None: all); opset 18 moved the axes to an input for
        every reduction, opset 13 for ReduceSum alone."""
        if not self.rank(x):  # a 0-d tensor reduced over dim 0 or -1 is itself
            return self.op("Identity", x)
        axes = None if axes is None or axes == () else [a % self.rank(x)
                                                        for a in _as_tuple(axes)]
        if axes is None:
            reduced = self.op(op_type, x, keepdims=int(keepdims))
        elif op_type == "ReduceSum" or self.opset >= 18:
            reduced = self.op(op_type, x, self.ints(axes), keepdims=int(keepdims))
        else:
            reduced = self.op(op_type, x, axes=axes, keepdims=int(keepdims))
        shape = self.shape(x)
        self.note(reduced, _reduced_shape(shape, axes, keepdims), self.dtype(x))
        if op_type in ("ReduceMax", "ReduceMin") and self.dtype(x).kind == "f":
            # ONNX Runtime's max skips NaN; PyTorch's returns NaN where any element is.
            is_nan = self.op("IsNaN", x)
            self.note(is_nan, shape, np.bool_)
            has_nan = self.reduce("ReduceMax", self.cast_np(is_nan, np.dtype(np.int32)), axes,
                                  keepdims)
            return self.op("Where", self.cast_np(has_nan, np.dtype(np.bool_)),
                           self.scalar(np.nan, x), reduced)
        return reduced

    def target_shape(self, x: str, shape) -> str:
        """The shape input of a Reshape of ``x`` to the traced ``shape``, written so that it
        stays right when the dynamic axes change size: dims equal to ``x``'s at the same place
        copy them (0), and one dim that scales with a dynamic axis becomes -1."""
        shape = list(shape)
        if self.dynamic_sizes:
            source = self.shape(x)
            shape = [0 if i < len(source) and s == source[i] and s > 0 else s
                     for i, s in enumerate(shape)]
            kept = any(s == 0 and source[i] in self.dynamic_sizes for i, s in enumerate(shape))
            scaled = [i for i, s in enumerate(shape)
                      if s > 0 and any(s % d == 0 for d in self.dynamic_sizes if d > 1)]
            if not kept and -1 not in shape and scaled and math.prod(source) != 0:
                shape[scaled[0]] = -1
        return self.ints(shape)


def _reduced_shape(shape: tuple, axes, keepdims: bool) -> tuple:
    reduced = range(len(shape)) if axes is None else axes
    if keepdims:
        return tuple(1 if i in reduced else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in reduced)


def _as_tuple(axes) -> tuple:
    return tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
