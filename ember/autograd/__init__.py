"""Reverse-mode automatic differentiation (`ember.autograd`)."""
from __future__ import annotations

import numpy as np

from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                        is_grad_enabled, is_inference_mode_enabled)
from .anomaly import detect_anomaly, set_detect_anomaly, is_anomaly_enabled
from .graph_leak import GraphLeakWarning, set_warn_graph_leak, is_warn_graph_leak_enabled
from .graph import Node
from . import graph


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


# What this package needs from modules that need Tensor (whose module imports this package
# first): imported at the first backward, not at every call (an import statement in a
# function costs a microsecond each time).
_LATE: dict = {}


def _late() -> dict:
    if not _LATE:
        from .. import _creation
        from .._tensor import wrap
        from .engine import run_backward
        _LATE.update(creation=_creation, wrap=wrap, run_backward=run_backward)
    return _LATE


def _make_grads(outputs, grad_outputs, create_graph):
    late = _LATE or _late()
    _creation, wrap = late["creation"], late["wrap"]
    grads = []
    for i, t in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None and i < len(grad_outputs) else None
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; the output has "
                    f"shape {list(t.shape)}: pass a gradient of that shape (e.g. "
                    f"backward(ember.ones_like(out)))")
            g = _creation.ones_like(t) if type(t._data) is not np.ndarray else \
                wrap(np.ones(t._data.shape, t._data.dtype))  # (the common case, directly)
        elif not hasattr(g, "_data"):
            g = _creation.tensor(g, dtype=t.dtype)
        elif g.shape != t.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{g.shape} and output[{i}] has a shape of {t.shape}.")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Add the gradients of ``tensors`` into the ``.grad`` of the leaves they depend on.

    >>> x = ember.ones(3, requires_grad=True); ember.autograd.backward((x * 2).sum()); x.grad
    tensor([2., 2., 2.])
    """
    tensors = _as_tuple(tensors)
    grads = _make_grads(tensors, _as_tuple(grad_tensors), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    if inputs is not None and not inputs:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    _LATE["run_backward"](tensors, grads, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    >>> x = ember.tensor(3., requires_grad=True)
    >>> ember.autograd.grad(x ** 2, x)
    (tensor(6.),)
    """
    from .engine import run_backward
    from .. import _creation
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grads = _make_grads(outputs, _as_tuple(grad_outputs), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                          accumulate=False, allow_unused=bool(allow_unused or materialize_grads))
    if materialize_grads:
        result = tuple(_creation.zeros_like(i) if r is None else r
                       for r, i in zip(result, inputs))
    return result


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    # The first dimension of every grad_output indexes independent vector-Jacobian products.
    from .. import stack
    batch = _as_tuple(grad_outputs)
    n = len(batch[0])
    # Every product but the last keeps the graph; the last frees it unless told otherwise.
    rows = [grad(outputs, inputs, [g[i] for g in batch],
                 retain_graph=True if i < n - 1 else retain_graph, create_graph=create_graph,
                 allow_unused=allow_unused, materialize_grads=materialize_grads)
            for i in range(n)]
    return tuple(None if row[0] is None else stack(list(row)) for row in zip(*rows))


from .function import Function, once_differentiable  # noqa: E402
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402
from . import functional  # noqa: E402

from . import profiler  # noqa: E402  ember.autograd.profiler, as torch has
from .variable import Variable  # noqa: E402,F401  the legacy alias of Tensor
