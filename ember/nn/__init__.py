"""Neural-network building blocks (`ember.nn`): modules, parameters, initialization.

>>> model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU(), ember.nn.Linear(8, 2))
"""
from .parameter import Parameter, Buffer, UninitializedParameter, UninitializedBuffer
from .modules import *  # noqa: F401,F403  every layer family in ember/nn/modules
from . import functional, init, utils
from . import parallel
from .parallel import DataParallel
from .modules.utils import factory_kwargs

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "functional",
           "init", "utils", "parallel", "DataParallel"] + modules.__all__  # noqa: F405
