"""The smoke test's timing table for people (`-v`): one row per run, then percentiles.

`EXTRAS` is picked up by the console renderer under -v; it only reads the smoke checks'
result data (stream.chat's and stream.responses's, one shape).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from doctor.knowledge.wording import dialect as say
from doctor.model import CheckResult

# (data key, column title)
COLUMNS: Tuple[Tuple[str, str], ...] = (
    ("headers_ms", "headers"),
    ("first_chunk_ms", "1st chunk"),
    ("ttft_ms", "1st token"),
    ("last_token_ms", "last tok"),
    ("total_ms", "total"),
    ("tokens_per_s", "tok/s"),
)
_LABEL_WIDTH = 7
_CELL_WIDTH = 10


def timing_table(data: Mapping[str, Any]) -> List[str]:
    """Lines of the table (plain text, fixed width) from `stream.chat`'s `data`."""
    runs: Sequence[Mapping[str, Any]] = data.get("runs") or []
    if not runs:
        return []
    show_reasoning = any(run.get("first_reasoning_ms") is not None for run in runs)
    columns = list(COLUMNS)
    if show_reasoning:
        columns.insert(2, ("first_reasoning_ms", "reasoning"))
    header = "".ljust(_LABEL_WIDTH) + "".join(title.rjust(_CELL_WIDTH) for _, title in columns) + "  conn"
    lines = ["times from the request being sent (ms):", header]
    for index, run in enumerate(runs):
        label = f"run {index + 1}"
        cells = "".join(_cell(run.get(key), key).rjust(_CELL_WIDTH) for key, _ in columns)
        extra = run.get("connection") or "?"
        if run.get("error"):
            extra += f"  [{run['error']}]"
        elif run.get("buffering") == "buffered":
            extra += "  [buffered]"
        lines.append(label.ljust(_LABEL_WIDTH) + cells + "  " + extra)
    stats: Mapping[str, Optional[Mapping[str, float]]] = data.get("stats") or {}
    if len(runs) > 1 and any(stats.values()):
        for stat in ("min", "p50", "p90", "max"):
            cells = "".join(_cell(_stat(stats, key, stat), key).rjust(_CELL_WIDTH) for key, _ in columns)
            lines.append(stat.ljust(_LABEL_WIDTH) + cells)
    gaps = [run["itl_ms"] for run in runs if run.get("itl_ms")]
    if gaps:
        worst = max(gaps, key=lambda g: g["max"])
        lines.append(
            f"inter-token gaps: p50 {worst['p50']:.1f} ms, p90 {worst['p90']:.1f} ms, max {worst['max']:.1f} ms"
            + (" (run with the largest gap)" if len(gaps) > 1 else "")
        )
    if data.get("max_ttft_ms") is not None:
        lines.append(f"limit: time to first token {data['max_ttft_ms']:.0f} ms (--max-ttft)")
    return lines


def _stat(stats: Mapping[str, Optional[Mapping[str, float]]], key: str, stat: str) -> Optional[float]:
    values = stats.get(key)
    return values.get(stat) if values else None


def _cell(value: Optional[float], key: str) -> str:
    if value is None:
        return "-"
    if key == "tokens_per_s":
        return f"{value:.1f}"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def dialect_lines(data: Mapping[str, Any]) -> List[str]:
    """The dialect section (doctor.stream.dialect's `smoke.dialect`): a few lines, under -v only,
    like the table: it is not a finding, and the default output is one line per check."""
    d = data.get("dialect")
    if not isinstance(d, Mapping):
        return []
    lines = [say.looks_like(d.get("family"), d.get("evidence") or ())]
    if d.get("api") != "responses":  # the Responses API has no chunks of choices, its usage is the last event's
        lines += [say.usage_line(str(d.get("usage")), d.get("reasoning_field")),
                  say.first_chunk_line(bool(d.get("empty_choices_first_chunk")), bool(d.get("role_only_first_chunk")))]
    extras = say.extras_line(int(d.get("sse_comments") or 0), d.get("first_comment"), bool(d.get("obfuscation")))
    lines += [extras] if extras else []
    lines += [say.server_line(str(d["server"]))] if d.get("server") else []
    if d.get("headers_held_until_first_token") and d.get("headers_ms") is not None and d.get("first_token_any_ms") is not None:
        lines.append(say.held_line(float(d["headers_ms"]), float(d["first_token_any_ms"])))
    return lines


def _extra(result: CheckResult) -> List[str]:
    from doctor.render.smoke_ladder import ladder

    data = dict(result.data)
    return [*timing_table(data), *ladder(data), *dialect_lines(data)]


# stream.responses judges its runs into the same data (doctor.checks.smoke_judging.check_data).
EXTRAS: Dict[str, Callable[[CheckResult], List[str]]] = {"stream.chat": _extra, "stream.responses": _extra}
