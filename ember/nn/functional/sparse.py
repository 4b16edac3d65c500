"""Lookup tables: `embedding`, `embedding_bag` (pooled bags of lookups) and `one_hot`."""
from __future__ import annotations

import numpy as np

from ... import _creation
from ...autograd.grad_mode import no_grad
from ...ops import TABLE
from ..._tensor import Tensor

__all__ = ["embedding", "embedding_bag", "one_hot"]

_embedding = TABLE["embedding"].fn
_where = TABLE["where"].fn


def _padding_index(padding_idx, num_embeddings: int) -> int:
    """``padding_idx`` as a row number (negative counts from the end); -1 for none."""
    if padding_idx is None:
        return -1
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx % num_embeddings


def _refuse_sparse(sparse: bool) -> None:
    if sparse:
        raise NotImplementedError("embedding: sparse gradients (sparse=True) are not "
                                  "supported; use sparse=False")


def _renorm_rows(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, the looked-up rows of ``weight`` whose norm exceeds ``max_norm``."""
    with no_grad():
        rows = input.reshape(-1).long().unique()
        picked = weight.index_select(0, rows)
        norms = picked.norm(norm_type, dim=1, keepdim=True)
        scale = _where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.index_copy_(0, rows, picked * scale)


def embedding(input, weight, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False):
    """The rows of ``weight`` at the indices ``input``: shape ``(*input.shape, dim)``.

    The row ``padding_idx`` gets no gradient; with ``max_norm``, looked-up rows longer than
    that are shrunk in place first.

    >>> F.embedding(ember.tensor([1, 0]), ember.tensor([[0., 1.], [2., 3.]]))
    tensor([[2., 3.],
            [0., 1.]])
    """
    _refuse_sparse(sparse)
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    return _embedding(weight, input, padding_idx, scale_grad_by_freq)


def _bags(input, offsets, per_sample_weights, include_last_offset):
    """Flat indices, each one's bag, the bag count, and flat per-sample weights."""
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(
            input.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({list(per_sample_weights.shape)}"
                         f") is not None, then it must have the same shape as the input "
                         f"({list(input.shape)})")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets).__name__}")
        n_bags, length = input.shape
        starts = np.arange(0, n_bags * length, max(length, 1))[:n_bags]
        end = n_bags * length
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = np.asarray(offsets.detach().cpu().numpy(), dtype=np.int64)
        end = input.shape[0]
        if include_last_offset:
            starts, end = starts[:-1], int(starts[-1]) if len(starts) else 0
        if len(starts) and starts[0] != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                               f"mini-batch has to start from position 0. However, got "
                               f"{int(starts[0])}")
        n_bags = len(starts)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    flat = input.reshape(-1)
    bag = np.searchsorted(starts, np.arange(flat.shape[0]), side="right") - 1
    weights = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
    return flat, bag, n_bags, end, weights


def embedding_bag(input, weight, offsets=None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx: int | None = None):
    """The sum, mean or max of the embeddings in each bag of indices.

    Bags are the rows of a 2-D ``input``, or runs of a 1-D ``input`` starting at
    ``offsets``. Entries equal to ``padding_idx`` are left out (and not counted in means);
    an empty bag gives zeros.

    >>> F.embedding_bag(ember.tensor([0, 1, 1]), ember.eye(2), ember.tensor([0, 2])).tolist()
    [[0.5, 0.5], [0.0, 1.0]]
    """
    out, _ = _pooled_bags(input, weight, offsets, max_norm, norm_type, scale_grad_by_freq,
                          mode, sparse, per_sample_weights, include_last_offset, padding_idx)
    return out


