"""The smoke test's TTFT ladder as an httpstat-style drawing (`-v`), beside the timing table.

     DNS*    TCP*     TLS*    Headers  First Byte  First Chunk  First Token  First Content   Total
  [0.2 ms | 0.1 ms | 3.1 ms |  41 ms  |  0.3 ms  |   0.1 ms   |   250 ms   |    0.0 ms    | 120 ms ]
  ...                                                       first_token_any:291 ms
                                                                     ttft:291 ms ...

Each column is the time from the rung before it; the names under the drawing are the JSON keys
(the time from the request being sent), so each peer's TTFT is read off one run (README, "The TTFT
ladder"). DNS/TCP/TLS come from the net checks when they ran in this report, on their own
connection (marked *). Pure text from `stream.chat`'s result data, modelled on
doctor.render.timeline.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Tuple

from doctor.knowledge.wording import dialect as words
from doctor.words import ms

Column = Tuple[str, str, float]  # label in the bar, the name under it with its time, the bar's duration


def ladder(data: Mapping[str, Any]) -> List[str]:
    """The drawing for the first run that has a headers time; [] when none has."""
    runs: Sequence[Mapping[str, Any]] = data.get("runs") or []
    found = next(((i, r) for i, r in enumerate(runs) if _number(r.get("headers_ms")) is not None), None)
    if found is None:
        return []
    index, run = found
    given = data.get("net_ms")
    net: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    columns: List[Column] = []
    total = 0.0
    for key, label, name in words.NET_PHASES:
        value = _number(net.get(key))
        if value is not None:
            total += value
            columns.append((label, f"{name}:{ms(total)}", value))
    previous = 0.0
    for key, label, name in words.LADDER_RUNGS:
        value = _number(run.get(key))
        if value is None:
            continue
        columns.append((label, f"{name}:{ms(value)}", max(0.0, value - previous)))
        previous = max(previous, value)
    lines = [words.LADDER_TITLE.format(run=index + 1), *draw(columns)]
    if any(_number(net.get(key)) is not None for key, _l, _n in words.NET_PHASES):
        connect = _number(run.get("connect_ms"))
        lines.append(words.NET_NOTE.format(connect=ms(connect) if connect is not None else "reused or unknown"))
    lines.append(words.PEERS)
    return lines


def draw(columns: Sequence[Column]) -> List[str]:
    """httpstat's layout: durations in a bracketed bar, each cumulative name hanging under its end."""
    if not columns:
        return []
    widths = [max(len(label), len(ms(value))) + 2 for label, _n, value in columns]
    header = " " + " ".join(label.center(w) for (label, _n, _v), w in zip(columns, widths))
    bar = "[" + "|".join(ms(v).center(w) for (_l, _n, v), w in zip(columns, widths)) + "]"
    ends: List[int] = []
    position = 0
    for width in widths:
        position += width + 1
        ends.append(position)
    texts = [name for _l, name, _v in columns]
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
    line = [" "] * (ends[-1] + 1)
    for end in ends[first:]:
        line[end] = "|"
    return "".join(line).rstrip()


def _number(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
