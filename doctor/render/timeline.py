"""httpstat-style drawing of a check's phase timings (`-v`).

         DNS Lookup   TCP Connect   TLS Handshake   Server Wait   Transfer
       [   1.2 ms   |    0.4 ms   |     4.1 ms    |    12 ms    |  0.2 ms  ]
                    |             |               |             |          |
    namelookup:1.2 ms             |               |             |          |
                     connect:1.6 ms               |             |          |
                                 pretransfer:5.7 ms             |          |
                                              starttransfer:18 ms          |
                                                                 total:18 ms

Input is `data["timings_ms"]` as doctor.net.timing documents it (phase durations). Pure text:
no rich, so it is cheap to import and easy to test. `EXTRAS` maps check ids to drawings and is
read by the console renderer under -v.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Mapping, Sequence, Tuple

from doctor.words import ms

if TYPE_CHECKING:
    from doctor.model import CheckResult

# phase key -> (column label, cumulative label), in the order phases happen
_COLUMNS: Tuple[Tuple[str, str, str], ...] = (
    ("dns", "DNS Lookup", "namelookup"),
    ("connect", "TCP Connect", "connect"),
    ("proxy", "Proxy Tunnel", "tunnel"),
    ("tls", "TLS Handshake", "pretransfer"),
    ("wait", "Server Wait", "starttransfer"),
    ("transfer", "Transfer", "total"),
)


Column = Tuple[str, str, float]  # label in the bar, the name hung under its end (with its time), the bar's duration


def draw(timings: Mapping[str, float]) -> List[str]:
    columns: List[Column] = []
    total = 0.0
    for key, label, cumulative in _COLUMNS:
        if key in timings:
            total += float(timings[key])
            columns.append((label, f"{cumulative}:{ms(total)}", float(timings[key])))
    return draw_columns(columns)


def draw_columns(columns: Sequence[Column]) -> List[str]:
    """httpstat's layout: durations in a bracketed bar, each cumulative name hanging under its
    column's end (also the smoke test's TTFT ladder, doctor.render.smoke_ladder)."""
    if not columns:
        return []
    widths = [max(len(label), len(ms(value))) + 2 for label, _n, value in columns]
    header = " " + " ".join(label.center(w) for (label, _n, _v), w in zip(columns, widths)) + " "
    bar = "[" + "|".join(ms(v).center(w) for (_l, _n, v), w in zip(columns, widths)) + "]"
    # position of the "|" (or the closing "]") after each column
    ends = []
    position = 0
    for width in widths:
        position += width + 1
        ends.append(position)
    texts = [name for _l, name, _v in columns]
    # Shift everything right when a cumulative label would start left of the drawing.
    pad = max(0, *(len(text) - ends[i] - 1 for i, text in enumerate(texts)))
    ends = [end + pad for end in ends]
    lines = [" " * pad + header.rstrip(), " " * pad + bar, _ticks(ends, 0)]
    for index, text in enumerate(texts):
        stop = ends[index]
        line = list(_ticks(ends, index + 1).ljust(stop + 1))
        line[stop + 1 - len(text): stop + 1] = list(text)
        lines.append("".join(line).rstrip())
    return lines


def _ticks(ends: List[int], first: int) -> str:
    """A line with "|" under every column boundary from `first` on."""
    if not ends:
        return ""
    line = [" "] * (ends[-1] + 1)
    for end in ends[first:]:
        line[end] = "|"
    return "".join(line).rstrip()


def timeline_extra(result: CheckResult) -> List[str]:
    timings = result.data.get("timings_ms") if isinstance(result.data, Mapping) else None
    return draw(timings) if isinstance(timings, Mapping) else []


def model_tasks_extra(result: CheckResult) -> List[str]:
    """What the key can reach, grouped by task (api.model's data["tasks"])."""
    tasks = result.data.get("tasks") if isinstance(result.data, Mapping) else None
    if not isinstance(tasks, Mapping):
        return []
    lines = ["models by task:"]
    for task, listed in tasks.items():
        names = list(listed)
        shown = ", ".join(names[:8]) + (f", +{len(names) - 8} more" if len(names) > 8 else "")
        lines.append(f"  {task} ({len(names)}): {shown}")
    return lines


EXTRAS: Dict[str, Callable] = {
    "net.tcp": timeline_extra,
    "net.tls": timeline_extra,
    "api.auth": timeline_extra,
    "api.model": model_tasks_extra,
}
