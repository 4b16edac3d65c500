"""Variable-length sequences for the recurrent layers: packing, padding and back.

A `PackedSequence` stores a batch of sequences time step by time step: ``data`` holds the
rows of step 0 for every sequence, then the rows of step 1 for the sequences still running,
and so on; ``batch_sizes[t]`` says how many sequences step ``t`` has. The sequences are kept
sorted by decreasing length; ``sorted_indices`` maps that order back to the caller's batch.

>>> seqs = [ember.ones(3, 2), ember.ones(1, 2)]
>>> pack_sequence(seqs).batch_sizes
tensor([2, 1, 1])
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import _creation
from ... import _dtype as dt
from ..._tensor import Tensor
from ...ops import TABLE

_cat = TABLE["cat"].fn

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    order = np.asarray(permutation._host())
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return _creation.tensor(inverse, device=permutation.device)


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """A batch of variable-length sequences packed step by step (see the module docstring).

    Build one with `pack_padded_sequence` or `pack_sequence`, not by hand.
    """

    def __new__(cls, data: Tensor, batch_sizes: Tensor, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        """The same packing with ``data`` converted by `Tensor.to` (indices follow the device)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(device=data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def cpu(self) -> "PackedSequence":
        return self.to("cpu")

    def cuda(self, device=None) -> "PackedSequence":
        return self.to("cuda" if device is None else device)

    def double(self) -> "PackedSequence":
        return self.to(dtype=dt.float64)

    def float(self) -> "PackedSequence":
        return self.to(dtype=dt.float32)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError(f"pack_padded_sequence(): expected `lengths` to be a 1-D "
                               f"tensor, got shape {list(lengths.shape)}")
        return np.asarray(lengths._host(), dtype=np.int64)
    return np.asarray(list(lengths), dtype=np.int64)


def _packed_rows(lengths_sorted: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """(batch_sizes, for each packed row its index into a time-major (T*batch) layout)."""
    steps = np.arange(int(lengths_sorted[0]))
    batch_sizes = (lengths_sorted[None, :] > steps[:, None]).sum(1)
    rows = np.concatenate([t * batch + np.arange(b) for t, b in zip(steps, batch_sizes)])
    return batch_sizes.astype(np.int64), rows


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` if batch_first) of sequences with the
    given lengths; with ``enforce_sorted`` the lengths must already be decreasing.

    >>> pack_padded_sequence(ember.zeros(3, 2, 1), [3, 1]).batch_sizes
    tensor([2, 1, 1])
    """
    lengths = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    if lengths.size != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.size} (batch_size={input.shape[batch_dim]})")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _creation.tensor(order, device=input.device)
        input = input.index_select(batch_dim, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    if lengths[0] > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence(): a length of {lengths[0]} exceeds the "
                           f"{input.shape[0]} time steps of the input")
    batch_sizes, rows = _packed_rows(lengths, input.shape[1])
    flat = input.reshape((-1,) + tuple(input.shape[2:]))
    data = flat.index_select(0, _creation.tensor(rows, device=input.device))
    return PackedSequence(data, _creation.tensor(batch_sizes), sorted_indices)


def _gather_padded(data: Tensor, rows: np.ndarray, shape: tuple, padding_value) -> Tensor:
    """``data`` rows placed into a padded tensor of ``shape``: position ``i`` of the flattened
    leading dims takes row ``rows[i]``, or ``padding_value`` where ``rows[i]`` is -1."""
    feature = tuple(data.shape[1:])
    pad = data.new_full((1,) + feature, padding_value)
    source = _cat((data, pad), 0)
    index = np.where(rows < 0, data.shape[0], rows)
    return source.index_select(0, _creation.tensor(index, device=data.device)).reshape(
        tuple(shape) + feature)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: returns the padded batch and the lengths (in the caller's
    batch order).

    >>> padded, lengths = pad_packed_sequence(pack_sequence([ember.ones(2), ember.ones(1)]))
    >>> padded.shape, lengths
    (ember.Size([2, 2]), tensor([2, 1]))
    """
    data, batch_sizes = sequence.data, np.asarray(sequence.batch_sizes._host(), np.int64)
    steps, batch = batch_sizes.size, int(batch_sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                f"Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}")
        steps = total_length
    # rows[t, s]: the packed row of step t of the s-th sequence in sorted order, or -1
    rows = np.full((steps, batch), -1, np.int64)
    offset = 0
    for t, b in enumerate(batch_sizes):
        rows[t, :b] = np.arange(offset, offset + b)
        offset += b
    lengths = (rows >= 0).sum(0)
    if sequence.unsorted_indices is not None:
        unsorted = np.asarray(sequence.unsorted_indices._host())
        rows, lengths = rows[:, unsorted], lengths[unsorted]
    if batch_first:
        rows = rows.T
    padded = _gather_padded(data, rows.reshape(-1), rows.shape, padding_value)
    return padded, _creation.tensor(lengths.astype(np.int64))


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` if
    batch_first), filling the missing steps with ``padding_value`` on ``padding_side``.

    >>> pad_sequence([ember.ones(3), ember.ones(1)], batch_first=True)
    tensor([[1., 1., 1.],
            [1., 0., 0.]])
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence(): received an empty list of sequences")
    lengths = np.array([s.shape[0] if s.dim() else 1 for s in sequences], np.int64)
    steps = int(lengths.max())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(steps)[:, None]
    if padding_side == "left":
        t = t - (steps - lengths)[None, :]
    rows = np.where((t >= 0) & (t < lengths[None, :]), starts[None, :] + t, -1)
    if batch_first:
        rows = rows.T
    data = _cat([s.reshape((1,)) if s.dim() == 0 else s for s in sequences], 0)
    return _gather_padded(data, rows.reshape(-1), rows.shape, padding_value)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes ``(L_i, *)``.

    >>> pack_sequence([ember.ones(2, 4), ember.ones(1, 4)]).data.shape
    ember.Size([3, 4])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Split a padded batch back into its sequences (the inverse of `pad_sequence`)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences.unbind(0),
                                           _lengths_array(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The sequences of a `PackedSequence`, as a list (the inverse of `pack_sequence`)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
