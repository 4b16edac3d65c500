"""`ember.cpu`: the CPU as a device, with the same questions ``ember.cuda`` answers."""
from __future__ import annotations


def is_available() -> bool:
    """Always True: Ember always runs on the CPU."""
    return True


def device_count() -> int:
    """The number of CPU devices: 1."""
    return 1


def current_device() -> str:
    """The current CPU device's name: ``'cpu'``."""
    return "cpu"


def synchronize(device=None) -> None:
    """Wait for queued CPU work: none is ever queued, so this returns at once."""
