"""Side-by-side timing: the same workload on Ember and on PyTorch, A B A B.

Each measurement runs in a fresh process (so the two frameworks' thread pools never compete
for the 2 cores), alternating Ember and PyTorch; each process reports the median time per
call of its workload. The figure is the ratio Ember / PyTorch of each adjacent pair, and the
median over pairs: absolute times on shared machines swing, the paired ratio much less.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def time_callable(fn, min_seconds: float = 0.25, repeats: int = 5) -> float:
    """Median seconds per call of ``fn`` over ``repeats`` batches of ~min_seconds each."""
    fn()
    fn()
    number, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds / repeats:
            break
        number *= 2
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def worker(workloads: dict, framework: str, name: str) -> None:
    """Run in the child process: build the workload for one framework and time it."""
    if framework == "ember":
        import ember as T
    else:
        import torch as T
    T.manual_seed(0)
    result = {"seconds": time_callable(workloads[name](T))}
    try:
        import resource
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:
        pass
    print(json.dumps(result))


def _run_child(script: str, framework: str, name: str) -> dict:
    out = subprocess.run([sys.executable, script, "--worker", framework, name],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} {name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(workloads: dict, script: str, extra_columns=()) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "WORKLOAD"))
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs per workload")
    parser.add_argument("names", nargs="*", help="workloads to run (default: all)")
    args = parser.parse_args()
    if args.worker:
        worker(workloads, *args.worker)
        return
    names = args.names or list(workloads)
    header = f"{'workload':44s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}"
    if "peak_rss_mb" in extra_columns:
        header += f" {'ember MB':>9s} {'torch MB':>9s}"
    print(header)
    for name in names:
        ratios, e_times, t_times, e_mem, t_mem = [], [], [], [], []
        for _ in range(args.pairs):
            e = _run_child(script, "ember", name)
            t = _run_child(script, "torch", name)
            e_times.append(e["seconds"])
            t_times.append(t["seconds"])
            e_mem.append(e.get("peak_rss_mb", 0))
            t_mem.append(t.get("peak_rss_mb", 0))
            ratios.append(e["seconds"] / t["seconds"])
        line = (f"{name:44s} {_fmt(statistics.median(e_times)):>10s} "
                f"{_fmt(statistics.median(t_times)):>10s} {statistics.median(ratios):7.2f}")
        if "peak_rss_mb" in extra_columns:
            line += f" {max(e_mem):9.0f} {max(t_mem):9.0f}"
        print(line, flush=True)


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e3:.2f} ms"
