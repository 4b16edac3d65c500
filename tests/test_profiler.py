"""ember.profiler: what gets recorded, the tables, Chrome traces and step schedules."""
import json
import os
import re
import threading
import warnings

import pytest
import torch

import ember
from ember import nn
from ember.profiler import (ProfilerAction, ProfilerActivity, profile, record_function,
                            schedule, tensorboard_trace_handler)
from ember.profiler import _hook


def _names(events):
    return [e.name for e in events]


def _top_level(events):
    return [e.name for e in events if e.cpu_parent is None]


def _row(table: str, name: str) -> list:
    """The cells of the table row named ``name``."""
    for line in table.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] == name:
            return cells
    raise AssertionError(f"no row {name!r} in\n{table}")


def _assert_nested_per_thread(ranges: list) -> None:
    """Chrome trace ranges of each thread: children inside parents, siblings apart."""
    for tid in {e["tid"] for e in ranges}:
        open_ranges = []
        for e in sorted((e for e in ranges if e["tid"] == tid),
                        key=lambda e: (e["ts"], -e["dur"])):
            end = e["ts"] + e["dur"]
            while open_ranges and open_ranges[-1] <= e["ts"] + 1e-6:
                open_ranges.pop()
            assert not open_ranges or end <= open_ranges[-1] + 1e-6
            open_ranges.append(end)


def _header(table: str) -> list:
    return re.split(r"\s{2,}", table.splitlines()[1].strip())


def test_forward_calls_are_counted_exactly():
    a, b = ember.randn(2, 3), ember.randn(2, 3)
    i = ember.ones(2, 3, dtype=ember.int64)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        c = a + b          # the binary fast path
        c = c + 1.0
        c = c.exp()        # the unary fast path
        c = c * a
        i + i              # the general path (an integer add)
        c.sum()
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts == {"add": 3, "exp": 1, "mul": 1, "sum": 1}
    assert _names(prof.events()) == ["add", "add", "exp", "mul", "add", "sum"]
    table = prof.key_averages().table(sort_by="count")
    assert _row(table, "add")[-1] == "3"
    assert _row(table, "mul")[-1] == "1"
    assert table.splitlines()[3].split()[0] == "add"  # sorted by count, descending


def test_training_step_records_forward_and_backward_nodes():
    x = ember.randn(4, 3, requires_grad=True)
    w = ember.randn(4, 3, requires_grad=True)
    with profile() as prof:
        y = (x * w).exp().sum()
        y.backward()
    events = prof.events()
    assert _top_level(events) == ["mul", "exp", "sum", "SumBackward0", "ExpBackward0",
                                  "MulBackward0"]
    mul_backward = next(e for e in events if e.name == "MulBackward0")
    # Its derivative is written with ember ops: they show up nested inside it.
    assert _names(mul_backward.cpu_children) == ["mul", "mul"]
    for child in mul_backward.cpu_children:
        assert child.cpu_parent is mul_backward
        assert mul_backward.time_range.start <= child.time_range.start
        assert child.time_range.end <= mul_backward.time_range.end
    assert mul_backward.self_cpu_time_total == pytest.approx(
        mul_backward.cpu_time_total - sum(c.cpu_time_total for c in mul_backward.cpu_children))
    # The gradients are still right while profiled.
    xt, wt = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (x, w))
    (xt * wt).exp().sum().backward()
    assert torch.allclose(torch.from_numpy(x.grad.numpy()), xt.grad)


def test_model_and_optimizer_step_under_profiler(tmp_path):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    x, target = ember.randn(8, 5), ember.randn(8, 2)
    before = [p.detach().clone() for p in model.parameters()]
    with profile() as prof:
        with record_function("train_step"):
            loss = nn.functional.mse_loss(model(x), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts["train_step"] == 1
    assert counts["addmm"] == 2 and counts["AddmmBackward0"] == 2
    assert counts["relu"] == 1 and counts["ReluBackward0"] == 1
    assert _top_level(prof.events()) == ["train_step"]
    assert all(not (a == p).all() for a, p in zip(before, model.parameters()))
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=100)
    for name in ("train_step", "addmm", "AddmmBackward0", "relu", "ReluBackward0"):
        assert _row(table, name)[-1] == str(counts[name])

    path = tmp_path / "step.json"
    prof.export_chrome_trace(str(path))
    ranges = [e for e in json.loads(path.read_text())["traceEvents"] if e["ph"] == "X"]
    assert sorted(e["name"] for e in ranges) == sorted(_names(prof.events()))
    assert max(ranges, key=lambda e: e["dur"])["name"] == "train_step"
    _assert_nested_per_thread(ranges)


