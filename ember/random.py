"""Random-number generators and the global seed (`ember.manual_seed`, `ember.Generator`).

Each device has a default `Generator`; sampling functions (`ember.rand`, `Tensor.normal_`...,
in `ember._sampling`) draw from it unless given ``generator=``. A CPU generator is NumPy's
Philox stream: counter-based, so a seed gives the same bits on every machine, and its whole
state fits in a small uint8 tensor (`get_state`).
"""
from __future__ import annotations

import contextlib
import os

import numpy as np

from . import backend
from ._device import CPU, as_device

# PyTorch's default seed, so `initial_seed()` reads the same before anyone seeds.
DEFAULT_SEED = 67280421310721
_STATE_WORDS = 14  # seed, counter (4), key (2), buffer (4), buffer_pos, has_uint32, uinteger


class Generator:
    """An independent random stream on a device.

    >>> g = ember.Generator().manual_seed(0)
    >>> ember.rand(2, generator=g).shape
    ember.Size([2])
    """

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream from ``seed`` (any int; negative ones wrap like PyTorch's)."""
        seed = int(seed)
        if not -2 ** 63 <= seed < 2 ** 64:
            raise RuntimeError(f"Overflow when unpacking long: seed {seed} does not fit in 64 "
                               "bits")
        self._seed = seed % 2 ** 64
        self._rng = None
        return self

    @property
    def rng(self):
        """The backend's stream, started at the first draw (``numpy.random`` loads then, not
        at ``import ember``)."""
        if self._rng is None:
            self._rng = backend.for_device(self.device).generator(self._seed)
        return self._rng

    def seed(self) -> int:
        """Reseed from the operating system's entropy and return the new seed."""
        s = int.from_bytes(os.urandom(8), "little") >> 1
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The full stream state as a uint8 tensor (restore it with `set_state`)."""
        from ._tensor import wrap
        bits = self._bit_generator().state
        s = bits["state"]
        parts = [[self._seed], s["counter"], s["key"], bits["buffer"],
                 [bits["buffer_pos"], bits["has_uint32"], bits["uinteger"]]]
        words = np.concatenate([np.asarray(p, dtype=np.uint64) for p in parts])
        return wrap(words.view(np.uint8))

    def set_state(self, new_state) -> "Generator":
        data = np.ascontiguousarray(new_state._host()) if hasattr(new_state, "_host") else None
        if data is None or data.dtype != np.uint8 or data.size != _STATE_WORDS * 8:
            raise RuntimeError(f"Expected a ByteTensor of {_STATE_WORDS * 8} elements as the "
                               f"generator state, got {_describe(new_state)}")
        w = data.reshape(-1).view(np.uint64)
        self._seed = int(w[0])
        self._bit_generator().state = {
            "bit_generator": "Philox", "state": {"counter": w[1:5].copy(), "key": w[5:7].copy()},
            "buffer": w[7:11].copy(), "buffer_pos": int(w[11]), "has_uint32": int(w[12]),
            "uinteger": int(w[13])}
        return self

    def _bit_generator(self):
        if self.device.type != "cpu":
            raise NotImplementedError(f"generator state of a {self.device} generator is not "
                                      "supported; only CPU generators can be saved")
        return self.rng.bit_generator

    def __repr__(self) -> str:
        return f"<ember.Generator object on {self.device}>"


def _describe(x) -> str:
    if hasattr(x, "dtype") and hasattr(x, "shape"):
        return f"a tensor of dtype {x.dtype} and shape {list(x.shape)}"
    return type(x).__name__


default_generator = Generator()
_device_generators = {CPU: default_generator}


def generator_for(device, generator: Generator | None = None) -> Generator:
    """``generator`` if given (checked to live on ``device``), else that device's default."""
    device = as_device(device)
    if generator is not None:
        if generator.device.type != device.type:
            raise RuntimeError(f"Expected a '{device.type}' device type for generator but "
                               f"found '{generator.device.type}'")
        return generator
    found = _device_generators.get(device)
    if found is None:
        found = _device_generators[device] = Generator(device)
        found.manual_seed(default_generator.initial_seed())
    return found


def manual_seed(seed: int) -> Generator:
    """Seed every device's default generator; the same seed replays the same numbers.

    >>> _ = ember.manual_seed(0); a = ember.rand(3)
    >>> _ = ember.manual_seed(0); bool((a == ember.rand(3)).all())
    True
    """
    for g in _device_generators.values():
        g.manual_seed(seed)
    return default_generator


def seed() -> int:
    """Seed every default generator from the operating system's entropy; return the seed."""
    s = default_generator.seed()
    manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed the default CPU generator last started from."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default CPU generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore a state returned by `get_rng_state`."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=(), enabled: bool = True, **_):
    """Run a block whose random draws leave the global CPU stream untouched afterwards.

    >>> with ember.random.fork_rng():
    ...     ember.manual_seed(1); noise = ember.randn(3)
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
