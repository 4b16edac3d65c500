"""The profiler's results: `FunctionEvent` (one timed range), `FunctionEventAvg` (a row of
`key_averages`) and `EventList` (a list of either, with ``table`` and trace export).

Times are in microseconds and memory in bytes, as in PyTorch's profiler.
"""
from __future__ import annotations


class Interval:
    """The start and end of a range, in µs since the profiler started."""

    __slots__ = ("start", "end")

    def __init__(self, start: float, end: float):
        self.start = start
        self.end = end

    def elapsed_us(self) -> float:
        return self.end - self.start

    def __repr__(self) -> str:
        return f"Interval(start={self.start}, end={self.end})"


class _DeviceFree:
    # Ember's profiler times the CPU; device columns are zero, so that PyTorch code that
    # sorts by them still runs.
    device_time_total = self_device_time_total = device_time = 0.0
    cuda_time_total = self_cuda_time_total = cuda_time = 0.0
    device_memory_usage = self_device_memory_usage = 0
    cuda_memory_usage = self_cuda_memory_usage = 0


class FunctionEvent(_DeviceFree):
    """One op call, backward node or `record_function` block."""

    count = 1

    def __init__(self, id: int, name: str, thread: int, start_us: float, end_us: float,
                 category: str = "cpu_op", input_shapes=None, stack=None,
                 cpu_memory_usage: int = 0, trace_name: str | None = None):
        self.id = id
        self.name = name
        self.trace_name = trace_name or name  # its name in the Chrome trace
        self.thread = thread
        self.time_range = Interval(start_us, end_us)
        self.category = category
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.cpu_memory_usage = cpu_memory_usage
        self.cpu_children: list[FunctionEvent] = []
        self.cpu_parent: FunctionEvent | None = None
        self.flops = 0

    @property
    def key(self) -> str:
        """The name events are grouped by in `EventList.key_averages` (the op or label name)."""
        return self.name

    @property
    def is_user_annotation(self) -> bool:
        """Whether the event is a `record_function` label rather than an op."""
        return self.category == "user_annotation"

    @property
    def cpu_time_total(self) -> float:
        """Microseconds from the event's start to its end, its children included."""
        return self.time_range.elapsed_us()

    @property
    def cpu_time(self) -> float:
        """Another name of `cpu_time_total` for a single event."""
        return self.cpu_time_total

    @property
    def self_cpu_time_total(self) -> float:
        """Microseconds spent in the event itself: `cpu_time_total` less its children's."""
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self) -> int:
        """Bytes the event allocated itself, its children's allocations excluded."""
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} thread={self.thread} "
                f"cpu_time_total={self.cpu_time_total:.3f}us "
                f"input_shapes={self.input_shapes}>")


class FunctionEventAvg(_DeviceFree):
    """The sum of the events that share a key (and shapes, or stack, when grouped so)."""

    def __init__(self, key: str, input_shapes=None, stack=None):
        self.key = key
        self.input_shapes = input_shapes
        self.stack = stack if stack is not None else []
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.flops = 0
        self.is_user_annotation = False

    @property
    def name(self) -> str:
        """The key the averaged events share (their op or label name)."""
        return self.key

    @property
    def cpu_time(self) -> float:
        """The mean `cpu_time_total` of the averaged events, in microseconds."""
        return self.cpu_time_total / self.count if self.count else 0.0

    def add(self, event) -> "FunctionEventAvg":
        """Fold ``event`` (a `FunctionEvent` or another average) into these totals; returns self."""
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        self.cpu_memory_usage += event.cpu_memory_usage
        self.self_cpu_memory_usage += event.self_cpu_memory_usage
        self.flops += event.flops
        self.is_user_annotation = event.is_user_annotation
        return self

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} count={self.count} "
                f"cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us>")


class EventList(list):
    """A list of events, with PyTorch's summaries: `key_averages`, `table`, trace export."""

    def __init__(self, events=(), *, profile_memory: bool = False, with_flops: bool = False,
                 base_time_ns: int = 0):
        super().__init__(events)
        self.profile_memory = profile_memory
        self.with_flops = with_flops
        self.base_time_ns = base_time_ns

    def _like(self, events) -> "EventList":
        return EventList(events, profile_memory=self.profile_memory,
                         with_flops=self.with_flops, base_time_ns=self.base_time_ns)

    @property
    def self_cpu_time_total(self) -> float:
        """The sum of every event's own time (`FunctionEvent.self_cpu_time_total`), microseconds."""
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> "EventList":
        """One row per op name (and per input shapes / top stack frames when asked).

        >>> with ember.profiler.profile() as prof:
        ...     _ = ember.ones(4, 4) @ ember.ones(4, 4)
        >>> [event.key for event in prof.key_averages()]
        ['matmul']
        >>> table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)
        """
        rows: dict = {}
        for e in self:
            key = (e.key,)
            if group_by_input_shape:
                key += (str(e.input_shapes),)
            if group_by_stack_n:
                key += tuple(e.stack[:group_by_stack_n])
            row = rows.get(key)
            if row is None:
                row = rows[key] = FunctionEventAvg(
                    e.key, e.input_shapes if group_by_input_shape else None,
                    e.stack[:group_by_stack_n] if group_by_stack_n else None)
            row.add(e)
        return self._like(rows.values())

    def total_average(self) -> FunctionEventAvg:
        """All events summed into one row named ``Total``."""
        total = FunctionEventAvg("Total")
        for e in self:
            total.add(e)
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, max_name_column_width: int = 55,
              max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """PyTorch's profiler table, one row per event (per key after `key_averages`).

        ``sort_by`` is any numeric attribute of the rows: ``"cpu_time_total"``,
        ``"self_cpu_time_total"``, ``"cpu_memory_usage"``, ``"count"``...
        """
        from ._table import build_table
        events = [e for e in self if getattr(e, "cpu_parent", None) is None] \
            if top_level_events_only else list(self)
        return build_table(events, sort_by=sort_by, row_limit=row_limit, header=header,
                           profile_memory=self.profile_memory, with_flops=self.with_flops,
                           max_name_width=max_name_column_width,
                           max_shapes_width=max_shapes_column_width,
                           max_src_width=max_src_column_width, time_unit=time_unit)

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (JSON) that Perfetto and chrome://tracing open."""
        from ._chrome import write_chrome_trace
        write_chrome_trace(self, path, self.base_time_ns)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """Write ``frame;frame;...;op value`` lines (flame-graph input) for events with
        stacks (``with_stack=True``)."""
        with open(path, "w") as f:
            for e in self:
                if e.stack:
                    frames = ";".join(reversed([s.replace(";", ",") for s in e.stack]))
                    f.write(f"{frames};{e.name} {int(getattr(e, metric))}\n")

    def __str__(self) -> str:
        return self.table()
