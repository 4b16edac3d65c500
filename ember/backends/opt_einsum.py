"""`ember.backends.opt_einsum`: Ember's einsum orders contractions with NumPy's own path
optimizer (``np.einsum(optimize=True)``), whatever ``enabled`` says."""
enabled = True
strategy = "auto"


def is_available() -> bool:
    """Whether the ``opt_einsum`` package is used: never, NumPy's optimizer is."""
    return False
