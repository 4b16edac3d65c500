"""`ember.backends.mkldnn`: oneDNN, which Ember doesn't use (its kernels are NumPy's)."""
enabled = True


def is_available() -> bool:
    return False
