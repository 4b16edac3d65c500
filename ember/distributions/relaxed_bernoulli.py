"""PyTorch's path ``torch.distributions.relaxed_bernoulli``; defined in `relaxed`."""
from .relaxed import RelaxedBernoulli

__all__ = ["RelaxedBernoulli"]
