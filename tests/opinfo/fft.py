"""OpInfos for the three Fourier transforms of ember/ops/fft.py, against PyTorch's own.

Complex operands come in as their real and imaginary parts and complex results go out as
theirs, so the harness compares complex gradients (PyTorch's conjugate convention) through
real leaves and real losses.
"""
from __future__ import annotations

import torch

import ember
from . import OpInfo, Sample
from . import samples as S


def _parts(z):
    return (z.real, z.imag) if z.is_complex() else z


def _from_parts(lib, fn):
    def call(re, im, *args):
        return _parts(fn(lib.complex(re, im), *args))
    return call


def _complex_samples(*cases):
    """(shape, *args): the real and imaginary parts of a random complex tensor, then args."""
    def samples(rng, dtype):
        return [Sample((S.randn(rng, shape, dtype), S.randn(rng, shape, dtype), *args))
                for shape, *args in cases]
    return samples


def _real_samples(*cases):
    def samples(rng, dtype):
        return [Sample((S.randn(rng, shape, dtype), *args)) for shape, *args in cases]
    return samples


_C2C = ember.ops.TABLE["_fft_c2c"].fn
_R2C = ember.ops.TABLE["_fft_r2c"].fn
_C2R = ember.ops.TABLE["_fft_c2r"].fn

OPINFOS = [
    OpInfo("_fft_c2c",
           _complex_samples(((6,), [0], 0, True), ((3, 5), [1], 1, False),
                            ((2, 3, 4), [0, 2], 2, True), ((2, 3, 4), [2, 1, 0], 0, False)),
           ember_fn=_from_parts(ember, _C2C), torch_fn=_from_parts(torch, torch._fft_c2c),
           gradgradcheck=True),
    OpInfo("_fft_r2c",
           _real_samples(((6,), [0], 0, True), ((5,), [0], 1, True), ((3, 5), [0], 2, True),
                         ((3, 4), [1], 0, False), ((2, 3, 5), [2, 0], 1, True),
                         ((2, 3, 4), [0, 1, 2], 2, False)),
           ember_fn=lambda x, *a: _parts(_R2C(x, *a)),
           torch_fn=lambda x, *a: _parts(torch._fft_r2c(x, *a)), gradgradcheck=True),
    OpInfo("_fft_c2r",
           _complex_samples(((4,), [0], 0, 6), ((4,), [0], 1, 7), ((3, 3), [0], 2, 4),
                            ((3, 4), [0, 1], 0, 6), ((2, 3, 3), [2, 0], 1, 3),
                            ((2, 1), [1], 2, 1)),
           ember_fn=_from_parts(ember, _C2R), torch_fn=_from_parts(torch, torch._fft_c2r),
           gradgradcheck=True),
]
