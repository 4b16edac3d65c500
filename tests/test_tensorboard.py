"""SummaryWriter: every kind of summary is written, then read back with TensorBoard's own
EventAccumulator, and compared with what torch.utils.tensorboard writes for the same data."""
from __future__ import annotations

import io
import os
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.util import tensor_util
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import ember
from ember.utils.tensorboard import SummaryWriter


def read(log_dir) -> EventAccumulator:
    acc = EventAccumulator(str(log_dir), size_guidance={k: 0 for k in (
        "scalars", "histograms", "images", "tensors", "audio", "compressedHistograms")})
    acc.Reload()
    return acc


def write_both(tmp_path, method: str, *args, **kwargs):
    """Log the same call through ember's and torch's writers; return both accumulators."""
    with SummaryWriter(tmp_path / "ember") as w:
        getattr(w, method)(*args, **kwargs)
    with TorchWriter(str(tmp_path / "torch")) as w:
        getattr(w, method)(*[torch.as_tensor(a) if isinstance(a, np.ndarray) else a
                             for a in args], **kwargs)
    return read(tmp_path / "ember"), read(tmp_path / "torch")


def pixels(image_event) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(image_event.encoded_image_string)))


# -- scalars -------------------------------------------------------------------------------
def test_scalars_of_every_value_kind_read_back(tmp_path, rng):
    values = rng.standard_normal(4).astype(np.float32)
    given = [ember.tensor(values[0]), values[1], float(values[2]), ember.tensor([values[3]])]
    with SummaryWriter(tmp_path) as w:
        for step, v in enumerate(given):
            w.add_scalar("loss/train", v, step * 10, walltime=100.0 + step)
    events = read(tmp_path).Scalars("loss/train")
    assert [e.step for e in events] == [0, 10, 20, 30]
    assert [e.wall_time for e in events] == [100.0, 101.0, 102.0, 103.0]
    np.testing.assert_allclose([e.value for e in events], values, rtol=1e-7)


@pytest.mark.parametrize("double_precision", [False, True])
def test_new_style_scalar_is_a_tensor_of_the_scalars_plugin(tmp_path, double_precision):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("acc", 0.1, 3, new_style=True, double_precision=double_precision)
    acc = read(tmp_path)
    (event,) = acc.Tensors("acc")
    value = tensor_util.make_ndarray(event.tensor_proto)
    assert event.step == 3 and value.shape == ()
    assert value.dtype == (np.float64 if double_precision else np.float32)
    assert value == np.array(0.1, value.dtype)
    assert "acc" in acc.PluginTagToContent("scalars")


def test_scalar_rejects_a_tensor_of_many_values(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match=r"add_scalar.*\(3,\)"):
        w.add_scalar("x", ember.ones(3))


def test_add_scalars_writes_one_sub_run_per_key_like_torch(tmp_path):
    curves = {"train": 0.5, "valid": 0.75}
    with SummaryWriter(tmp_path / "ember") as w:
        w.add_scalars("run/loss", curves, 7)
    with TorchWriter(str(tmp_path / "torch")) as w:
        w.add_scalars("run/loss", curves, 7)
    def sub_runs(root):
        return sorted(d for d in os.listdir(root) if os.path.isdir(root / d))

    assert sub_runs(tmp_path / "ember") == sub_runs(tmp_path / "torch")
    assert len(sub_runs(tmp_path / "ember")) == 2
    for name, value in zip(sub_runs(tmp_path / "ember"), curves.values()):
        (event,) = read(tmp_path / "ember" / name).Scalars("run/loss")
        assert (event.step, event.value) == (7, value)


# -- histograms ----------------------------------------------------------------------------
@pytest.mark.parametrize("bins, max_bins", [("tensorflow", None), ("auto", None),
                                            ("fd", None), (10, None), ("sqrt", 4)])
