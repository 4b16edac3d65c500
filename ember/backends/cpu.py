"""`ember.backends.cpu`: the CPU's vector instructions, as far as Ember can tell."""


def get_cpu_capability() -> str:
    """The SIMD level PyTorch would report; Ember's kernels are NumPy's, which pick their
    own at run time, so it answers "DEFAULT"."""
    return "DEFAULT"
