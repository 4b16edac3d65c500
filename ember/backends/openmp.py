"""`ember.backends.openmp`: Ember has no OpenMP kernels of its own."""


def is_available() -> bool:
    return False