def _pooled_bags(input, weight, offsets, max_norm, norm_type, scale_grad_by_freq, mode, sparse,
                 per_sample_weights, include_last_offset, padding_idx):
    """`embedding_bag`'s output, and the flat indices that went into it with their bags."""
    _refuse_sparse(sparse)
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    flat, bag, n_bags, end, weights = _bags(input, offsets, per_sample_weights,
                                            include_last_offset)
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    if max_norm is not None:
        _renorm_rows(weight, flat, max_norm, norm_type)
    used = np.arange(flat.shape[0]) < end
    if padding_idx >= 0:
        used &= flat.detach().cpu().numpy() != padding_idx
    keep = _creation.tensor(np.flatnonzero(used), device=weight.device)
    bag_of = _creation.tensor(bag[used], device=weight.device)
    rows = _embedding(weight, flat.index_select(0, keep), -1, scale_grad_by_freq)
    if weights is not None:
        rows = rows * weights.index_select(0, keep).unsqueeze(1)
    out = _creation.zeros((n_bags, weight.shape[1]), dtype=weight.dtype, device=weight.device)
    if mode == "max":
        index = bag_of.unsqueeze(1).expand(-1, weight.shape[1])
        return out.scatter_reduce(0, index, rows, "amax", include_self=False), (flat, bag, used)
    out = out.index_add(0, bag_of, rows)
    if mode == "mean":
        counts = np.bincount(bag[used], minlength=n_bags).clip(min=1)
        out = out / _creation.tensor(counts[:, None], dtype=weight.dtype, device=weight.device)
    return out, (flat, bag, used)


def one_hot(tensor, num_classes: int = -1):
    """Indices as one-hot rows: shape ``(*tensor.shape, num_classes)``, dtype int64.

    >>> F.one_hot(ember.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel():
        if int(tensor.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = int(tensor.max()) + 1
        elif int(tensor.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes == -1:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    classes = _creation.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()


_MODES = ("sum", "mean", "max")


def embedding_bag_with_bookkeeping(weight, indices, offsets, scale_grad_by_freq: bool = False,
                                   mode: int = 0, sparse: bool = False,
                                   per_sample_weights=None, include_last_offset: bool = False,
                                   padding_idx: int | None = None):
    """ATen's ``torch.embedding_bag``: ``embedding_bag``'s output (``mode`` 0 sum, 1 mean,
    2 max), each index's bag, each bag's size and, for max, the argmax rows.

    As PyTorch does on CPU: the bag sizes are zero for sum (one per offset), the argmax rows
    repeat the bag sizes unless ``mode`` is max, and float32 sums without ``padding_idx``
    leave the bag of each index empty.
    """
    if mode not in (0, 1, 2):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    if indices.dim() != 1:
        raise RuntimeError(f"embedding_bag: input has to be a 1D Tensor, but got Tensor of "
                           f"dimension {indices.dim()}")
    out, (flat, bag, used) = _pooled_bags(
        indices, weight, offsets, None, 2.0, scale_grad_by_freq, _MODES[mode], sparse,
        per_sample_weights, include_last_offset, padding_idx)
    n_bags = out.shape[0]
    if mode:
        sizes = np.bincount(bag[used], minlength=n_bags)
    else:  # one per offset, even the closing one include_last_offset adds
        sizes = np.zeros(offsets.shape[0], np.int64)
    if mode == 2:
        argmax_rows = _argmax_rows(weight, flat, bag, used, out)
    else:
        argmax_rows = sizes.copy()
    fast_sum = mode == 0 and padding_idx is None and weight.dtype.name == "float32"
    offset2bag = np.zeros(0, np.int64) if fast_sum else bag.astype(np.int64)
    return (out,) + tuple(_creation.tensor(a, dtype=indices.dtype, device=weight.device)
                          for a in (offset2bag, sizes, argmax_rows))


def _argmax_rows(weight, flat, bag, used, out) -> np.ndarray:
    """For each bag and column, the first row of ``weight`` reaching the bag's maximum."""
    rows = flat.detach().cpu().numpy()[used]
    bag = bag[used]
    values = weight.detach().cpu().numpy()[rows]
    hits = values == out.detach().cpu().numpy()[bag]
    first = np.full(tuple(out.shape), rows.shape[0], dtype=np.int64)
    position = np.broadcast_to(np.arange(rows.shape[0])[:, None], hits.shape)
    np.minimum.at(first, (np.broadcast_to(bag[:, None], hits.shape)[hits],
                          np.nonzero(hits)[1]), position[hits])
    return np.append(rows, 0)[first]
