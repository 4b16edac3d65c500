"""Check analytic gradients against finite differences (use float64 inputs)."""
from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    pass


def _differentiable_inputs(inputs):
    from .._tensor import Tensor
    return [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]


def _outputs(fn, inputs):
    from .._tensor import Tensor
    out = fn(*inputs)
    out = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in out if isinstance(o, Tensor) and o.dtype.category >= 2]


def _numerical_jacobian(fn, inputs, eps):
    """J[i][j]: d(output j, flattened) / d(input i, flattened), by central differences."""
    # Runs with grad mode on: ``fn`` may itself differentiate (gradgradcheck's does).
    jac = []
    for x in _differentiable_inputs(inputs):
        flat = x._data.reshape(-1) if x._data.flags.c_contiguous else None
        if flat is None:
            raise GradcheckError("gradcheck needs contiguous inputs")
        columns = []
        for k in range(flat.size):
            orig = flat[k].copy()
            flat[k] = orig + eps
            plus = [o._data.astype(np.complex128 if o.is_complex() else np.float64).ravel()
                    .copy() for o in _outputs(fn, inputs)]
            flat[k] = orig - eps
            minus = [o._data.astype(plus[i].dtype).ravel().copy()
                     for i, o in enumerate(_outputs(fn, inputs))]
            flat[k] = orig
            columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
        jac.append(columns)
    return jac


def _analytical_jacobian(fn, inputs):
    from . import grad as autograd_grad
    from .. import _creation
    xs = _differentiable_inputs(inputs)
    outs = _outputs(fn, inputs)
    rows = {}  # (output j, element m) -> grads per input
    for j, o in enumerate(outs):
        for m in range(o.numel()):
            g = _creation.zeros_like(o)
            g._data.reshape(-1)[m] = 1
            grads = autograd_grad([o], xs, [g], retain_graph=True, allow_unused=True)
            rows[j, m] = [np.zeros(x.numel()) if gi is None else
                          gi._data.astype(np.float64).ravel() for gi, x in zip(grads, xs)]
    return outs, rows


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, fast_mode=False, masked=None) -> bool:
    """Compare the gradients autograd computes for ``func`` with finite differences.

    >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    >>> ember.autograd.gradcheck(ember.sin, (x,))
    True
    """
    from .._tensor import Tensor
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    for x in _differentiable_inputs(inputs):
        if x.dtype.name not in ("float64", "complex128"):
            import warnings
            warnings.warn(f"gradcheck: input of dtype {x.dtype} is not double precision; the "
                          "finite differences will be inaccurate")
    if fast_mode and not any(x.is_complex() for x in _differentiable_inputs(inputs)):
        return _fast_gradcheck(func, inputs, eps, atol, rtol, raise_exception)
    numerical = _numerical_jacobian(func, inputs, eps)
    outs, rows = _analytical_jacobian(func, inputs)
    for i, x in enumerate(_differentiable_inputs(inputs)):
        for j, o in enumerate(outs):
            num = np.stack([numerical[i][k][j] for k in range(x.numel())], axis=1) \
                if x.numel() else np.zeros((o.numel(), 0))
            ana = np.stack([rows[j, m][i] for m in range(o.numel())], axis=0) \
                if o.numel() else np.zeros((0, x.numel()))
            if not np.allclose(ana, num.real if not np.iscomplexobj(ana) else num,
                               rtol=rtol, atol=atol):
                msg = (f"Jacobian mismatch for output {j} with respect to input {i},\n"
                       f"numerical:{num}\nanalytical:{ana}\n")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def _fast_gradcheck(func, inputs, eps, atol, rtol, raise_exception) -> bool:
    """Compare ``v^T J u`` for random unit ``u`` (per input) and ``v`` (over the outputs):
    one finite difference and one backward pass per input instead of full Jacobians."""
    from . import grad as autograd_grad
    from .grad_mode import no_grad
    from .._creation import tensor
    rng = np.random.default_rng(0)
    outs = _outputs(func, inputs)
    vs = [rng.standard_normal(tuple(o.shape)) for o in outs]
    xs = _differentiable_inputs(inputs)
    grads = autograd_grad(outs, xs, [tensor(v, dtype=o.dtype) for v, o in zip(vs, outs)],
                          allow_unused=True)
    for i, (x, g) in enumerate(zip(xs, grads)):
        u = rng.standard_normal(tuple(x.shape))
        u /= max(np.linalg.norm(u), 1e-12)
        original = x._data.copy()
        with no_grad():
            x._data += eps * u
            plus = [o._data.astype(np.float64) for o in _outputs(func, inputs)]
            x._data[...] = original - eps * u
            minus = [o._data.astype(np.float64) for o in _outputs(func, inputs)]
            x._data[...] = original
        numerical = sum(float((v * (p - m)).sum()) for v, p, m in zip(vs, plus, minus)) / (2 * eps)
        analytical = 0.0 if g is None else float((g._data.astype(np.float64) * u).sum())
        if not np.isclose(analytical, numerical, rtol=rtol, atol=atol):
            msg = (f"Jacobian mismatch for input {i} (fast mode: v^T J u with random u, v): "
                   f"numerical {numerical}, analytical {analytical}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False) -> bool:
    """Check second derivatives: gradcheck of the function that computes ``func``'s gradients."""
    from . import grad as autograd_grad
    from .grad_mode import enable_grad
    from .. import _creation
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [_creation.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype,
                                         requires_grad=True) for o in outs]
    grad_outputs = tuple(grad_outputs)
    n = len(inputs)

    def first_derivatives(*args):
        # The finite differences run under no_grad; the first derivatives need a graph.
        with enable_grad():
            ins, gos = args[:n], args[n:]
            xs = _differentiable_inputs(ins)
            grads = autograd_grad(_outputs(func, ins), xs, gos, create_graph=True,
                                  allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, fast_mode=fast_mode)
