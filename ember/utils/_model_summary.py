"""`ember.utils.summary`: the layer table users install torchinfo for, built by running the
model once and watching every module's call with forward hooks."""
from __future__ import annotations

import math

_COLUMNS = {"output_size": "Output Shape", "num_params": "Param #",
            "mult_adds": "Mult-Adds", "trainable": "Trainable"}
_CONVS = ("Conv1d", "Conv2d", "Conv3d", "LazyConv1d", "LazyConv2d", "LazyConv3d")
_TRANSPOSED = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
_LOOKUPS = ("Embedding", "EmbeddingBag")
_ROW_WISE = ("Linear", "LazyLinear", "Bilinear", "NonDynamicallyQuantizableLinear")


class LayerInfo:
    """One call of one module: where it sits, what it made, what it holds and costs."""

    def __init__(self, module, path: str, depth: int, index: int, input_shape,
                 first_call: bool):
        self.module, self.path, self.depth, self.index = module, path, depth, index
        self.input_shape, self.first_call = input_shape, first_call
        self.output_shape, self.output_bytes = [], 0

    @property
    def class_name(self) -> str:
        return type(self.module).__name__

    @property
    def own_params(self) -> list:
        return list(self.module.parameters(recurse=False))

    @property
    def is_leaf(self) -> bool:
        return not any(True for _ in self.module.children())

    def mult_adds(self) -> int:
        """Multiply-adds of this call by its own parameters, torchinfo's way: each weight
        and bias element once per output position: per sample and output pixel for a
        convolution, per sample for a norm; per row for a Linear (where torchinfo counts the
        batch alone and undercounts a sequence model T-fold). A lookup costs none."""
        count = sum(p.numel() for p in self.own_params)
        if not count or not self.output_shape:
            return 0
        shape = self.output_shape
        name = self.class_name
        if name in _LOOKUPS:
            return 0
        if name in _CONVS:
            return count * shape[0] * math.prod(shape[2:])
        if name in _TRANSPOSED:  # each input position scatters the whole kernel
            inputs = self.input_shape or shape
            return count * inputs[0] * math.prod(inputs[2:])
        if name in _ROW_WISE:  # every row of a (batch, ..., features) input
            return count * math.prod(shape[:-1])
        if name.startswith(("RNN", "LSTM", "GRU")) and len(shape) >= 2:
            return count * shape[0] * shape[1]
        return count * shape[0]


class ModelStatistics:
    """What `summary` returns: the rows and totals; ``str()`` is the table."""

    def __init__(self, rows, model, inputs, depth: int, col_names, col_width: int):
        self.summary_list = rows
        self._depth, self._col_names, self._col_width = depth, col_names, col_width
        params = list(model.parameters())
        self.total_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.total_mult_adds = sum(r.mult_adds() for r in rows)
        self.total_input = sum(t.numel() * t.element_size() for t in inputs)
        # forward values of the leaf layers and, in training, a gradient of each
        self.total_output_bytes = 2 * sum(r.output_bytes for r in rows if r.is_leaf)
        self.total_param_bytes = sum(p.numel() * p.element_size() for p in params)

    def _row_cells(self, row) -> list:
        # a row at the depth limit stands for its whole subtree
        collapsed = row.depth == self._depth and not row.is_leaf
        subtree = [r for r in self.summary_list if not row.path or r.path == row.path
                   or r.path.startswith(row.path + ".")] if collapsed else [row]
        cells = []
        for name in self._col_names:
            if name == "output_size":
                cells.append(str(row.output_shape) if row.output_shape else "--")
            elif name == "num_params":
                params = list(row.module.parameters()) if collapsed else row.own_params
                n = sum(p.numel() for p in params)
                cells.append(f"{n:,}" if n and row.first_call else
                             ("(recursive)" if n else "--"))
            elif name == "mult_adds":
                n = sum(r.mult_adds() for r in subtree)
                cells.append(f"{n:,}" if n else "--")
            elif name == "trainable":
                params = list(row.module.parameters())
                flags = {p.requires_grad for p in params}
                cells.append("--" if not flags else
                             "Partial" if len(flags) == 2 else str(flags.pop()))
        return cells

    def __str__(self) -> str:
        shown = [r for r in self.summary_list if r.depth <= self._depth]
        labels = []
        for r in shown:
            if r.depth == 0:
                labels.append(r.class_name)
                continue
            branch = "├─" if r.depth == 1 else "│    " * (r.depth - 1) + "└─"
            labels.append(f"{branch}{r.class_name} ({r.path}): "
                          f"{r.depth}-{r.index}")
        first = max([len("Layer (type (path):depth-idx)")] + [len(s) for s in labels]) + 2
        width = self._col_width
        header = "Layer (type (path):depth-idx)".ljust(first) + "".join(
            _COLUMNS[c].ljust(width) for c in self._col_names)
        lines = [header.rstrip()]
        for label, r in zip(labels, shown):
            cells = self._row_cells(r)
            lines.append((label.ljust(first) + "".join(c.ljust(width) for c in cells)).rstrip())
        rule = "=" * max(len(line) for line in lines)
        mb = 1e6
        adds, unit = _scaled(self.total_mult_adds)
        total = self.total_input + self.total_output_bytes + self.total_param_bytes
        return "\n".join([
            rule, lines[0], rule, *lines[1:], rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
            f"Total mult-adds ({unit}): {adds:.2f}", rule,
            f"Input size (MB): {self.total_input / mb:.2f}",
            f"Forward/backward pass size (MB): {self.total_output_bytes / mb:.2f}",
            f"Params size (MB): {self.total_param_bytes / mb:.2f}",
            f"Estimated Total Size (MB): {total / mb:.2f}", rule])

    __repr__ = __str__


