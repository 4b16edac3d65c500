"""torchvision 0.28.0, the oracle of the ember.vision tests, imported for its Python code.

The wheel on the package index is the CUDA build, whose compiled ops (``_C.so``) cannot load
beside PyTorch's CPU build; its import then fails registering fake kernels for two ops it
never defined. Defining those two schemas first lets the pure-Python parts (models,
transforms, box ops, the Python ``_roi_align``) import and run; nms has no kernel, so its tests
use a plain greedy reference instead.
"""
import pytest
import torch

try:
    import torchvision
except RuntimeError:  # the compiled ops did not load: give the import the schemas it expects
    _LIB = torch.library.Library("torchvision", "DEF")
    _LIB.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _LIB.define("qnms(Tensor qdets, Tensor scores, float iou_threshold) -> Tensor")
    import sys
    for name in [m for m in sys.modules if m.startswith("torchvision")]:
        del sys.modules[name]
    import torchvision

__all__ = ["torchvision", "one_torch_thread"]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Run the oracle on one thread in the modules that import this fixture: on these shared
    2-core machines torch's pool spins against the other processes (100x slower models)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