def test_histogram_buckets_match_torch(tmp_path, rng, bins, max_bins):
    values = rng.standard_normal(500) * 3
    mine, theirs = write_both(tmp_path, "add_histogram", "w", values, 2, bins=bins,
                              max_bins=max_bins)
    (a,), (b,) = mine.Histograms("w"), theirs.Histograms("w")
    a, b = a.histogram_value, b.histogram_value
    assert a.bucket == b.bucket and sum(a.bucket) == 500
    np.testing.assert_allclose(a.bucket_limit, b.bucket_limit, rtol=1e-12)
    np.testing.assert_allclose([a.min, a.max, a.num, a.sum, a.sum_squares],
                               [b.min, b.max, b.num, b.sum, b.sum_squares], rtol=1e-10)


def test_histogram_of_an_ember_tensor(tmp_path, rng):
    values = rng.standard_normal((20, 5)).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("t", ember.tensor(values, requires_grad=True), 0, bins=8)
    (event,) = read(tmp_path).Histograms("t")
    counts, _ = np.histogram(values.astype(np.float64), bins=8)
    assert list(event.histogram_value.bucket) == [0.0, *counts[counts.nonzero()[0][0]:]]
    assert event.histogram_value.num == 100


def test_histogram_raw_reads_back(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_histogram_raw("r", min=0.0, max=3.0, num=6, sum=9.0, sum_squares=19.0,
                            bucket_limits=[1.0, 2.0, 3.0], bucket_counts=[1, 2, 3],
                            global_step=4)
    (event,) = read(tmp_path).Histograms("r")
    h = event.histogram_value
    assert (event.step, list(h.bucket_limit), list(h.bucket)) == (4, [1, 2, 3], [1, 2, 3])


@pytest.mark.parametrize("values, message", [([], "empty"), ([1.0, np.nan], "NaN")])
def test_histogram_rejects_empty_and_nan_values(tmp_path, values, message):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match=message):
        w.add_histogram("h", np.array(values))


# -- images --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, dataformats", [((3, 5, 7), "CHW"), ((5, 7, 3), "HWC"),
                                                ((5, 7), "HW"), ((1, 5, 7), "CHW"),
                                                ((5, 7, 4), "HWC")])
def test_image_pixels_match_torch(tmp_path, rng, shape, dataformats):
    img = rng.random(shape).astype(np.float32)
    mine, theirs = write_both(tmp_path, "add_image", "img", img, 1, dataformats=dataformats)
    (a,), (b,) = mine.Images("img"), theirs.Images("img")
    assert (a.height, a.width) == (5, 7) == (b.height, b.width)
    np.testing.assert_array_equal(pixels(a), pixels(b))


def test_uint8_image_keeps_its_values(tmp_path, rng):
    img = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    with SummaryWriter(tmp_path) as w:
        w.add_image("u8", ember.tensor(img), dataformats="HWC")
    np.testing.assert_array_equal(pixels(read(tmp_path).Images("u8")[0]), img)


@pytest.mark.parametrize("shape, dataformats", [((11, 3, 4, 5), "NCHW"),
                                                ((5, 4, 5, 1), "NHWC"), ((2, 1, 4, 5), "NCHW")])
def test_images_are_tiled_into_a_grid_like_torch(tmp_path, rng, shape, dataformats):
    imgs = rng.random(shape).astype(np.float32)
    mine, theirs = write_both(tmp_path, "add_images", "batch", imgs, 0,
                              dataformats=dataformats)
    (a,), (b,) = mine.Images("batch"), theirs.Images("batch")
    assert (a.height, a.width) == (b.height, b.width)
    np.testing.assert_array_equal(pixels(a), pixels(b))


@pytest.mark.parametrize("shape, dataformats, message", [
    ((3, 4, 5), "HW", "2-d"), ((4, 5), "HH", "once"), ((2, 4, 5), "CHW", "channels"),
    ((3, 2, 4, 5), "NCHW", "channels"), ((0, 3, 4, 5), "NCHW", "empty")])