def _scaled(n: int) -> tuple[float, str]:
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6)):
        if n >= size:
            return n / size, unit
    return n / 1e6, "M"


def summary(model, input_size=None, input_data=None, depth: int = 3, col_names=None,
            dtypes=None, device=None, col_width: int = 25, verbose: int = 1,
            **kwargs) -> ModelStatistics:
    """The table of a model's layers: each module's path, output shape, parameters,
    multiply-adds and whether it trains, with totals and a memory estimate, as torchinfo's
    ``summary`` gives it. The model runs once (without gradients) on ``input_data`` or on
    zeros of ``input_size`` (a shape, or a list of shapes for several inputs); an error in a
    layer names that layer. ``depth`` limits the rows shown; a deeper subtree is folded
    into its row's counts. Keywords beyond these go to ``forward``. Prints the table
    (``verbose=0`` does not) and returns it.

    >>> ember.utils.summary(model, input_size=(1, 1, 28, 28))
    """
    from .. import _creation, no_grad, float32
    from ..nn.utils._finite import tensors_in
    from .._tensor import Tensor
    col_names = tuple(col_names or ("output_size", "num_params", "mult_adds", "trainable"))
    if input_data is None:
        if input_size is None:
            raise ValueError("summary() needs input_data or input_size")
        sizes = [input_size] if all(isinstance(s, int) for s in input_size) else input_size
        dtypes = dtypes or [float32] * len(sizes)
        if device is None:
            device = next((p.device for p in model.parameters()), None)
        input_data = [_creation.zeros(tuple(s), dtype=d, device=device)
                      for s, d in zip(sizes, dtypes)]
    args = input_data if isinstance(input_data, (list, tuple)) else (input_data,)
    call_kwargs = dict(kwargs)
    if isinstance(input_data, dict):
        args, call_kwargs = (), {**input_data, **kwargs}
    tensors = [a for a in list(args) + list(call_kwargs.values()) if isinstance(a, Tensor)]

    rows, seen, counters, handles = [], set(), {}, []
    running = {}  # id(module) -> its rows still inside forward (a module may recurse)
    paths = {}
    for path, module in model.named_modules():
        paths.setdefault(id(module), path)

    def before(module, inputs):
        path = paths.get(id(module))
        if path is None:
            return
        depth = 0 if path == "" else path.count(".") + 1
        counters[depth] = counters.get(depth, 0) + 1
        for deeper in [d for d in counters if d > depth]:
            counters[deeper] = 0
        first = next(tensors_in(inputs), None)
        row = LayerInfo(module, path, depth, counters[depth],
                        list(first.shape) if first is not None else None,
                        first_call=id(module) not in seen)
        seen.add(id(module))
        rows.append(row)
        running.setdefault(id(module), []).append(row)

    def after(module, inputs, output):
        stack = running.get(id(module))
        if not stack:
            return
        row = stack.pop()
        first = next(tensors_in(output), None)
        if first is not None:
            row.output_shape = list(first.shape)
        row.output_bytes = sum(t.numel() * t.element_size() for t in tensors_in(output))

    for module in {id(m): m for _, m in model.named_modules()}.values():
        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    try:
        with no_grad():
            model(*args, **call_kwargs)
    finally:
        for h in handles:
            h.remove()
    stats = ModelStatistics(rows, model, tensors, depth, col_names, col_width)
    if verbose:
        print(stats)
    return stats

