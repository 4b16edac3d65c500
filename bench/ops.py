"""Per-op overhead and throughput, Ember vs PyTorch:
`python bench/ops.py [--threads 1] [workload ...]` (default threads unless pinned).

Each workload is written once against the PyTorch API and run with ``T`` bound to either
``ember`` or ``torch``.
"""
from __future__ import annotations

import atexit
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._harness import main  # noqa: E402


def tiny_add(T):
    a, b = T.randn(8), T.randn(8)
    return lambda: a + b


def tiny_add_requires_grad(T):
    a, b = T.randn(8, requires_grad=True), T.randn(8)
    return lambda: a + b


def tiny_add_profiler_idle(T):
    # Every op call reads the profiler's switch: once a profiler has run and stopped, a
    # tiny add must cost what it costs without one.
    with T.profiler.profile():
        T.ones(1) + 1
    a, b = T.randn(8), T.randn(8)
    return lambda: a + b


def tiny_add_profiler_recording(T):
    a, b = T.randn(8), T.randn(8)
    prof = T.profiler.profile()
    prof.start()
    atexit.register(prof.stop)  # after the measurement (torch crashes if never stopped)
    return lambda: a + b


def tiny_linear_relu_backward(T):
    x = T.randn(16, 32)
    w = T.randn(32, 64, requires_grad=True)
    b = T.randn(64, requires_grad=True)

    def step():
        y = (x @ w + b).relu().sum()
        y.backward()
    return step


# The tiny rows of issue 8: what a framework costs per op when the arithmetic is nothing.

def tiny_relu_requires_grad(T):
    a = T.randn(10, requires_grad=True)
    return lambda: T.relu(a)


def tiny_linear_10_forward(T):
    layer, x = T.nn.Linear(10, 10), T.randn(10)
    return lambda: layer(x)


def tiny_mul_add_sum_backward(T):
    a, b = T.randn(10, requires_grad=True), T.randn(10, requires_grad=True)
    return lambda: (a * b + a).sum().backward()


def elementwise_chain_1000x1000(T):
    a, b, c = (T.randn(1000, 1000) for _ in range(3))
    return lambda: ((a * b + c) * a - b) / (c * c + 1.0)


def matmul_1024(T):
    a, b = T.randn(1024, 1024), T.randn(1024, 1024)
    return lambda: a @ b


def chain_64_backward(T):
    x = T.randn(64, requires_grad=True)

    def step():
        y = x
        for _ in range(64):
            y = y * 1.001 + 0.01
        y.sum().backward()
    return step


WORKLOADS = {
    "tiny add (no grad)": tiny_add,
    "tiny add (requires_grad)": tiny_add_requires_grad,
    "tiny add (profiler idle)": tiny_add_profiler_idle,
    "tiny add (profiler recording)": tiny_add_profiler_recording,
    "tiny matmul+add+relu, backward": tiny_linear_relu_backward,
    "tiny relu(a), a requires grad": tiny_relu_requires_grad,
    "tiny nn.Linear(10, 10) forward": tiny_linear_10_forward,
    "tiny (a * b + a).sum().backward()": tiny_mul_add_sum_backward,
    "1000x1000 float32 elementwise chain": elementwise_chain_1000x1000,
    "1024x1024 float32 matmul": matmul_1024,
    "64-op chain, backward": chain_64_backward,
}

if __name__ == "__main__":
    main(WORKLOADS, os.path.abspath(__file__))