def test_record_function_as_context_manager_and_decorator():
    @record_function("loss_fn")
    def loss_fn(t):
        return (t * t).sum()

    x = ember.randn(3)
    with profile() as prof:
        with record_function("forward") as rf:
            y = x.exp()
            loss_fn(y)
        loss_fn(x)
    assert isinstance(rf, record_function)
    events = prof.events()
    assert _top_level(events) == ["forward", "loss_fn"]
    forward = events[0]
    assert forward.category == "user_annotation"
    assert _names(forward.cpu_children) == ["exp", "loss_fn"]
    assert _names(forward.cpu_children[1].cpu_children) == ["mul", "sum"]
    assert {e.key: e.count for e in prof.key_averages()}["loss_fn"] == 2
    # Without a profiler both forms just run.
    with record_function("idle"):
        assert loss_fn(ember.ones(2)).item() == 2.0


def test_idle_profiler_switch_and_cleanup_after_errors():
    assert _hook.ACTIVE == []
    x = ember.randn(2, 3)
    with pytest.raises(RuntimeError):
        with profile() as prof:
            assert _hook.ACTIVE
            x + ember.randn(4, 5)  # shapes that don't broadcast: the op raises
    assert _hook.ACTIVE == []
    assert _names(prof.events()) == ["add"]  # the failed call's range was closed
    with profile():
        with pytest.raises(RuntimeError, match="already"):
            profile().start()
    assert _hook.ACTIVE == []


def test_chrome_trace_is_valid_and_nested_per_thread(tmp_path):
    x = ember.randn(16, 16, requires_grad=True)

    def work():
        with record_function("worker"):
            (x @ x).tanh().sum().backward()

    with profile(record_shapes=True) as prof:
        with record_function("main"):
            work()
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    ranges = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(ranges) == len(prof.events())
    assert {"main", "worker", "matmul", "MatmulBackward0"} <= \
        {e["name"] for e in ranges}
    pid = os.getpid()
    threads = {e["tid"] for e in ranges}
    assert len(threads) == 2
    for e in ranges:
        assert e["pid"] == pid
        assert isinstance(e["ts"], (int, float)) and e["dur"] >= 0
    matmul = next(e for e in ranges if e["name"] == "matmul")
    assert matmul["args"]["Input Dims"] == [[16, 16], [16, 16]]
    named = {e["name"] for e in trace["traceEvents"] if e["ph"] == "M"}
    assert {"process_name", "thread_name"} <= named
    _assert_nested_per_thread(ranges)


@pytest.mark.parametrize("args", [dict(wait=1, warmup=1, active=2),
                                  dict(wait=0, warmup=2, active=1, repeat=2),
                                  dict(wait=2, warmup=1, active=3, repeat=1, skip_first=3),
                                  dict(wait=3, warmup=1, active=2, skip_first=2,
                                       skip_first_wait=1)])
def test_schedule_matches_torch(args):
    ours = schedule(**args)
    theirs = torch.profiler.schedule(**args)
    assert [ours(i).name for i in range(30)] == [theirs(i).name for i in range(30)]


def test_schedule_rejects_bad_arguments():
    with pytest.raises(ValueError, match="active"):
        schedule(wait=0, warmup=0, active=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="warmup"):
            schedule(wait=1, warmup=0, active=1)


def test_schedule_drives_recording_and_trace_handler(tmp_path):
    # With torch: two cycles, each holding its two active steps (one add each).
    sched = schedule(wait=1, warmup=1, active=2, repeat=2)
    handler = tensorboard_trace_handler(str(tmp_path), worker_name="w0")
    ready = []

    def on_ready(prof):
        ready.append(_names(prof.events()))
        handler(prof)

    x = ember.ones(3)
    with profile(activities=[ProfilerActivity.CPU], schedule=sched,
                 on_trace_ready=on_ready) as prof:
        for _ in range(10):
            x.add(1.0)
            prof.step()
    assert ready == [["ProfilerStep*", "add", "ProfilerStep*", "add"]] * 2
    assert prof.step_num == 10
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 2
    for f, steps in zip(files, (["ProfilerStep#2", "ProfilerStep#3"],
                                ["ProfilerStep#6", "ProfilerStep#7"])):
        assert re.fullmatch(r"w0\.\d+\.pt\.trace\.json", f)
        trace = json.loads((tmp_path / f).read_text())["traceEvents"]
        assert [e["name"] for e in trace if e["name"].startswith("ProfilerStep")] == steps


