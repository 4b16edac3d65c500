"""ONNX export: every lowering and whole models, run in ONNX Runtime against eager Ember.

The models are exported with a dynamic batch axis and run at two batch sizes; each op with
a lowering is exported from its OpInfo samples and run on its own.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import ember
from ember import nn
from ember.jit._tree import flatten
from ember.ops import TABLE

from .opinfo import all_opinfos
from bench import models

ort.set_default_logger_severity(3)  # its warnings about unused optional outputs are noise


def _session(proto) -> ort.InferenceSession:
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def _eager(model, inputs):
    with ember.no_grad():
        out, _ = flatten(model(*inputs))
    return [o.numpy() for o in out]


def _check(model, inputs, session, names, atol=1e-5, rtol=1e-4):
    got = session.run(None, {n: x.numpy() for n, x in zip(names, inputs)})
    want = _eager(model, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, atol=atol, rtol=rtol)


# ----------------------------------------------------------------------------- models


def _mlp():
    return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                         nn.Linear(32, 10)), lambda b: (ember.randn(b, 784),)


def _lenet():
    return models.lenet(ember), lambda b: (ember.randn(b, 1, 28, 28),)


def _resnet():
    model = models.resnet(ember)
    for _ in range(2):  # running statistics that are not the initial ones
        model(ember.randn(8, 3, 32, 32))
    return model, lambda b: (ember.randn(b, 3, 32, 32),)


def _gpt():
    return models.gpt(ember), lambda b: (ember.randint(0, 96, (b, 64)),)


def _lstm():
    return nn.LSTM(8, 16, num_layers=2), lambda b: (ember.randn(5, b, 8),)


def _gru():
    return nn.GRU(8, 16, num_layers=2, bidirectional=True), lambda b: (ember.randn(5, b, 8),)


def _transformer():
    layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True)
    return nn.TransformerEncoder(layer, 2), lambda b: (ember.randn(b, 7, 32),)


MODELS = {"mlp": _mlp, "lenet": _lenet, "resnet": _resnet, "gpt": _gpt, "lstm": _lstm,
          "gru": _gru, "transformer": _transformer}
# The batch axis of each model's input (the LSTM takes (time, batch, features)).
BATCH_AXIS = {"lstm": 1, "gru": 1}


@pytest.mark.parametrize("name", list(MODELS))
def test_model_runs_in_onnx_runtime_at_two_batch_sizes(name, tmp_path):
    ember.manual_seed(0)
    model, make_inputs = MODELS[name]()
    model.eval()
    inputs = make_inputs(3)
    axis = BATCH_AXIS.get(name, 0)
    path = tmp_path / f"{name}.onnx"
    ember.onnx.export(model, inputs, str(path), input_names=["x"],
                      dynamic_axes={"x": {axis: "batch"}})
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert [i.name for i in proto.graph.input] == ["x"]
    session = _session(proto)
    _check(model, inputs, session, ["x"])
    _check(model, make_inputs(5), session, ["x"])  # the batch axis really is dynamic


def test_export_leaves_a_training_model_in_training_mode():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    model.train()
    proto = ember.onnx.export(model, (ember.randn(2, 4),))
    assert model.training
    assert "Dropout" not in {n.op_type for n in proto.graph.node}  # exported in eval mode


def test_parameters_are_initializers_named_by_state_dict_or_inputs():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    proto = ember.onnx.export(model, (ember.randn(2, 4),), do_constant_folding=False)
    assert {i.name for i in proto.graph.initializer} >= {"0.bias", "2.bias", "0.weight"}
    bare = ember.onnx.export(model, (ember.randn(2, 4),), export_params=False,
                             do_constant_folding=False)
    assert not bare.graph.initializer
    assert {i.name for i in bare.graph.input} == {"input", "0.weight", "0.bias", "2.weight",
                                                   "2.bias"}
    x = ember.randn(2, 4)
    feeds = {"input": x.numpy(), **{k: v.numpy() for k, v in model.state_dict().items()}}
    np.testing.assert_allclose(_session(bare).run(None, feeds)[0], _eager(model, (x,))[0],
                               rtol=1e-5, atol=1e-6)


def test_constant_folding_precomputes_weight_transposes():
    model = nn.Linear(4, 3)
    folded = ember.onnx.export(model, (ember.randn(2, 4),))
    plain = ember.onnx.export(model, (ember.randn(2, 4),), do_constant_folding=False)
    assert "Transpose" not in {n.op_type for n in folded.graph.node}
    assert "Transpose" in {n.op_type for n in plain.graph.node}


def test_names_opset_file_objects_and_functions():
    def f(x, y):
        return (x * y).sum(-1), x.relu()

    x, y = ember.randn(3, 4), ember.randn(3, 4)
    buffer = io.BytesIO()
    proto = ember.onnx.export(f, (x, y), buffer, input_names=["a", "b"],
                              output_names=["total", "positive"], opset_version=18)
    assert proto.opset_import[0].version == 18
    loaded = onnx.load_from_string(buffer.getvalue())
    assert [o.name for o in loaded.graph.output] == ["total", "positive"]
    _check(f, (x, y), _session(loaded), ["a", "b"])


def test_an_unsupported_op_names_the_op_and_the_users_line():
    def f(x):
        return ember.linalg.inv(x)  # no ONNX lowering

    with pytest.raises(ember.onnx.errors.UnsupportedOperatorError,
                       match=r"'linalg_inv'.*test_onnx.py:\d+"):
        ember.onnx.export(f, (ember.randn(3, 3),))


def test_export_to_a_path_is_atomic(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"previous")

    def broken(x):
        return ember.linalg.inv(x)

    with pytest.raises(ember.onnx.UnsupportedOperatorError):
        ember.onnx.export(broken, (ember.randn(2, 2),), str(path))
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["model.onnx"]


def test_the_exported_file_runs_in_a_process_without_ember(tmp_path):
    model, make_inputs = _lenet()
    x = make_inputs(2)[0]
    path = tmp_path / "lenet.onnx"
    ember.onnx.export(model.eval(), (x,), str(path), input_names=["x"])
    np.save(tmp_path / "x.npy", x.numpy())
    script = ("import sys, numpy as np, onnxruntime as ort\n"
              "assert 'ember' not in sys.modules\n"
              f"s = ort.InferenceSession({str(path)!r})\n"
              f"np.save({str(tmp_path / 'y.npy')!r}, "
              f"s.run(None, {{'x': np.load({str(tmp_path / 'x.npy')!r})}})[0])\n")
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path)
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), _eager(model, (x,))[0],
                               rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- each lowering


def _lowered_cases():
    for info in all_opinfos():
        if info.name in TABLE and TABLE[info.name].onnx_lowering is not None:
            yield pytest.param(info, id=info.name)


@pytest.mark.parametrize("info", list(_lowered_cases()))
def test_each_lowering_matches_eager(info):
    """Every op that declares a lowering, exported from its OpInfo samples (float32)."""
    rng = np.random.default_rng(0)
    dtype = np.float32 if np.float32 in info.dtypes else info.dtypes[0]
    fn = info.ember_call()
    exported = 0
    for sample in info.samples(rng, np.dtype(dtype)):
        # Each array of the sample (also inside a list, as cat's) becomes a graph input.
        slots = [(i, None) for i, a in enumerate(sample.args) if isinstance(a, np.ndarray)]
        slots += [(i, j) for i, a in enumerate(sample.args) if isinstance(a, (list, tuple))
                  for j, x in enumerate(a) if isinstance(x, np.ndarray)]
        arrays = [sample.args[i] if j is None else sample.args[i][j] for i, j in slots]
        inputs = tuple(ember.from_numpy(a) for a in arrays)

        def call(*tensors, sample=sample, slots=slots):
            args = list(sample.args)
            for (i, j), t in zip(slots, tensors):
                if j is None:
                    args[i] = t
                else:
                    args[i] = type(args[i])(t if k == j else x for k, x in enumerate(args[i]))
            return fn(*args, **sample.kwargs)

        if not inputs or any(a.size == 0 for a in arrays):
            continue  # ONNX graphs take tensor inputs; zero-size ones ORT may refuse
        names = [f"x{i}" for i in range(len(inputs))]
        try:
            try:
                proto = ember.onnx.export(call, inputs, input_names=names)
            except ember.onnx.UnsupportedOperatorError as e:
                if "no ONNX counterpart" not in str(e):
                    raise
                # An output ONNX has no form of (max_pool's indices): export the first one.
                call = (lambda *t, whole=call: whole(*t)[0])
                proto = ember.onnx.export(call, inputs, input_names=names)
        except ember.onnx.UnsupportedOperatorError as e:
            # Only the arguments a lowering declines (and says so) may skip a sample.
            assert "no ONNX" in str(e) or "needs opset" in str(e) or "no ONNX form" in str(e)
            continue
        _check(call, inputs, _session(proto), names, atol=1e-4, rtol=1e-4)
        exported += 1
    assert exported, f"no sample of {info.name} could be exported"
