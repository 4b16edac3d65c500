"""`profile`: times every op call, backward node and `record_function` block while active,
following an optional step `schedule`, as `torch.profiler.profile` does."""
from __future__ import annotations

import enum
import functools
import os
import time
import warnings
from typing import Callable, Iterable

from . import _hook
from ._chrome import _hostname
from ._flops import flops_of
from ._recorder import Recorder
from .events import EventList, FunctionEvent


class ProfilerActivity(enum.Enum):
    """What to time. Ember times the CPU side of every activity."""
    CPU = 0
    CUDA = 1
    XPU = 2
    MTIA = 3
    HPU = 4
    PrivateUse1 = 5


def supported_activities() -> set:
    """The activities this build can time."""
    return {ProfilerActivity.CPU}


class ProfilerAction(enum.Enum):
    """What the profiler does during a step (the answer of a `schedule`)."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """Steps ``skip_first`` are skipped; then cycles of ``wait`` idle, ``warmup`` and ``active``
    recorded steps, ``repeat`` times (0: forever). The last active step of a cycle saves the
    trace (calls ``on_trace_ready``).

    >>> sched = schedule(wait=1, warmup=1, active=2)
    >>> [sched(i).name for i in range(4)]
    ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise ValueError(f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), "
                         f"warmup={warmup} (need >= 0), active={active} (need > 0), "
                         f"repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    cycle = wait + warmup + active

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise ValueError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait
        if repeat > 0 and step >= repeat * cycle:
            return ProfilerAction.NONE
        phase = step % cycle
        if phase < wait:
            return ProfilerAction.NONE
        if phase < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if phase < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return schedule_fn


def _always_record(_: int) -> ProfilerAction:
    return ProfilerAction.RECORD


_A = ProfilerAction
_RECORDING = (_A.RECORD, _A.RECORD_AND_SAVE)


