"""`ember.device`: where a tensor's memory lives ('cpu' or 'cuda:N')."""
from __future__ import annotations


class device:
    """A device such as ``ember.device('cpu')`` or ``ember.device('cuda', 0)``.

    >>> ember.device('cuda:1').index
    1
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):  # PyTorch reads a bare ordinal as a CUDA device
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string or an int, got {type!r}")
        kind, _, ordinal = type.partition(":")
        if ordinal:
            if index is not None:
                raise ValueError(f"device string {type!r} already names an index")
            if not ordinal.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(ordinal)
        if kind not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                f"Expected one of cpu, cuda, meta device type at start of device string: {type}")
        self.type, self.index = kind, index

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        args = repr(self.type) if self.index is None else f"{self.type!r}, index={self.index}"
        return f"device(type={args})"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def as_device(d) -> device:
    if d is None or d is CPU:
        return CPU
    return d if type(d) is device else device(d)
