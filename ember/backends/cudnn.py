"""`ember.backends.cudnn`: cuDNN's flags, recorded only (Ember has no cuDNN)."""
enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """Whether cuDNN can be used: never in Ember."""
    return False


def version() -> None:
    """cuDNN's version: None, as PyTorch answers without cuDNN."""
    return None
