"""Graph mode against eager mode and against PyTorch: eager and compiled, training and inference.

`python bench/compile.py [--pairs N] [workload ...]`. For each workload and step (a training
step: forward, cross-entropy, backward, SGD update; an inference step: forward under
no_grad) four fresh processes run in turn, ``--pairs`` times: Ember eager, Ember compiled
(``ember.compile`` of forward + loss), PyTorch eager and ``torch.compile`` of the same. Each
reports its median step time and how long its first two calls took; "cold compile" is that
time minus two steady steps, with empty kernel caches (Numba's for Ember, Inductor's for
PyTorch). Ratios are of medians taken in the same run, at the default thread count.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench import models  # noqa: E402
from bench._harness import _fmt, time_callable  # noqa: E402

WORKLOADS = {
    "MLP 784-512-256-10, batch 128": (models.mlp, lambda T: T.randn(128, 784), 10),
    "LeNet-5 1x28x28, batch 64": (models.lenet, lambda T: T.randn(64, 1, 28, 28), 10),
    "GPT 2x128, block 64, batch 16": (models.gpt, lambda T: T.randint(0, 96, (16, 64)), 96),
    "ResNet 32ch 3x32x32, batch 32": (models.resnet, lambda T: T.randn(32, 3, 32, 32), 10),
    "10 x Linear(32) (overhead-bound), batch 8": (models.overhead, lambda T: T.randn(8, 32), 32),
}
RUNS = [("ember", "eager"), ("ember", "compiled"), ("torch", "eager"), ("torch", "compiled")]


def build(T, name: str, compiled: bool, step: str):
    """The step function of workload ``name`` for framework ``T``."""
    make_model, make_input, classes = WORKLOADS[name]
    T.manual_seed(0)
    model = make_model(T)
    x = make_input(T)
    n = x.shape[0] * (x.shape[1] if "GPT" in name else 1)
    y = T.randint(0, classes, (n,))
    loss_fn = T.nn.CrossEntropyLoss()

    def forward(x, y):
        return loss_fn(model(x), y)

    if step == "inference":
        model.eval()
        run = T.compile(model) if compiled else model

        def infer():
            with T.no_grad():
                run(x)
        return infer
    optimizer = T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_of = T.compile(forward) if compiled else forward

    def train():
        optimizer.zero_grad()
        loss_of(x, y).backward()
        optimizer.step()
    return train


def worker(framework: str, mode: str, name: str, step: str) -> None:
    if framework == "ember":
        import ember as T
    else:
        import torch as T
    fn = build(T, name, mode == "compiled", step)
    start = time.perf_counter()
    fn()  # Ember captures here and compiles its fused kernels at the next call
    fn()
    first = time.perf_counter() - start
    seconds = time_callable(fn, min_seconds=0.5)
    print(json.dumps({"seconds": seconds, "first": first - seconds}))


def _child(framework: str, mode: str, name: str, step: str, cache: str) -> dict:
    env = dict(os.environ, EMBER_CACHE_DIR=os.path.join(cache, "ember"),
               TORCHINDUCTOR_CACHE_DIR=os.path.join(cache, "inductor"))
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", framework,
                          mode, name, step], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} {mode} {name} {step} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=4, metavar=("FRAMEWORK", "MODE", "NAME", "STEP"))
    parser.add_argument("--pairs", type=int, default=2, help="rounds of the four runs")
    parser.add_argument("--steps", default="training,inference")
    parser.add_argument("names", nargs="*", help="workloads (default: all)")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    print(f"{'workload':42s} {'step':9s} {'ember':>9s} {'compiled':>9s} {'torch':>9s} "
          f"{'t.compile':>9s} {'c/torch':>7s} {'c/ember':>7s} {'cold ember':>10s} "
          f"{'cold torch':>10s}")
    for name in args.names or list(WORKLOADS):
        for step in args.steps.split(","):
            times = {run: [] for run in RUNS}
            cold = {run: [] for run in RUNS}
            for _ in range(args.pairs):
                for run in RUNS:
                    with tempfile.TemporaryDirectory() as cache:  # cold kernel caches
                        r = _child(*run, name, step, cache)
                    times[run].append(r["seconds"])
                    cold[run].append(max(r["first"] - r["seconds"], 0.0))
            med = {run: statistics.median(v) for run, v in times.items()}
            compiled = med[("ember", "compiled")]
            print(f"{name:42s} {step:9s} {_fmt(med[('ember', 'eager')]):>9s} "
                  f"{_fmt(compiled):>9s} {_fmt(med[('torch', 'eager')]):>9s} "
                  f"{_fmt(med[('torch', 'compiled')]):>9s} "
                  f"{compiled / med[('torch', 'eager')]:7.2f} "
                  f"{compiled / med[('ember', 'eager')]:7.2f} "
                  f"{statistics.median(cold[('ember', 'compiled')]):9.2f}s "
                  f"{statistics.median(cold[('torch', 'compiled')]):9.2f}s", flush=True)


if __name__ == "__main__":
    main()
