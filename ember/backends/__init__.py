"""`ember.backends`: PyTorch's switches for the libraries behind its kernels.

Ember computes with NumPy (or CuPy) on the CPU, so there is no cuDNN, MPS, oneDNN or
OpenMP of its own: each ``is_available()`` answers False, and the settable flags
(``cudnn.benchmark``, ``cuda.matmul.allow_tf32``...) are plain attributes that programs may
set and read back; they change nothing Ember computes.

>>> ember.backends.cudnn.benchmark = True   # accepted, as in PyTorch on a CPU-only build

``winograd`` is Ember's own: it picks when 3x3 convolutions use Winograd's algorithm.
"""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp, opt_einsum, winograd  # noqa: F401
