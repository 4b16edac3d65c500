"""Chrome trace export: the JSON that Perfetto, chrome://tracing and TensorBoard open.

Each event is one complete ("X") event with its start ``ts`` and ``dur`` in µs; a thread's
events nest exactly as their ranges did, which the viewers draw as a stack per thread.
"""
from __future__ import annotations

import json
import os


def trace_events(events, pid: int) -> list:
    """The ``traceEvents`` list: name metadata for the process and threads, then ranges."""
    threads = sorted({e.thread for e in events})
    out = [{"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
            "args": {"name": "python"}},
           {"ph": "M", "name": "process_labels", "pid": pid, "tid": 0,
            "args": {"labels": "CPU"}}]
    for tid in threads:
        out.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                    "args": {"name": f"thread {tid} (python)"}})
    for e in events:
        args = {}
        if e.input_shapes:
            args["Input Dims"] = e.input_shapes
        if e.cpu_memory_usage:
            args["Memory bytes"] = e.cpu_memory_usage
        if e.stack:
            args["Call stack"] = ";".join(e.stack)
        out.append({"ph": "X", "cat": e.category, "name": e.trace_name, "pid": pid, "tid": e.thread,
                    "ts": e.time_range.start, "dur": e.cpu_time_total, "args": args})
    return out


def write_chrome_trace(events, path: str, base_time_ns: int) -> None:
    trace = {"schemaVersion": 1, "deviceProperties": [], "host_name": _hostname(),
             "displayTimeUnit": "ms", "baseTimeNanoseconds": base_time_ns,
             "traceEvents": trace_events(events, os.getpid()), "traceName": path}
    tmp = f"{path}.{os.getpid()}.tmp"
    import gzip
    with (gzip.open(tmp, "wt") if path.endswith(".gz") else open(tmp, "w")) as f:
        json.dump(trace, f)
    os.replace(tmp, path)


def _hostname() -> str:
    import socket  # (only a trace needs it: not loaded by ``import ember``)
    return socket.gethostname()
