"""The text table of `EventList.table`, laid out as PyTorch's profiler lays it out."""
from __future__ import annotations

import math

_WIDTH = 12
_FLOP_UNITS = ("FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs")


def format_time(us: float, unit: str | None = None) -> str:
    """``12.345us``, ``1.234ms`` or ``1.234s``, as PyTorch prints durations."""
    if unit == "s" or (unit is None and us >= 1e6):
        return f"{us / 1e6:.3f}s"
    if unit == "ms" or (unit is None and us >= 1e3):
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def format_memory(nbytes: int) -> str:
    """``512 B``, ``1.50 KB``, ``2.00 MB``, ``1.00 GB``."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


def _clip(text: str, width: int) -> str:
    return text[:width - 3] + "..." if len(text) >= width - 3 else text


def build_table(events, *, sort_by, row_limit, header, profile_memory, with_flops,
                max_name_width, max_shapes_width, max_src_width, time_unit) -> str:
    if not events:
        return ""
    self_total = sum(e.self_cpu_time_total for e in events)
    if sort_by is not None:
        events = sorted(events, key=lambda e: getattr(e, sort_by), reverse=True)
    if row_limit is not None and row_limit > 0:
        events = events[:row_limit]

    name_width = min(max(len(e.key) for e in events) + 4, max_name_width)
    columns = [("Name", name_width)] + [(h, _WIDTH) for h in (
        "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg")]
    if profile_memory:
        columns += [("CPU Mem", _WIDTH), ("Self CPU Mem", _WIDTH)]
    columns.append(("# of Calls", _WIDTH))
    with_shapes = any(e.input_shapes for e in events)
    if with_shapes:
        shapes_width = min(max(len(str(e.input_shapes)) for e in events) + 4, max_shapes_width)
        columns.append(("Input Shapes", shapes_width))
    with_stack = any(e.stack for e in events)
    if with_stack:
        src_width = min(max(len(s) for e in events for s in e.stack) + 4, max_src_width)
        columns.append(("Source Location", src_width))
    flops = [e.flops for e in events if e.flops > 0] if with_flops else []
    if flops:
        level = int(max(0.0, min(math.log10(min(flops)) / 3, len(_FLOP_UNITS) - 1)))
        columns.append((f"Total {_FLOP_UNITS[level]}", _WIDTH))

    def line(cells) -> str:
        return "".join(f"{c:>{w}}  " for c, (_, w) in zip(cells, columns))

    rule = "".join("-" * w + "  " for _, w in columns)
    out = []
    if header is not None:
        out += ["=" * len(rule), header]
    out += [rule, line([h for h, _ in columns]), rule]

    def percent(us: float) -> str:
        return f"{100 * us / self_total:.2f}%" if self_total else "0.00%"

    for e in events:
        cells = [_clip(e.key, name_width), percent(e.self_cpu_time_total),
                 format_time(e.self_cpu_time_total, time_unit), percent(e.cpu_time_total),
                 format_time(e.cpu_time_total, time_unit), format_time(e.cpu_time, time_unit)]
        if profile_memory:
            cells += [format_memory(e.cpu_memory_usage), format_memory(e.self_cpu_memory_usage)]
        cells.append(str(e.count))
        if with_shapes:
            cells.append(_clip(str(e.input_shapes), shapes_width))
        if with_stack:
            cells.append(_clip(e.stack[0], src_width) if e.stack else "")
        if flops:
            cells.append(f"{e.flops / 10 ** (3 * level):8.3f}" if e.flops > 0 else "--")
        out.append(line(cells))
        if with_stack:
            src_column = len(columns) - 1 - bool(flops)
            for frame in e.stack[1:]:
                blanks = [""] * len(columns)
                blanks[src_column] = _clip(frame, src_width)
                out.append(line(blanks))
    out += [rule, f"Self CPU time total: {format_time(self_total, time_unit)}", ""]
    return "\n".join(out)
