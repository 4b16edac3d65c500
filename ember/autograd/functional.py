"""Derivatives of whole functions: `jacobian`, `hessian`, `vjp`, `jvp`, `vhp`, `hvp`.

Each takes ``func`` and ``inputs`` (a tensor or a tuple of tensors) and differentiates
``func(*inputs)`` with reverse-mode passes. Forward products (`jvp`) use the double-backward
identity ``J v = d/du <J^T u, v>``, so they need the ops' derivatives to be differentiable,
which every op in the table is.
"""
from __future__ import annotations


from .grad_mode import enable_grad


def _as_tuple(x, arg: str, fn: str):
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    from .._tensor import Tensor
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the value at index {i} has type {type(t)}.")
    return items, is_tuple


def _prepare(inputs, create_graph: bool):
    # Fresh leaves, so gradients with respect to each input can be told apart; with
    # create_graph the caller's graph is kept so the result stays differentiable.
    return tuple(x if create_graph and x.requires_grad else x.detach().requires_grad_(True)
                 for x in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph: bool, strict: bool, fn: str):
    """Gradients of ``outputs`` with respect to ``inputs``; zeros where they don't depend."""
    from . import grad
    from .._creation import zeros_like
    live = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    found = (grad([o for o, _ in live], inputs, [g for _, g in live], retain_graph=True,
                  create_graph=create_graph, allow_unused=True) if live else (None,) * len(inputs))
    result = []
    for i, (g, x) in enumerate(zip(found, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode ({fn}).")
            g = zeros_like(x)
        result.append(g)
    return tuple(result)


def _vectors(v, like, fn: str):
    """``v`` as a tuple matching ``like``; absent only where ``like`` is one element."""
    from .._creation import ones_like
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if the user-provided function "
                               f"returns a single Tensor with a single element ({fn}).")
        return (ones_like(like[0]),)
    vs, _ = _as_tuple(v, "v", fn)
    if len(vs) != len(like):
        raise RuntimeError(f"{fn}: v has {len(vs)} tensors, but {len(like)} are expected")
    for a, b in zip(vs, like):
        if a.shape != b.shape:
            raise RuntimeError(f"{fn}: v has a tensor of shape {list(a.shape)} where shape "
                               f"{list(b.shape)} is expected")
    return vs


def _finish(tensors, is_tuple: bool, create_graph: bool):
    out = tuple(t if create_graph else t.detach() for t in tensors)
    return out if is_tuple else out[0]


def _call(func, xs, fn: str):
    outputs, is_tuple = _as_tuple(func(*xs), "outputs of the user-provided function", fn)
    return outputs, is_tuple


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    >>> ember.autograd.functional.vjp(lambda x: x ** 2, ember.tensor([1., 2.]),
    ...                               ember.ones(2))[1]
    tensor([2., 4.])
    """
    xs, in_tuple = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        xs = _prepare(xs, create_graph)
        outs, out_tuple = _call(func, xs, "vjp")
        grads = _grads(outs, xs, _vectors(v, outs, "vjp"), create_graph, strict, "vjp")
    return _finish(outs, out_tuple, create_graph), _finish(grads, in_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: the Jacobian-vector product at ``inputs``."""
    from .._creation import zeros_like
    xs, in_tuple = _as_tuple(inputs, "inputs", "jvp")
    vs = _vectors(v, xs, "jvp")
    with enable_grad():
        xs = _prepare(xs, True)
        outs, out_tuple = _call(func, xs, "jvp")
        us = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        transposed = _grads(outs, xs, us, True, strict, "jvp")  # J^T u, linear in u
        products = _grads(transposed, us, vs, create_graph, strict, "jvp")
    return _finish(outs, out_tuple, create_graph), _finish(products, out_tuple, create_graph)


def _scalar_output(func, xs, fn: str):
    outs, _ = _call(func, xs, fn)
    if len(outs) != 1 or outs[0].numel() != 1:
        raise RuntimeError(f"The function given to {fn} should return a single Tensor with a "
                           "single element")
    return outs[0]


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: the vector-Hessian product."""
    xs, in_tuple = _as_tuple(inputs, "inputs", "vhp")
    vs = _vectors(v, xs, "vhp")
    with enable_grad():
        xs = _prepare(xs, True)
        out = _scalar_output(func, xs, "vhp")
        gradient = _grads((out,), xs, (None,), True, strict, "vhp")
        product = _grads(gradient, xs, vs, create_graph, strict, "vhp")
    return _finish((out,), False, create_graph), _finish(product, in_tuple, create_graph)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a scalar ``func`` (equal to `vhp`: H is symmetric)."""
    return vhp(func, inputs, v, create_graph, strict)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for each output and input, a tensor of shape
    ``output.shape + input.shape`` (nested in tuples as ``inputs`` and the outputs are).

    >>> ember.autograd.functional.jacobian(lambda x: x * 3, ember.ones(2))
    tensor([[3., 0.],
            [0., 3.]])
    """
    from .._creation import zeros_like
    xs, in_tuple = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        xs = _prepare(xs, create_graph)
        outs, out_tuple = _call(func, xs, "jacobian")
        blocks = []
        for o in outs:
            rows = []
            for k in range(o.numel()):
                unit = zeros_like(o)
                unit._data.reshape(-1)[k] = 1
                rows.append(_grads((o,), xs, (unit,), create_graph, strict, "jacobian"))
            blocks.append(tuple(_stack([r[i] for r in rows], o, x, create_graph)
                                for i, x in enumerate(xs)))
    if not in_tuple:
        blocks = [b[0] for b in blocks]
    return tuple(blocks) if out_tuple else blocks[0]


def _stack(rows, output, input, create_graph: bool):
    shape = tuple(output.shape) + tuple(input.shape)
    if create_graph and rows:
        from .. import stack
        return stack(rows).reshape(shape)
    from .._tensor import wrap
    xp = input._xp
    data = xp.stack([r._data for r in rows]) if rows else xp.zeros(shape, input._data.dtype)
    return wrap(data.reshape(shape))


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs`` (shape ``input.shape * 2`` per pair).

    >>> ember.autograd.functional.hessian(lambda x: (x ** 3).sum(), ember.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    _, in_tuple = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = _scalar_output(func, xs, "hessian")
        g = _grads((out,), xs, (None,), True, strict, "hessian")
        return g if in_tuple else g[0]

    return jacobian(gradient, inputs, create_graph, strict)
