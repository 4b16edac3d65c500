"""Distributed training on MPI: all-reduce bandwidth, DDP training steps, overlap.

`python bench/ddp.py` starts the measurements with the launcher (1 and 2 ranks, one BLAS
thread per rank so that 2 ranks use the 2 cores) and prints three tables:

1. all-reduce of float32 buffers from 4 KB to 64 MB: ``ember.distributed.all_reduce``
   (blocking, and ``async_op=True`` + ``wait``) against raw mpi4py ``Allreduce`` /
   ``Iallreduce`` + ``Wait`` on the same buffers, alternating, fastest of 21 rounds;
2. the MLP and GPT training steps of bench/train.py on 1 rank (plain model) and on 2 ranks
   (DistributedDataParallel, the same per-rank batch: twice the samples per step);
3. from ``ember.profiler``, one DDP step of each: when each bucket's all-reduce started
   inside backward, how long backward then waited for them at its end, against the time
   the same all-reduces take when run after backward.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SIZES = [1 << 10, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24]  # float32 elements
ROUNDS = 7


def _timed(fn, calls: int) -> float:
    import ember.distributed as dist
    dist.barrier()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def allreduce_bandwidth() -> list:
    """Rows of (bytes, seconds for ember blocking / raw blocking / ember async / raw async)."""
    import numpy as np
    from mpi4py import MPI

    import ember
    import ember.distributed as dist
    comm, rows = MPI.COMM_WORLD, []
    for n in SIZES:
        array = np.random.default_rng(0).standard_normal(n).astype(np.float32)
        tensor = ember.from_numpy(array)  # the same memory for both
        calls = max(2, min(50, (1 << 20) // n))
        variants = {
            "ember": lambda: dist.all_reduce(tensor),
            "mpi4py": lambda: comm.Allreduce(MPI.IN_PLACE, array),
            "ember async": lambda: dist.all_reduce(tensor, async_op=True).wait(),
            "mpi4py async": lambda: comm.Iallreduce(MPI.IN_PLACE, array).Wait(),
        }
        times = {k: [] for k in variants}
        for _ in range(3 * ROUNDS):
            for name, fn in variants.items():
                array[...] = 1.0  # sums of ones stay finite however many rounds
                times[name].append(_timed(fn, calls))
        # The fastest round: on a shared machine, the others measure the neighbours' load.
        rows.append({"bytes": array.nbytes, **{k: min(v) for k, v in times.items()}})
    return rows


def training_steps(world: int) -> list:
    """Median seconds per step of the MLP and GPT workloads, and the overlap profile."""
    import ember
    import ember.distributed as dist
    from bench.train import gpt_setup, mlp_setup, training_step
    from ember.nn.parallel import DistributedDataParallel
    rows = []
    for name, setup, calls in (("MLP", mlp_setup, 20), ("GPT", gpt_setup, 4)):
        ember.manual_seed(dist.get_rank())
        model, optimizer, inputs, targets = setup(ember)
        if world > 1:
            model = DistributedDataParallel(model)
        step = training_step(ember, model, optimizer, inputs, targets).train
        for _ in range(3):
            step()
        seconds = statistics.median(_timed(step, calls) for _ in range(ROUNDS))
        row = {"model": name, "ranks": world, "step": seconds}
        if world > 1:
            row.update(overlap(model, optimizer, inputs, targets))
        rows.append(row)
    return rows


def overlap(model, optimizer, inputs, targets) -> dict:
    """Profile one DDP step: bucket starts and the final wait, inside backward."""
    import numpy as np

    import ember
    import ember.distributed as dist
    from ember.profiler import profile, record_function
    loss_fn = ember.nn.CrossEntropyLoss()
    samples = []
    for _ in range(ROUNDS):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        dist.barrier()
        with profile() as prof:
            with record_function("backward"):
                loss.backward()
        events = prof.events()
        backward = next(e for e in events if e.name == "backward").time_range
        starts = sorted(e.time_range.start for e in events
                        if e.name.startswith("DDP: all_reduce bucket"))
        wait = next(e for e in events if e.name == "DDP: wait for all_reduce").time_range
        samples.append({"backward_ms": backward.elapsed_us() / 1e3,
                        "starts_ms": [(s - backward.start) / 1e3 for s in starts],
                        "compute_end_ms": (wait.start - backward.start) / 1e3,
                        "wait_ms": wait.elapsed_us() / 1e3})
    buckets = [ember.from_numpy(np.ones_like(b.flat)) for b in model._reducer.buckets]

    def after_backward():
        for b in buckets:
            dist.all_reduce(b)
    alone = statistics.median(_timed(after_backward, 5) for _ in range(ROUNDS))
    median = sorted(samples, key=lambda s: s["wait_ms"])[len(samples) // 2]
    return {"buckets": len(buckets), "profile": median, "comm_alone_ms": alone * 1e3}


def measure(part: str) -> None:
    """Run under the launcher: rank 0 prints the results as one JSON line."""
    import ember.distributed as dist
    dist.init_process_group("gloo")
    result = allreduce_bandwidth() if part == "allreduce" else \
        training_steps(dist.get_world_size())
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)
    dist.destroy_process_group()


def _launch(ranks: int, part: str):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               NUMBA_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-m", "ember.distributed.run", "--nproc-per-node",
                          str(ranks), os.path.abspath(__file__), "--measure", part],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(out.stdout + out.stderr)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main() -> None:
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print("\nall-reduce, 2 ranks, float32 (bandwidth = bytes / time per call)\n")
    print("| size | ember | mpi4py Allreduce | ember / mpi4py | ember async | "
          "mpi4py Iallreduce | ember / mpi4py |")
    print("|---|---|---|---|---|---|---|")
    for r in _launch(2, "allreduce"):
        size = f"{r['bytes'] / 2 ** 20:g} MB" if r["bytes"] >= 2 ** 20 else \
            f"{r['bytes'] // 1024} KB"
        gbs = {k: r["bytes"] / r[k] / 1e9 for k in ("ember", "mpi4py", "ember async",
                                                    "mpi4py async")}
        print(f"| {size} | {gbs['ember']:.2f} GB/s | {gbs['mpi4py']:.2f} GB/s | "
              f"{gbs['ember'] / gbs['mpi4py']:.2f} | {gbs['ember async']:.2f} GB/s | "
              f"{gbs['mpi4py async']:.2f} GB/s | "
              f"{gbs['ember async'] / gbs['mpi4py async']:.2f} |")
    one = {r["model"]: r for r in _launch(1, "steps")}
    two = {r["model"]: r for r in _launch(2, "steps")}
    print("\ntraining step, one BLAS thread per rank, the same batch per rank\n")
    print("| model | 1 rank | 2 ranks (DDP) | samples/s 1 rank | samples/s 2 ranks | "
          "scaling |")
    print("|---|---|---|---|---|---|")
    batch = {"MLP": 128, "GPT": 16}
    for name in ("MLP", "GPT"):
        t1, t2 = one[name]["step"], two[name]["step"]
        print(f"| {name} | {t1 * 1e3:.2f} ms | {t2 * 1e3:.2f} ms | {batch[name] / t1:.0f} | "
              f"{2 * batch[name] / t2:.0f} | {2 * t1 / t2:.2f}x |")
    print("\noverlap of all-reduce and backward (ember.profiler, one DDP step on rank 0)\n")
    print("| model | buckets | backward | bucket all-reduces started at | backward compute "
          "done | wait at the end | the all-reduces alone | hidden |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("MLP", "GPT"):
        r, p = two[name], two[name]["profile"]
        starts = ", ".join(f"{s:.2f}" for s in p["starts_ms"])
        hidden = max(0.0, 1 - p["wait_ms"] / r["comm_alone_ms"])
        print(f"| {name} | {r['buckets']} | {p['backward_ms']:.2f} ms | {starts} ms | "
              f"{p['compute_end_ms']:.2f} ms | {p['wait_ms']:.2f} ms | "
              f"{r['comm_alone_ms']:.2f} ms | {hidden:.0%} |")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
    else:
        main()
