"""The backends of `ember.compile`: what turns an optimized graph into a runnable function.

``"ember"`` (the default) fuses elementwise chains into compiled CPU loops and replays the
rest as generated straight-line code; ``"replay"`` (alias ``"aot_eager"``) only replays;
``"eager"`` runs the original program. Each device kind has its builder in `BUILDERS`: the
CPU one is here; a CUDA builder takes the same graph and binds CuPy kernels (the replayer
already runs every op's forward on CuPy arrays: only the fused kernels are CPU-specific).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..jit import replay


def build_cpu(graph, inputs, outputs, fuse: bool, dims: bool = False) -> Callable:
    kernels = {}
    if fuse:
        from ..jit.fusion import fuse_elementwise
        kernels = fuse_elementwise(graph, outputs)
    return replay.build(graph, inputs, outputs, np, kernels, dims)


def build_cuda(graph, inputs, outputs, fuse: bool, dims: bool = False) -> Callable:
    # The seam for CuPy: fused nodes would become cupy.ElementwiseKernel's here.
    from .. import backend
    return replay.build(graph, inputs, outputs, backend.for_device("cuda").xp, dims=dims)


BUILDERS = {"cpu": build_cpu, "cuda": build_cuda}


def _device_kind(graph) -> str:
    for v in list(graph.inputs) + list(graph.params):
        if v.device and str(v.device).startswith("cuda"):
            return "cuda"
    return "cpu"


def lookup(name) -> Callable | None:
    """The builder ``fn(graph, inputs, outputs, dims=False) -> run`` for backend ``name``
    (None: eager); ``dims``: the graph is shape-polymorphic (`ember.jit.symbolic`)."""
    if name == "eager":
        return None
    if name in ("ember", "inductor"):
        fuse = True
    elif name in ("replay", "aot_eager"):
        fuse = False
    else:
        raise RuntimeError(f"ember.compile: unknown backend {name!r}; expected 'ember', "
                           "'replay' (or 'aot_eager') or 'eager'")

    def build(graph, inputs, outputs, dims: bool = False):
        return BUILDERS[_device_kind(graph)](graph, inputs, outputs, fuse, dims)
    return build
