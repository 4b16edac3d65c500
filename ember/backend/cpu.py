"""The CPU backend: NumPy arrays."""
from __future__ import annotations

import numpy as np

xp = np


def to_host(array):
    return array


def from_host(array, device=None):
    return array


def generator(seed: int):
    """A random stream for this device (Philox: counter-based, splittable, reproducible)."""
    return np.random.Generator(np.random.Philox(seed))


def _keep_large_blocks_in_the_heap() -> None:
    """Let glibc reuse freed array memory instead of returning it to the OS.

    By default every large NumPy array is a fresh mmap that the kernel must fault in page by
    page, and it is unmapped again when freed; an elementwise chain on 1000x1000 tensors then
    spends most of its time in page faults (measured: 12.7 ms -> 4.3 ms for a 7-op chain).
    PyTorch avoids the same cost with its caching allocator; this is the allocator setting
    that gives NumPy the same reuse.
    """
    import ctypes
    import sys
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...): keep the defaults
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 1 << 30)   # arrays up to 1 GiB come from the heap
    mallopt(m_trim_threshold, (1 << 31) - 1)  # and freed blocks stay there for reuse


_keep_large_blocks_in_the_heap()


def linear(x, weight, bias):
    """``x @ weight.T + bias`` for C-contiguous float32/float64 ``x`` (rows, in), ``weight``
    (out, in) and ``bias`` (out,), as PyTorch's addmm: the bias broadcast into the result,
    then one BLAS product onto it (beta = 1). NumPy's ``matmul`` has no beta, and adding the
    bias afterwards is one more pass over the result: 18.1 against 16.2 ms for (700, 200) x
    (200, 10000). None where this doesn't apply (then: NumPy's product and an add).

    >>> linear(np.ones((300, 2), np.float32), np.ones((400, 2), np.float32),
    ...        np.ones(400, np.float32))[0, :3]
    array([3., 3., 3.], dtype=float32)
    """
    gemm = _GEMM.get(x.dtype) if type(x) is np.ndarray else None
    if (gemm is None or x.ndim != 2 or weight.dtype != x.dtype or bias.dtype != x.dtype
            or bias.shape != weight.shape[:1] or x.shape[1] == 0
            or x.shape[0] * weight.shape[0] < _AFFINE_MIN
            or not (x.flags.c_contiguous and weight.flags.c_contiguous)):
        return None
    (rows, inner), out = x.shape, weight.shape[0]
    y = np.empty((rows, out), x.dtype)
    y[...] = bias
    row_major, plain, transposed = 101, 111, 112  # the CBLAS enums
    gemm(row_major, plain, transposed, rows, out, inner, 1.0, x.ctypes.data, inner,
         weight.ctypes.data, inner, 1.0, y.ctypes.data, out)
    return y


# Below this many outputs the ctypes call (~5 us) costs more than the bias pass it saves.
_AFFINE_MIN = 1 << 16


def _blas_gemm() -> dict:
    """NumPy's own BLAS ``?gemm`` (the 64-bit-index OpenBLAS of its wheels) by dtype, or
    nothing where it is not found: one library and one thread pool with NumPy's products."""
    import ctypes
    import glob
    import os
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(folder, "*openblas64*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        found = {}
        for dtype, name, real in ((np.float32, "sgemm", ctypes.c_float),
                                  (np.float64, "dgemm", ctypes.c_double)):
            fn = getattr(lib, f"scipy_cblas_{name}64_", None) or \
                getattr(lib, f"cblas_{name}64_", None)
            if fn is None:
                break
            index, pointer = ctypes.c_int64, ctypes.c_void_p
            fn.argtypes = [ctypes.c_int] * 3 + [index] * 3 + [real, pointer, index, pointer,
                                                              index, real, pointer, index]
            fn.restype = None
            found[np.dtype(dtype)] = fn
        else:
            return found
    return {}


_GEMM = _blas_gemm()