class profile:
    """Time the ops, backward nodes and `record_function` blocks run inside it.

    >>> x, w = ember.randn(8, 4), ember.randn(4, 3, requires_grad=True)
    >>> with ember.profiler.profile(record_shapes=True) as prof:
    ...     y = (x @ w).relu().sum()
    ...     y.backward()
    >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    --...

    With a ``schedule``, call ``prof.step()`` after each training step; ``on_trace_ready``
    receives the profiler at the end of every active cycle (see `tensorboard_trace_handler`).
    """

    def __init__(self, *, activities: Iterable[ProfilerActivity] | None = None,
                 schedule: Callable[[int], ProfilerAction] | None = None,
                 on_trace_ready: Callable | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False,
                 with_flops: bool = False, with_modules: bool = False,
                 experimental_config=None, execution_trace_observer=None,
                 acc_events: bool = False, use_cuda: bool | None = None,
                 custom_trace_id_callback=None):
        self.activities = set(activities) if activities is not None else supported_activities()
        self.schedule = schedule or _always_record
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.with_modules = with_modules
        self.acc_events = acc_events
        self.step_num = 0
        self.current_action = self.schedule(0)
        self._step_range = None
        self._recorder: Recorder | None = None
        self._events: list = []
        self._base_time_ns = 0

    # -- the life cycle --------------------------------------------------------------------
    def __enter__(self) -> "profile":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """Begin profiling (what entering the ``with`` block does)."""
        self._transit(_A.NONE, self.current_action)
        self._enter_step()

    def stop(self) -> None:
        """End profiling (what leaving the ``with`` block does)."""
        self._exit_step()
        self._transit(self.current_action, None)

    def step(self) -> None:
        """Mark the end of a step: the schedule decides what the next one does."""
        self._exit_step()
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit(previous, self.current_action)
        self._enter_step()

    def _enter_step(self) -> None:
        if self.record_steps:
            self._step_range = record_function(f"ProfilerStep#{self.step_num}").__enter__()

    def _exit_step(self) -> None:
        if self._step_range is not None:
            self._step_range.__exit__(None, None, None)
            self._step_range = None

    def _transit(self, previous, current) -> None:
        # A cycle ends (trace saved) after RECORD_AND_SAVE, and when profiling stops while
        # recording; a new recording starts whenever an active step follows another state.
        was, now = previous in _RECORDING, current in _RECORDING
        if was and (previous is _A.RECORD_AND_SAVE or not now):
            self._stop_trace()
            if previous is _A.RECORD_AND_SAVE or current is None:
                self._trace_ready()
            was = False
        if now and not was:
            self._start_trace()

    def _start_trace(self) -> None:
        recorder = Recorder(self.record_shapes or self.with_flops, self.profile_memory,
                            self.with_stack)
        recorder.install()
        self._recorder = recorder
        self._base_time_ns = time.time_ns()

    def _stop_trace(self) -> None:
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return
        recorder.uninstall()
        events = self._build_events(recorder)
        self._events = self._events + events if self.acc_events else events

    def _trace_ready(self) -> None:
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def _build_events(self, recorder: Recorder) -> list:
        events, by_range = [], {}
        for r in recorder.ranges:
            if r.end_ns is None:  # still open when profiling stopped
                continue
            # The steps share one name in tables (as in PyTorch); the trace numbers them.
            name = "ProfilerStep*" if r.name.startswith("ProfilerStep#") else r.name
            e = FunctionEvent(len(events), name, r.thread,
                              (r.start_ns - recorder.start_ns) / 1e3,
                              (r.end_ns - recorder.start_ns) / 1e3, r.category,
                              r.shapes if self.record_shapes else None, r.stack, r.nbytes,
                              trace_name=r.name)
            if self.with_flops and r.shapes is not None:
                e.flops = flops_of(r.name, r.shapes)
            parent = by_range.get(id(r.parent))
            if parent is not None:
                e.cpu_parent = parent
                parent.cpu_children.append(e)
            by_range[id(r)] = e
            events.append(e)
        return events

    # -- results ---------------------------------------------------------------------------
    def events(self) -> EventList:
        """Every recorded range of the last trace, in the order they started."""
        if self._recorder is not None:  # asked while recording: what has finished so far
            events = self._build_events(self._recorder)
        else:
            events = self._events
        return EventList(events, profile_memory=self.profile_memory,
                         with_flops=self.with_flops, base_time_ns=self._base_time_ns)

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """The events summed per name (see `EventList.key_averages`)."""
        return self.events().key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path: str) -> None:
        """Write the trace as Chrome trace JSON (``.gz``: compressed)."""
        self.events().export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """Write flame-graph stacks (needs ``with_stack=True``)."""
        self.events().export_stacks(path, metric)


class record_function:
    """Time a block (or every call of a decorated function) as a named range.

    >>> model, x = nn.Linear(4, 2), ember.randn(3, 4)
    >>> with ember.profiler.profile() as prof:
    ...     with ember.profiler.record_function("forward"):
    ...         y = model(x)
    >>> "forward" in [event.key for event in prof.key_averages()]
    True
    >>> @ember.profiler.record_function("loss")
    ... def loss_fn(y, t): ...

    Costs nothing when no profiler is recording.
    """

    def __init__(self, name: str, args: str | None = None):
        self.name = name
        self.args = args
        self._recorder = None
        self._range = None

    def __enter__(self) -> "record_function":
        if _hook.ACTIVE:
            self._recorder = _hook.ACTIVE[0]
            self._range = self._recorder.open(self.name, "user_annotation")
        return self

    def __exit__(self, *exc) -> bool:
        if self._range is not None:
            self._recorder.close(self._range)
            self._recorder = self._range = None
        return False

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return timed


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False) -> Callable[[profile], None]:
    """An ``on_trace_ready`` that writes ``<dir>/<worker>.<ns>.pt.trace.json`` per cycle, the
    files TensorBoard's profiler plugin reads (``worker_name`` defaults to host_pid)."""
    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{_hostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, name))
    return handler

