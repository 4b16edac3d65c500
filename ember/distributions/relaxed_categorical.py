"""PyTorch's path ``torch.distributions.relaxed_categorical``; defined in `relaxed`."""
from .relaxed import RelaxedOneHotCategorical

__all__ = ["RelaxedOneHotCategorical"]
