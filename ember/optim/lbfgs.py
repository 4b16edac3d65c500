"""L-BFGS: quasi-Newton steps from a short history of gradient differences.

The parameters are handled as one flat vector (the concatenation of all of them); the
two-loop recursion and the strong-Wolfe line search work on backend arrays. What the state
keeps between steps (``d``, ``old_dirs``, ``ro``...) uses PyTorch's names.
"""
from __future__ import annotations

from .._tensor import Tensor, wrap
from ..backend import xp_of
from .optimizer import Optimizer, check, scalar


class LBFGS(Optimizer):
    """L-BFGS over all parameters as one vector; `step` needs a ``closure`` that clears the
    gradients, recomputes the loss, calls ``backward`` and returns the loss.

    >>> model = nn.Linear(1, 1, bias=False); x = ember.tensor([[1.0], [2.0]])
    >>> opt = ember.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad(); loss = (model(x) - 3 * x).square().sum(); loss.backward()
    ...     return loss
    >>> _ = opt.step(closure); round(model.weight.item(), 4)
    3.0
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None):
        check(scalar(lr) >= 0.0, "learning rate", lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # -- the parameters as one vector ----------------------------------------------------
    def _flat_grad(self):
        xp = xp_of(self._params[0]._data)
        return xp.concatenate([p._grad._data.reshape(-1) if p._grad is not None
                               else xp.zeros_like(p._data).reshape(-1) for p in self._params])

    def _add_to_params(self, step_size: float, direction) -> None:
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += step_size * direction[offset:offset + n].reshape(p._data.shape)
            p._vc[0] += 1
            offset += n

    def _evaluate_along(self, closure, x, t: float, d):
        """Loss and flat gradient at ``x + t * d``; the parameters are put back to ``x``."""
        self._add_to_params(t, d)
        loss = float(closure())
        flat_grad = self._flat_grad()
        for p, saved in zip(self._params, x):
            p._data[...] = saved
            p._vc[0] += 1
        return loss, flat_grad

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss of the first evaluation."""
        from ..autograd.grad_mode import no_grad
        with no_grad():
            return self._iterate(lambda: self._closure_loss(closure))

    def _iterate(self, closure):
        group = self.param_groups[0]
        lr = scalar(group["lr"])
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if abs(flat_grad).max() <= tol_grad:
            return orig_loss

        d, t = _array(state.get("d")), state.get("t")
        old_dirs = [_array(v) for v in state.get("old_dirs", [])]
        old_stps = [_array(v) for v in state.get("old_stps", [])]
        ro = [float(v) for v in state.get("ro", [])]
        h_diag = float(state.get("H_diag", 1))
        prev_flat_grad = _array(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:  # keep only pairs that preserve positive curvature
                    if len(old_dirs) == group["history_size"]:
                        del old_dirs[0], old_stps[0], ro[0]
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y.dot(y))
                d = _two_loop(-flat_grad, old_dirs, old_stps, ro, h_diag)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = (min(1.0, 1.0 / float(abs(flat_grad).sum())) * lr if state["n_iter"] == 1
                 else lr)
            gtd = float(flat_grad.dot(d))
            if gtd > -tol_change:
                break

            if group["line_search_fn"] is not None:
                if group["line_search_fn"] != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p._data.copy() for p in self._params]
                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    lambda step: self._evaluate_along(closure, x_init, step, d),
                    t, d, loss, flat_grad, gtd, tol_change, max_eval - evals)
                self._add_to_params(t, d)
                converged = abs(flat_grad).max() <= tol_grad
            else:
                self._add_to_params(t, d)
                ls_evals = 0
                converged = False
                if n_iter != max_iter:
                    loss = float(closure())
                    flat_grad = self._flat_grad()
                    converged = abs(flat_grad).max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if (n_iter == max_iter or evals >= max_eval or converged
                    or abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change):
                break

        state.update(d=wrap(d), t=t, old_dirs=[wrap(v) for v in old_dirs],
                     old_stps=[wrap(v) for v in old_stps], ro=ro, H_diag=h_diag,
                     prev_flat_grad=wrap(prev_flat_grad), prev_loss=prev_loss)
        return orig_loss


def _two_loop(q, old_dirs, old_stps, ro, h_diag: float):
    """The L-BFGS direction ``-H g`` from the stored pairs (Nocedal's two-loop recursion)."""
    al = [0.0] * len(old_dirs)
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = float(old_stps[i].dot(q)) * ro[i]
        q -= al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        be_i = float(old_dirs[i].dot(r)) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """The minimizer of the cubic through two points with their values and slopes, clipped
    to ``bounds`` (the interval's midpoint when the cubic has no minimum)."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = d2_square ** 0.5
    if x1 <= x2:
        pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(pos, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, tolerance_change, max_ls, c1=1e-4, c2=0.9):
    """A step ``t`` along ``d`` meeting the strong Wolfe conditions: bracket, then zoom."""
    d_norm = float(abs(d).max())
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g.copy(), gtd
    done = False
    ls_iter = 0
    bracket = None
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [(t_prev, f_prev, g_prev, gtd_prev), (t, f_new, g_new.copy(), gtd_new)]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [(t, f_new, g_new, gtd_new)]
            done = True
            break
        if gtd_new >= 0:
            bracket = [(t_prev, f_prev, g_prev, gtd_prev), (t, f_new, g_new.copy(), gtd_new)]
            break
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.copy(), gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [(0, f, g, None), (t, f_new, g_new, None)]

    # zoom: shrink the bracket [low, high] until the conditions hold
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    insufficient = False
    while not done and ls_iter < max_ls:
        (t0, f0, _, s0), (t1, f1, _, s1) = bracket
        if abs(t1 - t0) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(t0, f0, s0, t1, f1, s1)
        lo, hi = min(t0, t1), max(t0, t1)
        eps = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < eps:
            # too close to an end: move away from it unless the last try already did
            if insufficient or t >= hi or t <= lo:
                t = hi - eps if abs(t - hi) < abs(t - lo) else lo + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
        point = (t, f_new, g_new.copy(), gtd_new)
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = point
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = point
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals


def _array(value):
    return value._data if isinstance(value, Tensor) else value
