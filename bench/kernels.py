"""The compiled kernels one by one, Ember vs PyTorch, on the arrays of the GPT workload of
bench/train.py (batch 16, block 64, width 128, 4 heads): forward, and forward with backward.

`python bench/kernels.py [--threads 1] [workload ...]` (default threads unless pinned). These
are the loops ``ember.kernels`` spreads over the cores; bench/threads.py measures what their
threads cost beside BLAS's.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._harness import main  # noqa: E402
from bench import models  # noqa: E402

BATCH, BLOCK, WIDTH, HEADS = 16, 64, 128, 4


def _forward_backward(T, x, fn):
    """A step running ``fn(x)`` and its backward from a fixed output gradient."""
    x.requires_grad_(True)
    grad = T.randn(fn(x).shape)

    def step():
        x.grad = None
        fn(x).backward(grad)
    return step


def _forward(T, x, fn):
    def step():
        with T.no_grad():
            fn(x)
    return step


def softmax(T, backward):
    scores = T.randn(BATCH, HEADS, BLOCK, BLOCK)
    return (_forward_backward if backward else _forward)(
        T, scores, lambda s: T.softmax(s, dim=-1))


def layer_norm(T, backward):
    norm = T.nn.LayerNorm(WIDTH)
    return (_forward_backward if backward else _forward)(T, T.randn(BATCH, BLOCK, WIDTH), norm)


def gelu(T, backward):
    return (_forward_backward if backward else _forward)(
        T, T.randn(BATCH, BLOCK, 4 * WIDTH), T.nn.functional.gelu)


def adamw(T):
    model = models.gpt(T, block=BLOCK)
    for p in model.parameters():
        p.grad = T.randn(p.shape)
    optimizer = T.optim.AdamW(model.parameters(), lr=3e-4)
    return optimizer.step


WORKLOADS = {
    f"softmax {BATCH}x{HEADS}x{BLOCK}x{BLOCK}": lambda T: softmax(T, False),
    f"softmax {BATCH}x{HEADS}x{BLOCK}x{BLOCK}, with backward": lambda T: softmax(T, True),
    f"layer_norm {BATCH}x{BLOCK}x{WIDTH}": lambda T: layer_norm(T, False),
    f"layer_norm {BATCH}x{BLOCK}x{WIDTH}, with backward": lambda T: layer_norm(T, True),
    f"gelu {BATCH}x{BLOCK}x{4 * WIDTH}": lambda T: gelu(T, False),
    f"gelu {BATCH}x{BLOCK}x{4 * WIDTH}, with backward": lambda T: gelu(T, True),
    "AdamW step, GPT's parameters": adamw,
}

if __name__ == "__main__":
    main(WORKLOADS, os.path.abspath(__file__))
