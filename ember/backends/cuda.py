"""`ember.backends.cuda`: CUDA matmul and attention flags, recorded only."""
from __future__ import annotations


class _MatmulFlags:
    """``ember.backends.cuda.matmul``: settable precision flags for CUDA matmuls."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    """Whether Ember can run on CUDA (through CuPy, when installed)."""
    from .. import cuda
    return cuda.is_available()


_sdp = {"flash": True, "mem_efficient": True, "math": True}


def _sdp_switch(kind: str):
    def enable(enabled: bool) -> None:
        _sdp[kind] = bool(enabled)

    def enabled() -> bool:
        return _sdp[kind]
    return enable, enabled


enable_flash_sdp, flash_sdp_enabled = _sdp_switch("flash")
enable_mem_efficient_sdp, mem_efficient_sdp_enabled = _sdp_switch("mem_efficient")
enable_math_sdp, math_sdp_enabled = _sdp_switch("math")