def test_stopping_mid_cycle_saves_the_partial_trace():
    ready = []
    with profile(schedule=schedule(wait=0, warmup=1, active=3),
                 on_trace_ready=lambda p: ready.append(_names(p.events()))) as prof:
        for _ in range(2):  # warmup, then one recorded step; stop during the next one
            ember.ones(2).exp()
            prof.step()
    assert ready == [["ProfilerStep*", "exp", "ProfilerStep*"]]


def test_profiler_action_values():
    assert [a.name for a in ProfilerAction] == ["NONE", "WARMUP", "RECORD", "RECORD_AND_SAVE"]


def test_table_columns_follow_the_flags_like_torch():
    def columns(T, **flags):
        a = T.ones(2, 3)
        with T.profiler.profile(activities=[T.profiler.ProfilerActivity.CPU], **flags) as p:
            a * a
        return _header(p.key_averages().table(row_limit=5))

    for flags in ({}, {"record_shapes": True}, {"profile_memory": True},
                  {"record_shapes": True, "profile_memory": True}):
        assert columns(ember, **flags) == columns(torch, **flags), flags


def test_record_shapes_and_profile_memory_values():
    a, b = ember.randn(2, 3), ember.randn(1, 3)
    with profile(record_shapes=True, profile_memory=True) as prof:
        with record_function("block"):
            a * b
            a * a
            a.view(3, 2)  # a view allocates nothing
    events = {(e.name, str(e.input_shapes)): e for e in prof.events()}
    assert events[("mul", "[[2, 3], [1, 3]]")].cpu_memory_usage == 2 * 3 * 4
    assert events[("view", "[[2, 3], [], []]")].cpu_memory_usage == 0
    block = events[("block", "[]")]
    assert block.cpu_memory_usage == 2 * 24 and block.self_cpu_memory_usage == 0
    by_shape = prof.key_averages(group_by_input_shape=True)
    assert sorted(str(e.input_shapes) for e in by_shape if e.key == "mul") == \
        ["[[2, 3], [1, 3]]", "[[2, 3], [2, 3]]"]
    table = by_shape.table(sort_by="cpu_memory_usage")
    assert _row(table, "block")[6] == "48 B"
    assert "[[2, 3], [1, 3]]" in table


def test_with_stack_and_flops():
    a, b = ember.randn(4, 5), ember.randn(5, 6)
    with profile(with_stack=True, with_flops=True) as prof:
        a @ b
    (matmul,) = prof.events()
    assert matmul.flops == 2 * 4 * 5 * 6
    assert any(__file__ in frame for frame in matmul.stack[:1])
    rows = prof.key_averages(group_by_stack_n=1)
    assert rows[0].stack == matmul.stack[:1]
    table = rows.table()
    assert "Source Location" in _header(table) and "Total FLOPs" in _header(table)


def test_export_stacks(tmp_path):
    with profile(with_stack=True) as prof:
        ember.ones(3).exp()
    path = tmp_path / "stacks.txt"
    prof.export_stacks(str(path))
    (line,) = path.read_text().splitlines()
    frames, value = line.rsplit(" ", 1)
    assert frames.endswith(";exp") and value.isdigit()
    assert f"{__file__}(" in frames


def test_autograd_profiler_aliases():
    x = ember.randn(3, requires_grad=True)
    with ember.autograd.profiler.profile(record_shapes=True) as prof:
        with ember.autograd.profiler.record_function("f"):
            x.exp().sum().backward()
    assert "ExpBackward0" in {e.key for e in prof.function_events}
    assert _row(prof.table(), "f")[-1] == "1"
    assert prof.total_average().count == len(prof.function_events)
    with ember.autograd.profiler.profile(enabled=False) as idle:
        x.exp()
    assert len(idle.function_events) == 0
