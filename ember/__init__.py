"""Ember: a deep-learning framework with PyTorch's API, on NumPy (and CuPy for GPUs).

>>> import ember as torch
>>> x = torch.randn(4, 3, requires_grad=True)
>>> (x @ x.T).sum().backward()
"""
from ._dtype import (dtype, bool_ as bool, uint8, int8, int16, int32, int64, float16,
                     bfloat16, float32, float64, complex64, complex128,
                     get_default_dtype, set_default_dtype, promote_types, result_type,
                     can_cast, finfo, iinfo)
from ._dtype import ALIASES as _ALIASES
from ._device import device
from ._formatting import set_printoptions
from ._tensor import Tensor, Size
from ._creation import (tensor, as_tensor, asarray, from_numpy, from_dlpack, zeros, ones,
                        empty, full, zeros_like, ones_like, empty_like, full_like, arange,
                        linspace, logspace, eye, empty_strided, scalar_tensor, is_tensor,
                        numel, is_floating_point, is_complex)
from .autograd import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                       is_grad_enabled, is_inference_mode_enabled)
from . import autograd, ops
from .random import (Generator, default_generator, manual_seed, seed, initial_seed,
                     get_rng_state, set_rng_state)
from ._sampling import (rand, randn, randint, randperm, normal, bernoulli, multinomial,
                        poisson, rand_like, randn_like, randint_like)
from . import random, cuda
from ._functions import *  # noqa: F401,F403  ember.<op> for every op in the table
from . import linalg  # noqa: E402  ember.linalg
from . import _operators  # noqa: F401  Tensor's Python operators
from . import nn, optim  # noqa: E402  library layers, on top of everything above
from .serialization import save, load
from . import utils  # noqa: F401  ember.utils.data without a separate import

globals().update(_ALIASES)

__version__ = "0.1.0"

# -- the rest of PyTorch's top-level API: threads, switches, layouts, testing (apitop) -------
import math as _math  # noqa: E402
from . import _tensor_api  # noqa: E402,F401  Tensor predicates, memory, in-place reshapes
from ._tensor_api import (typename, is_nonzero, is_same_size, is_signed, is_conj,  # noqa: E402
                          is_neg, resolve_conj, resolve_neg, is_inference)
from ._threads import (set_num_threads, get_num_threads, set_num_interop_threads,  # noqa: E402
                       get_num_interop_threads)
from ._settings import (use_deterministic_algorithms,  # noqa: E402
                        are_deterministic_algorithms_enabled,
                        is_deterministic_algorithms_warn_only_enabled,
                        set_deterministic_debug_mode, get_deterministic_debug_mode,
                        set_float32_matmul_precision, get_float32_matmul_precision,
                        set_warn_always, is_warn_always_enabled, set_flush_denormal,
                        set_default_device, get_default_device, set_anomaly_enabled,
                        is_anomaly_enabled)
from ._layout import (layout, strided, memory_format, contiguous_format,  # noqa: E402
                      channels_last, channels_last_3d, preserve_format)
from . import backends, cpu, testing  # noqa: E402,F401
from ._inplace_functions import exports as _inplace_exports  # noqa: E402

globals().update(_inplace_exports())
pi, e, inf, nan, newaxis = _math.pi, _math.e, _math.inf, _math.nan, None

# Fourier transforms and probability distributions
from . import fft  # noqa: E402  ember.fft
from . import distributions  # noqa: E402  ember.distributions

# ---- math gaps (branch mathgaps): torch.special and the windows / functional aliases
from . import special  # noqa: E402
from ._windows import (hann_window, hamming_window, blackman_window,  # noqa: E402
                       bartlett_window, kaiser_window)
from ._nn_aliases import ALIASES as _NN_ALIASES  # noqa: E402
globals().update(_NN_ALIASES)

# ---- function transforms (branch functorch): ember.func
from . import func  # noqa: E402,F401  ember.func
from .func import vmap  # noqa: E402,F401  torch.vmap is torch.func.vmap

# ---- mixed precision and checkpointing (branch ampckpt)
from . import amp  # noqa: E402  ember.amp
from .amp import autocast, is_autocast_enabled, get_autocast_dtype  # noqa: E402,F401
from .amp.autocast_mode import (set_autocast_enabled, set_autocast_dtype,  # noqa: E402,F401
                                is_autocast_cache_enabled, set_autocast_cache_enabled,
                                clear_autocast_cache)
from .amp._deprecated import install as _install_amp  # noqa: E402
_install_amp(cuda, "cuda")
_install_amp(cpu, "cpu")

# ---- nn utilities (branch nnutils): the weight-norm helpers
from .nn.utils._norms import norm_except_dim  # noqa: E402
from .nn.utils._norms import weight_norm_value as _weight_norm  # noqa: E402

# ---- namespaces imported on first use (ember.distributed, ember.hub, ...), so that
# `import ember` stays fast: see ember/_lazy.py
from ._lazy import __getattr__  # noqa: E402,F401

# ---- PyTorch's keyword names on every public function and method; last, so that it covers
# everything defined above
from . import _signatures  # noqa: E402
_signatures.install(globals())
_signatures.install(None, Tensor)
