"""Math shared by the weight-norm and spectral-norm reparametrizations (new and legacy)."""
from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from .. import functional as F


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of ``v`` over every dimension but ``dim``, keeping ``v``'s rank
    (``dim=-1`` means the norm of the whole tensor, as in PyTorch)."""
    if dim == -1:
        return v.norm(pow)
    # PyTorch's steps (and so its errors): rows along dim 0 or the last dim, else a transpose
    last = v.ndim - 1
    if dim == 0 or dim == last:
        kept = [1] * v.ndim
        kept[dim] = v.shape[dim]
        rows = v.reshape(v.shape[0], -1) if dim == 0 else v.reshape(-1, v.shape[last])
        return rows.norm(pow, 1 if dim == 0 else 0).reshape(kept)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def weight_norm_value(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """``g * v / ||v||`` with the norm taken over every dimension but ``dim``."""
    return v * (g / norm_except_dim(v, 2, dim))


def weight_to_matrix(weight: Tensor, dim: int) -> Tensor:
    """``weight`` as a matrix whose rows run along ``dim``."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.flatten(1)


def random_unit_vectors(weight_mat: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """Starting vectors ``u`` (rows) and ``v`` (columns) of the power iteration."""
    h, w = weight_mat.shape
    with no_grad():
        u = weight_mat.new_empty(h).normal_(0, 1)
        v = weight_mat.new_empty(w).normal_(0, 1)
        return F.normalize(u, dim=0, eps=eps), F.normalize(v, dim=0, eps=eps)


def power_iteration(weight_mat: Tensor, u: Tensor, v: Tensor, n: int, eps: float,
                    v_first: bool = False) -> None:
    """Refine the singular-vector estimates ``u`` and ``v`` in place, ``n`` times
    (``v_first``: update ``v`` before ``u`` in each step, as the legacy hook does)."""
    with no_grad():
        for _ in range(n):
            if v_first:
                v.copy_(F.normalize(weight_mat.mH.mv(u), dim=0, eps=eps))
            u.copy_(F.normalize(weight_mat.mv(v), dim=0, eps=eps))
            if not v_first:
                v.copy_(F.normalize(weight_mat.mH.mv(u), dim=0, eps=eps))


def remove_hook(module, hook_type: type, name: str, what: str):
    """Undo the ``hook_type`` forward pre-hook reparametrizing ``module.<name>``."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, hook_type) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")