def test_image_rejects_bad_layouts(tmp_path, shape, dataformats, message):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match=message):
        w.add_images("bad", np.zeros(shape, np.float32), dataformats=dataformats)


# -- text and hparams ----------------------------------------------------------------------
def test_text_reads_back(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "**lr** = 0.1 ✓", 5)
    acc = read(tmp_path)
    (event,) = acc.Tensors("notes/text_summary")
    assert event.step == 5
    assert tensor_util.make_ndarray(event.tensor_proto)[0].decode() == "**lr** = 0.1 ✓"
    assert "notes/text_summary" in acc.PluginTagToContent("text")


def test_hparams_write_experiment_session_and_metrics(tmp_path):
    hparams = {"lr": 0.01, "batch": ember.tensor(32), "optim": "adam", "nesterov": True}
    with SummaryWriter(tmp_path) as w:
        w.add_hparams(hparams, {"hparam/accuracy": 0.9}, run_name="trial",
                      hparam_domain_discrete={"optim": ["adam", "sgd"]})
    acc = read(tmp_path / "trial")
    content = acc.PluginTagToContent(hparams_metadata.PLUGIN_NAME)
    experiment = hparams_metadata.parse_experiment_plugin_data(
        content[hparams_metadata.EXPERIMENT_TAG])
    infos = {i.name: i for i in experiment.hparam_infos}
    assert set(infos) == set(hparams)
    assert [v.string_value for v in infos["optim"].domain_discrete.values] == ["adam", "sgd"]
    assert [m.name.tag for m in experiment.metric_infos] == ["hparam/accuracy"]
    start = hparams_metadata.parse_session_start_info_plugin_data(
        content[hparams_metadata.SESSION_START_INFO_TAG])
    assert start.hparams["lr"].number_value == 0.01
    assert start.hparams["batch"].number_value == 32
    assert start.hparams["optim"].string_value == "adam"
    assert start.hparams["nesterov"].bool_value is True
    assert hparams_metadata.SESSION_END_INFO_TAG in content
    assert acc.Scalars("hparam/accuracy")[0].value == pytest.approx(0.9)


def test_hparams_reject_values_of_other_types(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="'layers'.*list"):
        w.add_hparams({"layers": [1, 2]}, {"m": 1.0})


# -- the writer itself ---------------------------------------------------------------------
def test_default_log_dir_is_runs_time_host_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as w:
        log_dir = w.get_logdir()
    parent, name = os.path.split(log_dir)
    assert parent == "runs" and name.endswith("_lr0.1")
    assert os.listdir(tmp_path / log_dir)[0].startswith("events.out.tfevents.")


