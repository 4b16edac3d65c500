"""Differentiable collectives (``torch.distributed.nn.functional``).

The sum of every rank's tensor, as a function of each rank's input, has as gradient the sum
of every rank's output gradient: the backward of a sum all-reduce is a sum all-reduce.
"""
from __future__ import annotations

from ...autograd.function import Function
from .. import collectives as c


class _AllReduceSum(Function):
    @staticmethod
    def forward(ctx, group, tensor):
        ctx.group = group
        out = tensor.clone()
        c.all_reduce(out, c.ReduceOp.SUM, group)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        grad = grad_output.clone()
        c.all_reduce(grad, c.ReduceOp.SUM, ctx.group)
        return None, grad


def all_reduce(tensor, op=c.ReduceOp.SUM, group=None):
    """The sum of ``tensor`` over the ranks, as a new tensor that autograd differentiates
    through (only ``ReduceOp.SUM``).

    >>> total = ember.distributed.nn.functional.all_reduce(local_sum)
    """
    if op != c.ReduceOp.SUM:
        raise RuntimeError(f"ember.distributed.nn.functional.all_reduce: only ReduceOp.SUM is "
                           f"differentiable here, got {c.ReduceOp.RedOpType(op).name}")
    return _AllReduceSum.apply(group, tensor)
