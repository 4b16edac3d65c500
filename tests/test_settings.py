"""Process-wide switches (determinism, matmul precision, default device...), ember.backends,
ember.cpu and the math constants, against torch's answers."""
import math
import warnings

import pytest
import torch

import ember
from ember import _settings
from ember.autograd import anomaly
from tests.helpers import assert_raises_like_torch


@pytest.fixture(autouse=True)
def restore_settings():
    saved = dict(_settings._state), anomaly._enabled[0]
    t_saved = (torch.are_deterministic_algorithms_enabled(),
               torch.is_deterministic_algorithms_warn_only_enabled(),
               torch.get_float32_matmul_precision())
    yield
    _settings._state.update(saved[0])
    anomaly._enabled[0] = saved[1]
    torch.use_deterministic_algorithms(t_saved[0], warn_only=t_saved[1])
    torch.set_float32_matmul_precision(t_saved[2])


def test_constants_match_torch():
    for name in ("pi", "e", "inf"):
        assert getattr(ember, name) == getattr(torch, name)
    assert math.isnan(ember.nan) and ember.newaxis is torch.newaxis is None
    assert ember.zeros(3)[ember.newaxis].shape == (1, 3)


@pytest.mark.parametrize("mode,warn_only", [(True, False), (True, True), (False, False)])
def test_deterministic_algorithms_like_torch(mode, warn_only):
    ember.use_deterministic_algorithms(mode, warn_only=warn_only)
    torch.use_deterministic_algorithms(mode, warn_only=warn_only)
    assert ember.are_deterministic_algorithms_enabled() == \
        torch.are_deterministic_algorithms_enabled()
    assert ember.is_deterministic_algorithms_warn_only_enabled() == \
        torch.is_deterministic_algorithms_warn_only_enabled()
    assert ember.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()


@pytest.mark.parametrize("mode", ["default", "warn", "error", 0, 1, 2])
def test_deterministic_debug_mode_like_torch(mode):
    ember.set_deterministic_debug_mode(mode)
    torch.set_deterministic_debug_mode(mode)
    assert ember.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
    assert ember.are_deterministic_algorithms_enabled() == \
        torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("bad", ["bad", 5, 2.5])
def test_deterministic_debug_mode_errors_like_torch(bad):
    assert_raises_like_torch(ember.set_deterministic_debug_mode,
                             torch.set_deterministic_debug_mode, bad)


@pytest.mark.parametrize("precision", ["highest", "high", "medium"])
def test_float32_matmul_precision(precision):
    ember.set_float32_matmul_precision(precision)
    assert ember.get_float32_matmul_precision() == precision


def test_float32_matmul_precision_invalid_warns_and_keeps_value():
    ember.set_float32_matmul_precision("high")
    with pytest.warns(UserWarning, match="'highest', 'high', or 'medium'"):
        ember.set_float32_matmul_precision("fast")
    assert ember.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning):
        torch.set_float32_matmul_precision("fast")


def test_warn_always_round_trip():
    ember.set_warn_always(True)
    assert ember.is_warn_always_enabled()
    ember.set_warn_always(False)
    assert not ember.is_warn_always_enabled() and not torch.is_warn_always_enabled()


def test_flush_denormal_answers_a_bool():
    assert ember.set_flush_denormal(False) is True  # turning it off is always honoured
    assert isinstance(ember.set_flush_denormal(True), bool)
    tiny = ember.tensor([1e-40], dtype=ember.float32)
    assert tiny.item() != 0  # NumPy keeps denormals, and Ember says so (False above)
    assert ember.set_flush_denormal(True) is False


def test_default_device_is_cpu():
    assert str(ember.get_default_device()) == str(torch.get_default_device())
    ember.set_default_device("cpu")
    ember.set_default_device(None)
    assert ember.zeros(2).device == ember.get_default_device()
    with pytest.raises(RuntimeError, match="set_default_device.*cuda"):
        ember.set_default_device("cuda")


def test_anomaly_switch_drives_autograd_anomaly_mode():
    ember.set_anomaly_enabled(True)
    assert ember.is_anomaly_enabled() and ember.autograd.is_anomaly_enabled()
    x = ember.tensor([0.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="nan"):
        (x.sqrt() * 0).sum().backward()
    ember.set_anomaly_enabled(False)
    assert not ember.is_anomaly_enabled()


def test_backends_flags_are_settable_and_answer_like_cpu_torch():
    b = ember.backends
    assert b.cudnn.is_available() is False and b.cudnn.version() is None
    assert b.mps.is_available() is False and b.mps.is_built() is False
    assert isinstance(b.mkldnn.is_available(), bool) and isinstance(b.openmp.is_available(), bool)
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(b.cudnn, flag) == getattr(torch.backends.cudnn, flag), flag
        old = getattr(b.cudnn, flag)
        setattr(b.cudnn, flag, not old)
        assert getattr(b.cudnn, flag) is (not old)
        setattr(b.cudnn, flag, old)
    assert b.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    b.cuda.matmul.allow_tf32 = True
    assert b.cuda.matmul.allow_tf32 is True
    b.cuda.matmul.allow_tf32 = False
    assert b.opt_einsum.enabled is True
    import ember.backends.cudnn as cudnn  # importable as a module too, as in torch
    assert cudnn is b.cudnn


def test_cpu_module_like_torch():
    assert ember.cpu.is_available() == torch.cpu.is_available()
    assert ember.cpu.device_count() == torch.cpu.device_count()
    assert ember.cpu.current_device() == torch.cpu.current_device()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.cpu.synchronize()
