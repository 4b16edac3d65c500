"""`ember.backends.winograd`: when 3x3 convolutions take Winograd's F(2x2, 3x3) path.

Ember computes a 3x3, stride-1, undilated, ungrouped 2-d convolution (and both its
gradients) with 2.25x fewer multiplies than the direct product when both its channel counts
reach ``min_channels``, where that measured faster on a CPU (BENCHMARKS.md). Its float32
results differ from the direct product's by rounding only (bound in ``ember/ops/_winograd.py``).

>>> ember.backends.winograd.enabled = False   # always the direct product (im2col + GEMM)
>>> ember.backends.winograd.min_channels = 1  # Winograd for every eligible convolution
"""
enabled = True
min_channels = 4
