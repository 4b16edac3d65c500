"""PyTorch's path for these layers (``torch.nn.modules.fold``); they live in `vision`."""
from .vision import Fold, Unfold

__all__ = ["Fold", "Unfold"]
