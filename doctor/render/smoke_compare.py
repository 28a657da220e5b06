"""The side-by-side comparison of the two streaming APIs under `smoke --api both`: TTFT, total,
tokens and tokens/s per API (medians over the runs), and each check's verdict. Renders only:
the figures are the report's `smoke` (chat) and `smoke_responses` objects.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional

from doctor.knowledge.wording import stream_responses as say
from doctor.model import Report
from doctor.words import ms

_CHECKS = {"chat": "stream.chat", "responses": "stream.responses"}


def comparison(report: Report) -> List[str]:
    """The lines of the comparison; none unless both APIs ran."""
    chat, responses = report.smoke, report.smoke_responses
    if chat is None or responses is None or chat.get("api") != "chat":
        return []
    verdicts = {c.id: c.status.value + (f" [{c.code}]" if c.code else "") for c in report.checks}
    rows = [list(say.COMPARE_HEADINGS)]
    for name, smoke in zip(say.COMPARE_ROWS, (chat, responses)):
        rows.append([name, ms(_p50(smoke, "ttft_ms"), "-"), ms(_p50(smoke, "total_ms"), "-"), _tokens(smoke),
                     _rate(_p50(smoke, "tokens_per_s")), verdicts.get(_CHECKS[name], "-")])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [say.COMPARE_TITLE]
    for row in rows:
        first = row[0].ljust(widths[0])
        figures = "  ".join(cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1]))
        lines.append(f"  {first}  {figures}  {row[-1]}".rstrip())
    return lines


def _p50(smoke: Mapping[str, Any], key: str) -> Optional[float]:
    timings = smoke.get("timings_ms") or {}
    value = (timings.get(key) or {}).get("p50")
    return value if isinstance(value, (int, float)) else None


def _tokens(smoke: Mapping[str, Any]) -> str:
    runs = [r for r in smoke.get("runs") or [] if not r.get("error")]
    counts = [r.get("completion_tokens") if r.get("completion_tokens") is not None else r.get("content_chunks")
              for r in runs]
    counts = sorted(c for c in counts if isinstance(c, int))
    return str(counts[len(counts) // 2]) if counts else "-"


def _rate(value: Optional[float]) -> str:
    return f"{value:g}" if value is not None else "-"
