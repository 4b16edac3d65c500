"""Every public name is where PyTorch keeps it: programs import layers from their files
(``torch.nn.modules.batchnorm.BatchNorm2d``) and pickles name them there. The lists come
from the installed PyTorch; `GAPS` names what Ember deliberately lacks, and why."""
import importlib
import inspect
import pickle
import pkgutil

import pytest
import torch

import ember

# PyTorch paths Ember lacks on purpose (a module listed means all of it).
GAPS = {
    # linear_cross_entropy and its module are issue 11's, built on another branch
    "torch.nn.modules.linear_cross_entropy", "torch.nn.modules.linear_cross_entropy_options",
    "torch.nn.modules.LinearCrossEntropyLoss", "torch.nn.modules.LinearCrossEntropyOptions",
    "torch.nn.modules.loss.LinearCrossEntropyLoss", "torch.nn.functional.linear_cross_entropy",
    # process-wide hooks on every module's call and registration: not built (they would put
    # a global lookup on every Module.__call__)
    "torch.nn.modules.module.register_module_forward_pre_hook",
    "torch.nn.modules.module.register_module_forward_hook",
    "torch.nn.modules.module.register_module_full_backward_pre_hook",
    "torch.nn.modules.module.register_module_backward_hook",
    "torch.nn.modules.module.register_module_full_backward_hook",
    "torch.nn.modules.module.register_module_buffer_registration_hook",
    "torch.nn.modules.module.register_module_module_registration_hook",
    "torch.nn.modules.module.register_module_parameter_registration_hook",
    # pruning (torch.nn.utils.prune) is not built
    "torch.nn.utils.prune",
    # Ember's spectral_norm keeps its state without PyTorch's two hook objects
    "torch.nn.utils.spectral_norm.SpectralNormLoadStateDictPreHook",
    "torch.nn.utils.spectral_norm.SpectralNormStateDictHook",
    # multi-GPU scatter/gather and DistributedDataParallel: ember.distributed's, not on CPU nn
    "torch.nn.parallel.comm", "torch.nn.parallel.distributed", "torch.nn.parallel.parallel_apply",
    "torch.nn.parallel.replicate", "torch.nn.parallel.scatter_gather",
    "torch.nn.parallel.replicate", "torch.nn.parallel.scatter", "torch.nn.parallel.gather",
    "torch.nn.parallel.parallel_apply",
    # float8 / grouped GPU matrix products
    "torch.nn.functional.ScalingType", "torch.nn.functional.SwizzleType",
    "torch.nn.functional.grouped_mm", "torch.nn.functional.scaled_mm",
    "torch.nn.functional.scaled_grouped_mm",
}


def _public(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_")
                 and (inspect.isclass(v) or inspect.isfunction(v))
                 and getattr(v, "__module__", "") == module.__name__]
    return list(names)


def _files(package: str) -> list[str]:
    found = importlib.import_module(package)
    return [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules(found.__path__)
                        if not m.name.startswith("_")]


def _ember(path: str) -> str:
    return "ember" + path[len("torch"):]


def _torch_module(path: str):
    try:
        return importlib.import_module(path)
    except ImportError:  # a file of an optional PyTorch feature that needs extra packages
        return None


NN_PATHS = sorted({*_files("torch.nn.modules"), *_files("torch.nn.utils"),
                   *_files("torch.nn.parallel"), "torch.nn", "torch.nn.functional",
                   "torch.nn.init", "torch.nn.parameter", "torch.nn.common_types"})


@pytest.mark.parametrize("path", NN_PATHS)
def test_every_nn_name_is_at_pytorchs_path(path):
    torch_module = _torch_module(path)
    if torch_module is None or path in GAPS:
        return
    ember_module = importlib.import_module(_ember(path))
    missing = [f"{path}.{name}" for name in _public(torch_module)
               if f"{path}.{name}" not in GAPS and not hasattr(ember_module, name)]
    assert not missing, f"missing at PyTorch's path: {missing}"


OTHER_PATHS = sorted({p for package in ("torch.optim", "torch.utils.data", "torch.distributions",
                                        "torch.autograd", "torch.amp", "torch.utils")
                      for p in _files(package)})


@pytest.mark.parametrize("path", OTHER_PATHS)
def test_what_ember_has_is_also_at_pytorchs_file_path(path):
    """Outside ``nn``, what Ember implements (found at the package level) must also be
    importable from the file PyTorch defines it in."""
    torch_module = _torch_module(path)
    if torch_module is None:
        return
    package = importlib.import_module(_ember(path.rsplit(".", 1)[0]))
    names = [n for n in _public(torch_module) if n in getattr(
        importlib.import_module(path.rsplit(".", 1)[0]), "__all__", ()) and hasattr(package, n)]
    if not names:
        return
    ember_module = importlib.import_module(_ember(path))
    missing = [f"{path}.{n}" for n in names if not hasattr(ember_module, n)]
    assert not missing, f"missing at PyTorch's path: {missing}"


def _ember_classes(module) -> list[type]:
    return [v for v in vars(module).values() if inspect.isclass(v)
            and v.__module__.startswith("ember.")]


@pytest.mark.parametrize("cls", _ember_classes(ember.nn), ids=lambda c: c.__name__)
def test_classes_pickle_under_a_path_that_resolves_to_them(cls):
    assert pickle.loads(pickle.dumps(cls)) is cls
    module = importlib.import_module(cls.__module__)
    assert getattr(module, cls.__qualname__) is cls


def test_torch_file_paths_and_ember_paths_name_the_same_class():
    """A PyTorch pickle naming ``torch.nn.modules.<file>.<Class>`` finds Ember's class of the
    same name at the translated path (what whole-model loading relies on)."""
    checked = 0
    for path in _files("torch.nn.modules"):
        if path in GAPS or _torch_module(path) is None:
            continue
        ember_module = importlib.import_module(_ember(path))
        for name in _public(importlib.import_module(path)):
            if f"{path}.{name}" in GAPS or not inspect.isclass(getattr(torch.nn, name, None)):
                continue
            assert getattr(ember_module, name) is getattr(ember.nn, name), f"{path}.{name}"
            checked += 1
    assert checked > 150