def test_purge_step_hides_later_steps_of_an_earlier_run(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(10):
            w.add_scalar("x", step, step)
    with SummaryWriter(tmp_path, purge_step=5) as w:
        for step in range(5, 8):
            w.add_scalar("x", 100 + step, step)
    events = read(tmp_path).Scalars("x")
    assert [(e.step, e.value) for e in events] == (
        [(s, s) for s in range(5)] + [(s, 100 + s) for s in range(5, 8)])


def test_flush_makes_events_readable_and_close_then_write_reopens(tmp_path):
    w = SummaryWriter(tmp_path, filename_suffix=".ember")
    w.add_scalar("a", 1.0, 0)
    w.flush()
    assert [e.value for e in read(tmp_path).Scalars("a")] == [1.0]
    w.close()
    w.add_scalar("a", 2.0, 1)
    w.close()
    files = os.listdir(tmp_path)
    assert len(files) == 2 and all(f.endswith(".ember") for f in files)
    assert [e.value for e in read(tmp_path).Scalars("a")] == [1.0, 2.0]


def test_missing_tensorboard_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    for name in [m for m in sys.modules if m.startswith("ember.utils.tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ImportError, match=r"pip install 'ember\[tensorboard\]'"):
        import ember.utils.tensorboard  # noqa: F401


# -- the real TensorBoard server -----------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, body: bytes | None = None) -> bytes:
    import urllib.request

    # TensorBoard refuses POSTs without its anti-XSRF header.
    request = urllib.request.Request(url, data=body, headers={
        "X-XSRF-Protected": "1", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read()


def test_tensorboard_server_serves_scalars_hparams_and_graph(tmp_path):
    import json
    import subprocess
    import time
    import urllib.error

    values = [0.5, 0.25, 0.125]
    with SummaryWriter(tmp_path / "train") as w:
        for step, v in enumerate(values):
            w.add_scalar("loss", ember.tensor(v), step * 100)
        w.add_graph(Net(), ember.randn(2, 3))
        w.add_hparams({"lr": 0.1, "optim": "sgd"}, {"final_loss": 0.125}, run_name="trial")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path), "--port",
         str(port), "--host", "127.0.0.1", "--load_fast", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        root = f"http://127.0.0.1:{port}/data/plugin"

        def poll(fetch):
            """Retry until the server is up and has loaded what ``fetch`` asks for."""
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                assert server.poll() is None, "tensorboard exited early"
                try:
                    answer = fetch()
                    if answer:
                        return answer
                except (urllib.error.URLError, ConnectionError):
                    pass
                time.sleep(0.5)
            raise AssertionError("tensorboard did not serve the data in time")

        rows = poll(lambda: json.loads(_get(f"{root}/scalars/scalars?run=train&tag=loss")))
        assert [(step, value) for _, step, value in rows] == list(zip([0, 100, 200], values))

        def experiment_with_hparams():
            answer = json.loads(_get(f"{root}/hparams/experiment", b"{}"))
            return answer if answer.get("hparamInfos") else None

        experiment = poll(experiment_with_hparams)
        assert {h["name"] for h in experiment["hparamInfos"]} == {"lr", "optim"}
        assert [m["name"]["tag"] for m in experiment["metricInfos"]] == ["final_loss"]
        graph = _get(f"{root}/graphs/graph?run=train").decode()
        assert 'name: "Net/Sequential[body]/ReLU[1]/relu"' in graph
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- graphs --------------------------------------------------------------------------------
class Net(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU())
        self.head = ember.nn.Linear(4, 2)

    def forward(self, x):
        hidden = self.body(x) * 2
        return self.head(hidden), hidden


def _shapes(node) -> list:
    return [[d.size for d in s.dim] for s in node.attr["_output_shapes"].list.shape]


def test_graph_has_scoped_ops_edges_and_shapes(tmp_path):
    model = Net()
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, ember.randn(5, 3))
    nodes = {n.name: n for n in read(tmp_path).Graph().node}
    assert _shapes(nodes["input/x"]) == [[5, 3]] and nodes["input/x"].op == "IO Node"
    assert _shapes(nodes["Net/Sequential[body]/Linear[0]/weight"]) == [[4, 3]]
    assert _shapes(nodes["Net/Linear[head]/bias"]) == [[2]]
    relu = nodes["Net/Sequential[body]/ReLU[1]/relu"]
    assert relu.op == "relu" and _shapes(relu) == [[5, 4]]
    (producer,) = relu.input
    assert producer.startswith("Net/Sequential[body]/Linear[0]/")
    assert "input/x" in nodes[producer].input
    assert nodes["Net/mul"].input[0] == relu.name  # an op of the model's own forward
    head_ops = [n for n in nodes if n.startswith("Net/Linear[head]/")
                and nodes[n].op != "Parameter"]
    assert any("Net/mul" in nodes[n].input for n in head_ops)
    out1, out2 = nodes["output/output.1"], nodes["output/output.2"]
    assert _shapes(out1) == [[5, 2]] and out1.input[0] in head_ops
    assert out2.input == ["Net/mul"] and _shapes(out2) == [[5, 4]]
    for node in nodes.values():  # every edge points at a node of the graph
        assert all(i.split(":")[0] in nodes for i in node.input), node.name


class Halves(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = ember.nn.Linear(3, 4)

    def forward(self, x):
        first, second = self.lin(x).chunk(2, dim=1)
        return first * second


def test_graph_names_the_second_output_of_a_multi_output_op(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_graph(Halves(), ember.randn(5, 3))
    nodes = {n.name: n for n in read(tmp_path).Graph().node}
    (product,) = [n for n in nodes.values() if n.name.startswith("Halves/mul")]
    assert [i.split(":")[0] for i in product.input] == [product.input[0]] * 2
    assert product.input[1] == product.input[0] + ":1"
    assert _shapes(nodes[product.input[0]]) == [[5, 2], [5, 2]]


class Classify(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = ember.nn.Linear(3, 4)

    def forward(self, x):
        logits = self.lin(x)
        return logits, logits.argmax(1)


def test_graph_is_graph_modes_ir(tmp_path):
    """add_graph draws the IR that ember.jit traces: every op, integer results included."""
    model, x = Classify(), ember.randn(5, 3)
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, x)
    nodes = {n.name: n for n in read(tmp_path).Graph().node}
    traced = ember.jit.trace(model, (x,))
    ops = [n for n in nodes.values() if n.op not in ("IO Node", "Parameter", "Constant")]
    # trace() also runs graph mode's passes (dead code), so its ops are a subset of these
    assert {n.op for n in traced.graph.nodes} <= {n.op for n in ops}
    (argmax,) = [n for n in ops if n.op == "argmax"]
    assert nodes["output/output.2"].input == [argmax.name] and _shapes(argmax) == [[5]]


def test_graph_leaves_the_model_as_it_was(tmp_path):
    model = Net().train()
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, (ember.randn(2, 3),))
    assert model.training and model.body[0].weight.grad is None
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_graph_needs_a_module(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(TypeError, match="add_graph.*function"):
        w.add_graph(lambda x: x, ember.randn(2))


# -- precision-recall curves ---------------------------------------------------------------
@pytest.mark.parametrize("num_thresholds, weighted", [(127, False), (11, True)])
def test_pr_curve_matches_torch(tmp_path, rng, num_thresholds, weighted):
    labels = rng.integers(0, 2, 200)
    predictions = rng.random(200)
    weights = rng.random(200) if weighted else None
    mine, theirs = write_both(tmp_path, "add_pr_curve", "pr", labels, predictions, 3,
                              num_thresholds=num_thresholds, weights=weights)
    (a,), (b,) = mine.Tensors("pr"), theirs.Tensors("pr")
    curve = tensor_util.make_ndarray(a.tensor_proto)
    assert a.step == 3 and curve.shape == (6, num_thresholds)
    np.testing.assert_allclose(curve, tensor_util.make_ndarray(b.tensor_proto), rtol=1e-5)
    assert "pr" in mine.PluginTagToContent("pr_curves")


def test_pr_curve_raw_reads_back(tmp_path, rng):
    rows = rng.random((6, 5))
    with SummaryWriter(tmp_path) as w:
        w.add_pr_curve_raw("raw", *rows, global_step=1, num_thresholds=5)
    (event,) = read(tmp_path).Tensors("raw")
    np.testing.assert_allclose(tensor_util.make_ndarray(event.tensor_proto), rows, rtol=1e-6)


def test_pr_curve_rejects_predictions_outside_0_1(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match=r"\[0, 1\]"):
        w.add_pr_curve("pr", np.array([0, 1]), np.array([0.5, 1.5]))


# -- embeddings ----------------------------------------------------------------------------
def _projector(log_dir):
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    with open(os.path.join(log_dir, "projector_config.pbtxt")) as f:
        return text_format.Parse(f.read(), ProjectorConfig())


@pytest.mark.parametrize("with_header", [False, True])
def test_embedding_files_match_torch(tmp_path, rng, with_header):
    mat = rng.standard_normal((10, 4)).astype(np.float32)
    images = rng.random((10, 3, 6, 6)).astype(np.float32)
    if with_header:
        metadata, header = [[i, f"c{i % 3}"] for i in range(10)], ["index", "class"]
    else:
        metadata, header = [f"point {i}" for i in range(10)], None
    with SummaryWriter(tmp_path / "ember") as w:
        w.add_embedding(ember.tensor(mat), metadata, ember.tensor(images), global_step=12,
                        tag="feat/x", metadata_header=header)
    with TorchWriter(str(tmp_path / "torch")) as w:
        w.add_embedding(torch.tensor(mat), metadata, torch.tensor(images), global_step=12,
                        tag="feat/x", metadata_header=header)
    (mine,), (theirs,) = (_projector(tmp_path / d).embeddings for d in ("ember", "torch"))
    assert mine == theirs  # names, paths of the files, sprite sizes
    folder = [tmp_path / d / os.path.dirname(mine.tensor_path) for d in ("ember", "torch")]
    np.testing.assert_allclose(np.loadtxt(folder[0] / "tensors.tsv"), mat, rtol=1e-7)
    mine_rows, torch_rows = ((f / "metadata.tsv").read_text().splitlines() for f in folder)
    assert mine_rows == torch_rows
    sprites = [np.asarray(Image.open(f / "sprite.png"))[..., :3] for f in folder]
    np.testing.assert_array_equal(*sprites)


def test_embeddings_accumulate_in_the_projector_config(tmp_path, rng):
    with SummaryWriter(tmp_path) as w:
        w.add_embedding(rng.standard_normal((3, 2)), tag="a")
        w.add_embedding(rng.standard_normal((3, 2)), tag="b", global_step=1)
    names = [e.tensor_name for e in _projector(tmp_path).embeddings]
    assert names == ["a:00000", "b:00001"]


def test_embedding_checks_the_metadata_length(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="2 metadata rows"):
        w.add_embedding(np.zeros((3, 2)), metadata=["a", "b"])


# -- figures, custom scalars, video, audio -------------------------------------------------
def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(2, 1.5), dpi=50)
    plt.plot([0, 1, 2], [2, 0, 1])
    return figure


def test_figure_pixels_match_torch(tmp_path):
    figure = _figure()
    with SummaryWriter(tmp_path / "ember") as w:
        w.add_figure("fig", figure, 0, close=False)
    with TorchWriter(str(tmp_path / "torch")) as w:
        w.add_figure("fig", figure, 0)
    (a,), (b,) = read(tmp_path / "ember").Images("fig"), read(tmp_path / "torch").Images("fig")
    assert (a.width, a.height) == (100, 75)
    np.testing.assert_array_equal(pixels(a), pixels(b))


def test_figure_without_matplotlib_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with SummaryWriter(tmp_path) as w, pytest.raises(ImportError, match="pip install matplotlib"):
        w.add_figure("fig", object())


def test_custom_scalars_layout_matches_torch(tmp_path):
    from tensorboard.plugins.custom_scalar import layout_pb2

    layout = {"Losses": {"train vs valid": ["Multiline", ["loss/train", "loss/valid"]],
                         "band": ["Margin", ["acc", "acc_low", "acc_high"]]}}
    mine, theirs = write_both(tmp_path, "add_custom_scalars", layout)
    a, b = (layout_pb2.Layout.FromString(tensor_util.make_ndarray(
        acc.Tensors("custom_scalars__config__")[0].tensor_proto).item()) for acc in (mine, theirs))
    assert a == b and a.category[0].chart[1].margin.series[0].upper == "acc_high"


def test_video_is_an_animated_gif(tmp_path, rng):
    frames = rng.random((2, 5, 3, 8, 6)).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_video("clip", ember.tensor(frames), 0, fps=10)
    (event,) = read(tmp_path).Images("clip")
    gif = Image.open(io.BytesIO(event.encoded_image_string))
    assert gif.format == "GIF" and gif.n_frames == 5 and gif.size == (12, 8)


def test_audio_matches_torch(tmp_path, rng):
    samples = rng.uniform(-1.2, 1.2, 300).astype(np.float32)
    mine, theirs = write_both(tmp_path, "add_audio", "snd", samples[None], 0,
                              sample_rate=8000)
    (a,), (b,) = mine.Audio("snd"), theirs.Audio("snd")
    assert (a.sample_rate, a.length_frames, a.content_type) == (8000, 300, "audio/wav")
    assert a.encoded_audio_string == b.encoded_audio_string


@pytest.mark.parametrize("config", [None, {"camera": {"fov": 75}}])
def test_mesh_matches_torch(tmp_path, rng, config):
    vertices = rng.standard_normal((1, 4, 3)).astype(np.float32)
    colors = rng.integers(0, 256, (1, 4, 3)).astype(np.uint8)
    faces = np.array([[[0, 1, 2], [1, 2, 3]]], dtype=np.int32)
    mine, theirs = write_both(tmp_path, "add_mesh", "cloud", vertices, colors=colors,
                              faces=faces, config_dict=config, global_step=2)
    assert mine.PluginTagToContent("mesh") == theirs.PluginTagToContent("mesh")
    for suffix, expected in [("VERTEX", vertices), ("COLOR", colors), ("FACE", faces)]:
        (a,), (b,) = mine.Tensors(f"cloud_{suffix}"), theirs.Tensors(f"cloud_{suffix}")
        assert a.step == 2
        # TensorBoard's own mesh summaries use uint8 colors and int32 faces; torch float.
        np.testing.assert_array_equal(tensor_util.make_ndarray(a.tensor_proto), expected)
        np.testing.assert_array_equal(tensor_util.make_ndarray(b.tensor_proto), expected)


def test_image_with_boxes_draws_red_outlines(tmp_path):
    img = np.full((3, 20, 30), 0.5, np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_image_with_boxes("boxed", ember.tensor(img), ember.tensor([[2.0, 3.0, 12.0, 15.0]]),
                               labels=["cat"])
        w.add_image_with_boxes("scaled", img, np.zeros((0, 4)), rescale=2)
    acc = read(tmp_path)
    drawn = pixels(acc.Images("boxed")[0])
    assert drawn.shape == (20, 30, 3)
    red = np.array([255, 0, 0])
    for y, x in [(3, 2), (15, 12), (9, 2), (3, 7), (15, 7), (9, 12)]:
        np.testing.assert_array_equal(drawn[y, x], red)
    np.testing.assert_array_equal(drawn[9, 7], [127, 127, 127])  # inside stays as it was
    (scaled,) = acc.Images("scaled")
    assert (scaled.height, scaled.width) == (40, 60)


def test_image_with_boxes_checks_the_labels(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="2 labels for 1"):
        w.add_image_with_boxes("b", np.zeros((3, 4, 4)), np.zeros((1, 4)), labels=["a", "b"])


@pytest.mark.parametrize("value, error", [(None, NotImplementedError), ("abc", ValueError),
                                          ({"a": 1}, NotImplementedError)])
def test_values_that_are_no_numbers_are_refused(tmp_path, value, error):
    with SummaryWriter(tmp_path) as w, pytest.raises(error):
        w.add_scalar("bad", value)
    with TorchWriter(str(tmp_path / "torch")) as w, pytest.raises(error):
        w.add_scalar("bad", value)


def test_summary_functions_can_be_logged_by_hand_into_the_same_run(tmp_path):
    from ember.utils.tensorboard.summary import hparams, image

    with SummaryWriter(tmp_path) as w:
        for s in hparams({"lr": 0.5}, {"loss": 1.0}):
            w.file_writer.add_summary(s)
        w.file_writer.add_summary(image("pic", np.ones((1, 3, 4, 6)), rescale=0.5), 9)
    acc = read(tmp_path)
    assert hparams_metadata.EXPERIMENT_TAG in acc.PluginTagToContent("hparams")
    (pic,) = acc.Images("pic")
    assert (pic.step, pic.height, pic.width) == (9, 2, 3)
