"""`ember.backends.mps`: Apple's Metal backend, which Ember doesn't have."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
