"""Convolution benchmarks: inference of train.py's LeNet and ResNet, each convolution layer's
three products, and the error of the Winograd path.

    python bench/conv.py infer [workload ...]   # paired processes, Ember / PyTorch
    python bench/conv.py layers                 # ms per product, both in this process
    python bench/conv.py error                  # Winograd vs direct, against float64
    python bench/conv.py crossover              # Winograd vs direct by channel count

``layers`` times Ember with Winograd on and off (``ember.backends.winograd``) beside
PyTorch, each in its own process, as the best of several runs of CPU time (process time:
on a loaded machine, the work done rather than the wait for a core). Run it pinned to one
thread (``OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1``) to compare work.
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench import train  # noqa: E402
from bench._harness import main  # noqa: E402


WORKLOADS = {
    # train.py's inference steps: eval mode, under no_grad
    "LeNet-5 inference, batch 64": lambda T: train.lenet(T).infer,
    "ResNet 32ch inference, batch 32": lambda T: train.resnet(T).infer,
}

# (batch, in channels, out channels, size, kernel, stride, padding): train.py's layers
LAYERS = [
    (64, 1, 6, 28, 5, 1, 2), (64, 6, 16, 14, 5, 1, 0),
    (32, 3, 32, 32, 3, 1, 1), (32, 32, 32, 32, 3, 1, 1), (32, 32, 64, 32, 3, 2, 1),
    (32, 32, 64, 32, 1, 2, 0), (32, 64, 64, 16, 3, 1, 1), (32, 64, 128, 16, 3, 2, 1),
    (32, 128, 128, 8, 3, 1, 1),
]


def _best(fn, repeats=7):
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times) * 1e3


def _products(T, x, w, stride, padding):
    """Callables for the forward, the input gradient and the weight gradient (each backward
    through a graph that needs only that gradient)."""
    conv = T.nn.functional.conv2d

    def gradient(needs_x):
        xg, wg = x.detach().requires_grad_(needs_x), w.detach().requires_grad_(not needs_x)
        y = conv(xg, wg, stride=stride, padding=padding)
        g = T.ones_like(y)
        return lambda: T.autograd.grad(y, xg if needs_x else wg, g, retain_graph=True)
    return (lambda: conv(x, w, stride=stride, padding=padding), gradient(True),
            gradient(False))


def _layer_times(framework):
    """Run in a child process (PyTorch's idle threads would slow Ember's in the same one):
    {layer: [ms per product]} for "torch", "direct" or "winograd"."""
    import numpy as np
    if framework == "torch":
        import torch as T
    else:
        import ember as T
        T.backends.winograd.enabled = framework == "winograd"
        T.backends.winograd.min_channels = 1
    rng = np.random.default_rng(0)
    times = {}
    for n, c, o, hw, k, s, p in LAYERS:
        x = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
        w = rng.standard_normal((o, c, k, k), dtype=np.float32)
        products = _products(T, T.from_numpy(x), T.from_numpy(w), s, p)
        times[str((n, c, o, hw, k, s, p))] = [_best(f) for f in products]
    return times


def layers():
    import json
    import subprocess
    columns = ("direct", "winograd", "torch")
    times = {}
    for framework in columns:
        out = subprocess.run([sys.executable, __file__, "--layer-times", framework],
                             capture_output=True, text=True, check=True)
        times[framework] = json.loads(out.stdout)
    print(f"{'layer (N, C, O, HW, k, s, p)':34s} {'product':8s} {'direct':>8s} "
          f"{'winograd':>9s} {'torch':>8s}  (ms)")
    for layer in times["torch"]:
        for i, product in enumerate(("forward", "grad x", "grad w")):
            row = " ".join(f"{times[f][layer][i]:8.2f}" for f in columns)
            print(f"{layer:34s} {product:8s} {row}")


def crossover():
    """CPU ms of a 3x3 C -> C convolution's three products (batch 32, 32x32) on each path:
    where Winograd starts to pay (``ember.backends.winograd.min_channels``)."""
    import numpy as np
    import ember
    ember.backends.winograd.min_channels = 1
    rng = np.random.default_rng(0)
    print(f"{'channels':>8s} {'direct':>8s} {'winograd':>9s}  (ms, forward + both gradients)")
    for c in (4, 8, 12, 16, 24, 32, 64):
        x = ember.from_numpy(rng.standard_normal((32, c, 32, 32), dtype=np.float32))
        w = ember.from_numpy(rng.standard_normal((c, c, 3, 3), dtype=np.float32))
        row = []
        for enabled in (False, True):
            ember.backends.winograd.enabled = enabled
            row.append(sum(_best(f, 5) for f in _products(ember, x, w, 1, 1)))
        print(f"{c:8d} {row[0]:8.2f} {row[1]:9.2f}", flush=True)


def error():
    """Largest |error| / max |exact output| of the float32 direct and Winograd products."""
    import numpy as np
    import ember
    from ember.ops import TABLE
    conv, weight = TABLE["conv"].fn, TABLE["conv_weight"].fn
    rng = np.random.default_rng(0)
    print(f"{'(N, C, O, HW)':22s} {'product':8s} {'direct':>9s} {'winograd':>9s}")
    ember.backends.winograd.min_channels = 1
    for n, c, o, hw in ((8, 3, 16, 31), (8, 16, 16, 32), (4, 64, 64, 16), (4, 256, 256, 8),
                        (2, 512, 512, 7)):
        x = rng.standard_normal((n, c, hw, hw))
        w = rng.standard_normal((o, c, 3, 3))
        g = rng.standard_normal((n, o, hw, hw))
        geometry = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
        for product, run in (("forward", lambda a, b: conv(a, b, *geometry)),
                             ("grad w", lambda a, b: weight(a, b, (o, c, 3, 3), *geometry))):
            b64 = w if product == "forward" else g
            exact = run(ember.from_numpy(x), ember.from_numpy(b64)).numpy()
            errors = []
            for wino in (False, True):
                ember.backends.winograd.enabled = wino
                got = run(ember.from_numpy(x.astype(np.float32)),
                          ember.from_numpy(b64.astype(np.float32))).numpy()
                errors.append(np.abs(got - exact).max() / np.abs(exact).max())
            print(f"{str((n, c, o, hw)):22s} {product:8s} {errors[0]:9.1e} {errors[1]:9.1e}")
    ember.backends.winograd.enabled = True


if __name__ == "__main__":
    if sys.argv[1:2] == ["--layer-times"]:
        import json
        print(json.dumps(_layer_times(sys.argv[2])))
    elif sys.argv[1:2] == ["layers"]:
        layers()
    elif sys.argv[1:2] == ["error"]:
        error()
    elif sys.argv[1:2] == ["crossover"]:
        crossover()
    else:
        if sys.argv[1:2] == ["infer"]:
            del sys.argv[1]
        main(WORKLOADS, os.path.abspath(__file__), extra_columns=("peak_rss_mb",))
