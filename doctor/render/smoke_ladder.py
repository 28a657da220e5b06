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

from typing import Any, List, Mapping, Optional, Sequence

from doctor.knowledge.wording import dialect as words
from doctor.render.timeline import Column, draw_columns
from doctor.words import ms


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
    lines = [words.LADDER_TITLE.format(run=index + 1), *draw_columns(columns)]
    if any(_number(net.get(key)) is not None for key, _l, _n in words.NET_PHASES):
        connect = _number(run.get("connect_ms"))
        lines.append(words.NET_NOTE.format(connect=ms(connect) if connect is not None else "reused or unknown"))
    lines.append(words.PEERS)
    return lines


def _number(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
