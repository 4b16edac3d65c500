"""BLAS's thread pool beside the kernels' thread pool: a product, then a threaded kernel,
alternating, against each alone, under each way of running the two pools.

Every configuration runs in a fresh process, since the choices are made when the libraries
load: Numba's threading layer (``NUMBA_THREADING_LAYER``), how long libgomp's idle threads spin
(``OMP_WAIT_POLICY``), how long OpenBLAS's idle threads spin (``OPENBLAS_THREAD_TIMEOUT``).

    python bench/threads.py            # all configurations
    python bench/threads.py --worker   # one, in this process's environment
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

CONFIGS = {
    "numba omp (default), openblas default": {},
    "numba omp, OMP_WAIT_POLICY=passive": {"OMP_WAIT_POLICY": "passive"},
    "numba workqueue": {"NUMBA_THREADING_LAYER": "workqueue"},
    "numba workqueue, OPENBLAS_THREAD_TIMEOUT=4": {"NUMBA_THREADING_LAYER": "workqueue",
                                                   "OPENBLAS_THREAD_TIMEOUT": "4"},
    "numba omp, OPENBLAS_THREAD_TIMEOUT=4": {"OPENBLAS_THREAD_TIMEOUT": "4"},
}


def _best(fn, seconds=0.3):
    """Median per-call time over batches of calls filling ``seconds``."""
    fn()
    fn()
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start > seconds / 5:
            break
        n *= 2
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n)
    return sorted(samples)[2]


def worker() -> dict:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from ember.kernels import softmax as sm
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 128), np.float32)    # GPT: B16 x T64 tokens, C128
    b = rng.standard_normal((128, 512), np.float32)     # the MLP's 4C widening
    x = rng.standard_normal((16 * 4 * 64, 64), np.float32)  # attention scores
    out = np.empty_like(x)
    kernel = sm.softmax_rows

    def gemm():
        np.matmul(a, b)

    def parallel():
        kernel.parallel(x, out, False, False)

    def serial():
        kernel.serial(x, out, False, False)

    import numba
    result = {"layer": None}
    times = {"gemm": _best(gemm), "serial": _best(serial), "parallel": _best(parallel)}
    result["layer"] = numba.threading_layer()
    times["gemm+serial"] = _best(lambda: (gemm(), serial()))
    times["gemm+parallel"] = _best(lambda: (gemm(), parallel()))
    result.update({k: round(v * 1e6, 1) for k, v in times.items()})
    return result


def main() -> None:
    if "--worker" in sys.argv:
        print(json.dumps(worker()))
        return
    print(f"load: {os.getloadavg()}")
    print(f"{'configuration':45s} {'layer':>9s} {'gemm':>7s} {'serial':>7s} {'par':>7s} "
          f"{'g+ser':>7s} {'g+par':>7s}  (us)")
    for name, extra in CONFIGS.items():
        env = {**os.environ, **extra}
        out = subprocess.run([sys.executable, __file__, "--worker"], env=env, check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{name:45s} {r['layer']:>9s} {r['gemm']:7.0f} {r['serial']:7.0f} "
              f"{r['parallel']:7.0f} {r['gemm+serial']:7.0f} {r['gemm+parallel']:7.0f}",
              flush=True)
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
