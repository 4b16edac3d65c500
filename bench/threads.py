"""BLAS's threads beside the kernels' threads: a matrix product then a softmax, alternating,
against each alone, with the kernels' threads from each of Numba's threading layers.

`python bench/threads.py [--rounds 2]`. Each layer runs in a fresh process (Numba picks its
layer once per process), the layers alternate, and each figure is the fastest and the median
of 15 batches of calls, in microseconds: on a shared machine the fastest batch is the one
that ran undisturbed, the median what the load left. The product is the GPT workload's
(1024 tokens x 128 -> 512) on NumPy's OpenBLAS at its default threads, the softmax its
attention scores (16 x 4 heads x 64 x 64).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

LAYERS = ("omp", "workqueue")


def _timing(fn, batches: int = 15, seconds: float = 0.004) -> str:
    """'fastest/median' microseconds per call over ``batches`` batches of ~``seconds``."""
    fn()
    fn()
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - start > seconds:
            break
        number *= 2
    samples = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number * 1e6)
    samples.sort()
    return f"{samples[0]:.0f}/{samples[len(samples) // 2]:.0f}"


def worker() -> dict:
    """Timings in this process (its layer chosen by ``NUMBA_THREADING_LAYER``)."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import numba
    from ember.kernels.softmax import softmax_rows
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 128), np.float32)
    b = rng.standard_normal((128, 512), np.float32)
    x = rng.standard_normal((16 * 4 * 64, 64), np.float32)
    out = np.empty_like(x)
    tiny = x[:2]

    def gemm():
        np.matmul(a, b)

    def serial():
        softmax_rows.serial(x, out, False, False)

    def parallel():
        softmax_rows.parallel(x, out, False, False)

    parallel()  # the threads started: the product alone runs beside them idle
    return {"layer": numba.threading_layer(), "threads": numba.get_num_threads(),
            "product": _timing(gemm), "softmax 1 thread": _timing(serial),
            "softmax threaded": _timing(parallel),
            "threaded, 2 rows": _timing(lambda: softmax_rows.parallel(tiny, out[:2], False,
                                                                      False)),
            "product + softmax 1 thread": _timing(lambda: (gemm(), serial())),
            "product + softmax threaded": _timing(lambda: (gemm(), parallel()))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker()))
        return
    print(f"load: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; us per call, "
          "fastest/median batch")
    rows = []
    for _ in range(args.rounds):
        for layer in LAYERS:
            env = {**os.environ, "NUMBA_THREADING_LAYER": layer}
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker"],
                                 env=env, check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
    keys = [k for k in rows[0] if k not in ("layer", "threads")]
    print(f"{'layer (threads)':16s}" + "".join(f"{k:>28s}" for k in keys))
    for r in rows:
        print(f"{r['layer'] + ' (' + str(r['threads']) + ')':16s}" +
              "".join(f"{r[k]:>28s}" for k in keys), flush=True)
    print(f"load at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
