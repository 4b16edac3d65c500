"""`ember.backends.winograd`: when 3x3 convolutions take Winograd's F(2x2, 3x3) path.

Ember computes a 3x3, stride-1, undilated, ungrouped 2-d convolution (and both its
gradients) with 2.25x fewer multiplies than the direct product when both its channel counts
reach ``min_channels``, when ``enabled``. Its float32 results differ from the direct
product's by rounding only (bound in ``ember/ops/_winograd.py``). Off by default: since the
direct product became one GEMM per sample written straight into the output, it measured
faster at every layer of bench/train.py's ResNet on a 2-core CPU (BENCHMARKS.md), as the
transforms' passes over memory cost more than the multiplies they save.

>>> ember.backends.winograd.enabled = True    # Winograd where both channel counts are large
>>> ember.backends.winograd.min_channels = 1  # ... for every eligible convolution
"""
enabled = False
min_channels = 4
