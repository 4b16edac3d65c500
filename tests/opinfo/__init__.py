"""The op database the table-driven tests run over: one `OpInfo` per entry of ember's op table.

Each family of ops has its own module here (``pointwise.py``, ``reduce.py``...), listing
an OpInfo for every op of that family. `tests/test_ops.py` fails for any op in
``ember.ops.TABLE`` without an OpInfo, so an op cannot be added untested.

A sample's tensor arguments are NumPy arrays; the harness turns each into an ember tensor
and a torch tensor with the same values (requiring grad where the op is differentiable),
also in a non-contiguous layout, and compares results and gradients.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np


@dataclasses.dataclass
class Sample:
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    # Indices of array args that should not get gradients (e.g. index tensors are ints
    # anyway; this is for float args the op treats as constants).
    no_grad: tuple = ()


@dataclasses.dataclass
class OpInfo:
    name: str                                   # the op table entry this covers
    samples: Callable[[np.random.Generator, np.dtype], list]
    ember_fn: Callable | None = None            # default: ember.<name>
    torch_fn: Callable | None = None            # default: torch.<name>
    dtypes: tuple = (np.float32, np.float64)
    grad: bool = True                           # compare gradients with torch
    gradcheck: bool = True                      # float64 finite-difference check
    gradgradcheck: bool = False                 # second derivatives too
    atol: float | None = None                   # tolerances beyond the dtype default
    rtol: float | None = None
    noncontiguous: bool = True                  # also try non-contiguous inputs
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def ember_call(self):
        import ember
        return self.ember_fn or getattr(ember, self.name)

    def torch_call(self):
        import torch
        return self.torch_fn or getattr(torch, self.name)


def all_opinfos() -> list[OpInfo]:
    from . import families
    return families.collect()
