"""Utilities around the core: data loading (`ember.utils.data`), safetensors files."""
from . import data  # noqa: F401  ember.utils.data, as torch.utils.data is reachable after import
from . import checkpoint  # noqa: F401,E402  ember.utils.checkpoint
from ._model_summary import summary  # noqa: E402,F401  ember.utils.summary, torchinfo's table
