"""Side-by-side timing: the same workload on Ember and on PyTorch, A B A B.

Each measurement runs in a fresh process (so the two frameworks' thread pools never compete
for the cores), alternating Ember and PyTorch; each process reports the median time per
call of its workload. The figure is the ratio Ember / PyTorch of each adjacent pair, and the
median over pairs: absolute times on shared machines swing, the paired ratio much less.

Both sides run at their default thread settings unless ``--threads N`` pins them (the
children get ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` and
``NUMBA_NUM_THREADS`` set to N). A workload may return a `Workload` (training step, inference
step): the table then shows both, the first step's time (which includes Numba compiling or
loading Ember's kernels; ``--cold`` measures it with an empty kernel cache), and each
process's peak memory.
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
from typing import Callable, NamedTuple


class Workload(NamedTuple):
    """What a model workload times: a training step and an inference step (``eval()``, under
    ``no_grad``)."""
    train: Callable[[], None]
    infer: Callable[[], None]


def time_callable(fn, min_seconds: float = 0.25, repeats: int = 5) -> float:
    """Median seconds per call of ``fn`` over ``repeats`` batches of ~min_seconds each
    (seconds of this process's CPU time under ``--cpu-time``)."""
    clock = time.process_time if os.environ.get("EMBER_BENCH_CLOCK") == "cpu" \
        else time.perf_counter
    fn()
    fn()
    number, elapsed = 1, 0.0
    while True:
        start = clock()
        for _ in range(number):
            fn()
        elapsed = clock() - start
        if elapsed >= min_seconds / repeats:
            break
        number *= 2
    samples = []
    for _ in range(repeats):
        start = clock()
        for _ in range(number):
            fn()
        samples.append((clock() - start) / number)
    return statistics.median(samples)


def worker(workloads: dict, framework: str, name: str) -> None:
    """Run in the child process: build the workload for one framework and time it."""
    if framework == "ember":
        import ember as T
    else:
        import torch as T
    T.manual_seed(0)
    built = workloads[name](T)
    if isinstance(built, Workload):
        start = time.perf_counter()
        built.train()
        result = {"first": time.perf_counter() - start,
                  "seconds": time_callable(built.train), "infer": time_callable(built.infer)}
    else:
        result = {"seconds": time_callable(built)}
    try:
        import resource
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:
        pass
    print(json.dumps(result))


def _run_child(script: str, framework: str, name: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, script, "--worker", framework, name],
                         capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} {name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(workloads: dict, script: str, extra_columns=()) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "WORKLOAD"))
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs per workload")
    parser.add_argument("--threads", type=int, default=None,
                        help="pin both frameworks to this many threads (default: their own "
                             "defaults)")
    parser.add_argument("--cold", action="store_true",
                        help="start every Ember process with an empty kernel cache, so the "
                             "first step includes compiling Ember's kernels")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by each process's CPU time, not the wall clock: steadier "
                             "for one-thread workloads on a loaded machine (and wrong for "
                             "multi-threaded ones, whose threads' times add up)")
    parser.add_argument("names", nargs="*", help="workloads to run (default: all)")
    args = parser.parse_args()
    if args.worker:
        worker(workloads, *args.worker)
        return
    env = dict(os.environ)
    if args.cpu_time:
        env["EMBER_BENCH_CLOCK"] = "cpu"
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS"):
            env[var] = str(args.threads)
    names = args.names or list(workloads)
    print(f"threads: {args.threads or 'default'}; clock: {'CPU' if args.cpu_time else 'wall'}; "
          f"load: {_load()}")
    headers = set()
    for name in names:  # each row as soon as it is measured: a full run takes minutes
        row = _measure(script, name, env, args)
        kind = "model" if "infer" in row else "op"
        if kind not in headers:
            headers.add(kind)
            print(_header(kind, args.cold, "peak_rss_mb" in extra_columns))
        if kind == "model":
            print(f"{name:44s} | {row['seconds']} | {row['infer']} | {row['first']} | "
                  f"{row['mb']}", flush=True)
        else:
            line = f"{name:44s} {row['seconds']}"
            print(line + (f" {row['mb']}" if "peak_rss_mb" in extra_columns else ""),
                  flush=True)
    print(f"load at the end: {_load()}")


def _header(kind: str, cold: bool, memory: bool) -> str:
    if kind == "op":
        header = f"{'workload':44s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}"
        return header + (f" {'ember MB':>9s} {'torch MB':>9s}" if memory else "")
    first = "first step (cold)" if cold else "first step"
    return (f"{'workload':44s} | {'train ember':>11s} {'torch':>10s} {'ratio':>6s} | "
            f"{'infer ember':>11s} {'torch':>10s} {'ratio':>6s} | {first + ' ember':>23s} "
            f"{'torch':>10s} | {'ember MB':>8s} {'torch MB':>8s}")


def _measure(script: str, name: str, env: dict, args) -> dict:
    """One workload's A/B pairs, summarized as formatted columns."""
    runs = {"ember": [], "torch": []}
    for _ in range(args.pairs):
        for framework in ("ember", "torch"):
            child_env = env
            if framework == "ember" and args.cold:
                child_env = dict(env, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="ember-cold-"))
            runs[framework].append(_run_child(script, framework, name, child_env))
    row = {"name": name}
    for key in ("seconds", "infer", "first"):
        if key not in runs["ember"][0]:
            continue
        e = [r[key] for r in runs["ember"]]
        t = [r[key] for r in runs["torch"]]
        ratio = statistics.median(a / b for a, b in zip(e, t))
        row[key] = (f"{_fmt(statistics.median(e)):>11s} {_fmt(statistics.median(t)):>10s} "
                    f"{ratio:6.2f}")
        if key == "first":
            row[key] = f"{_fmt(statistics.median(e)):>23s} {_fmt(statistics.median(t)):>10s}"
    mem = [max(r.get("peak_rss_mb", 0) for r in runs[f]) for f in ("ember", "torch")]
    row["mb"] = f"{mem[0]:8.0f} {mem[1]:8.0f}"
    if "infer" not in row:  # the one-column layout of per-op workloads
        row["seconds"] = row["seconds"].strip()
        row["mb"] = f"{mem[0]:9.0f} {mem[1]:9.0f}"
    return row


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e3:.2f} ms"
