"""Writing TensorBoard logs: `SummaryWriter`, as ``torch.utils.tensorboard`` offers it.

Events are written with the ``tensorboard`` package's own protobufs and record writer; the
package is an optional extra (``pip install 'ember[tensorboard]'``).
"""
try:
    import tensorboard  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "ember.utils.tensorboard needs the tensorboard package: "
        "pip install 'ember[tensorboard]' (or pip install tensorboard)") from e

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
