"""`chat-doctor report --format text`: the problem report as plain lines, to paste anywhere.

The Markdown format (doctor.render.report_markdown) wraps these same lines in code blocks.
Every value passes through `inert` (a server's text may carry terminal controls) and loses its
Markdown code spans (`terminal_text`), as on the console. Each API's smoke run has its section
(`[smoke]` for chat, `[smoke responses]`): the model and SDK, the dialect's family, where a
buffered stream was held (the cause and its retries), the timing table, the TTFT ladder's rungs
by their JSON names (so a peer's TTFT can be read off), the picture.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence

from doctor.knowledge.wording import buffering
from doctor.knowledge.wording import dialect as words
from doctor.render.console import terminal_text
from doctor.render.inert import inert
from doctor.render.report_facts import ProblemReport, Row, SmokeRun
from doctor.render.smoke import timing_table
from doctor.render.stream_picture import stream_picture

PICTURE_WIDTH = 60
_LABEL_WIDTH = 22
_ID_WIDTH = 19


def title(report: ProblemReport) -> str:
    return f"chat-doctor report: {report.verdict} (check exits {report.exit_code})"


def _rows(rows: Sequence[Row], indent: str = "") -> List[str]:
    return [f"{indent}{row.label.ljust(_LABEL_WIDTH)}{_clean(row.value)}" for row in rows]


def _clean(text: str) -> str:
    return inert(terminal_text(text))


def _check_line(status: str, check_id: str, code: str, summary: str) -> str:
    return f"{status.ljust(6)}{check_id.ljust(_ID_WIDTH)} {code.ljust(_ID_WIDTH + 6)} {_clean(summary)}".rstrip()


def summary_lines(report: ProblemReport) -> List[str]:
    """The summary: versions, endpoint, key shape, then every check that is not ok."""
    lines = _rows(report.summary)
    lines.append("checks".ljust(_LABEL_WIDTH) + report.verdict)
    problems = [c for c in report.checks if c.status not in ("ok", "skip")]
    for check in problems:
        lines.append("  " + _check_line(check.status, check.id, check.code or "-", check.summary))
    return lines


def detail_lines(report: ProblemReport, *, ascii_only: bool = False) -> List[str]:
    """Every section, every check with its status and code, and the smoke run's timings."""
    lines: List[str] = []
    for section in report.sections:
        lines += [f"[{section.title}]", *_rows(section.rows, "  "), ""]
    lines.append("[checks]")
    lines += ["  " + _check_line(c.status, c.id, c.code or "-", c.summary) for c in report.checks]
    for run in report.smoke_runs:
        smoke = smoke_lines(run, ascii_only=ascii_only)
        if smoke:  # a run that never started has neither an SDK nor timings to show
            lines += ["", SECTION_TITLES.get(run.api, f"[smoke {run.api}]"), *("  " + _clean(line) for line in smoke)]
    return lines


SECTION_TITLES = {"chat": "[smoke]", "responses": "[smoke responses]"}


def smoke_lines(run: SmokeRun, *, ascii_only: bool = False) -> List[str]:
    """One API's smoke section, without its title."""
    data = dict(run.data or {})
    lines: List[str] = []
    if run.smoke.get("sdk"):
        lines.append(f"model {run.smoke.get('model', '?')}, {run.smoke['sdk']}")
    dialect = run.smoke.get("dialect") or data.get("dialect")
    if isinstance(dialect, Mapping):
        lines.append(words.looks_like(dialect.get("family"), dialect.get("evidence") or ()))
    lines += cause_lines(run.smoke.get("cause") or data.get("cause"),
                         run.smoke.get("cause_evidence") or data.get("cause_evidence"))
    if not data:
        return lines
    return [*lines, *timing_table(data), *ladder_lines(data),
            *stream_picture(data, width=PICTURE_WIDTH, ascii_only=ascii_only)]


def cause_lines(cause: Any, evidence: Any) -> List[str]:
    """Where a buffered stream was held and the retries that showed it (doctor.stream.buffer_cause's
    `cause` and `cause_evidence`, as the JSON has them), in the check's own words; [] without a cause."""
    if not isinstance(cause, str):
        return []
    evidence = evidence if isinstance(evidence, Mapping) else {}
    proxy = evidence.get("proxy") if isinstance(evidence.get("proxy"), str) else None
    lines = [buffering.found(cause)]
    for retry in evidence.get("retries") or ():
        if isinstance(retry, Mapping):
            lines.append(buffering.retry_line(retry.get("route") == "direct", proxy, str(retry.get("buffering")),
                                              str(retry.get("reason"))))
    if evidence.get("proxy_required") is True:
        lines.append(buffering.proxy_required(proxy))
    if isinstance(evidence.get("direct_not_tried"), str):
        lines.append(buffering.direct_not_tried(evidence["direct_not_tried"]))
    return lines


def ladder_lines(data: Mapping[str, Any]) -> List[str]:
    """The TTFT ladder's rungs of the first run that has a headers time, each by its JSON key
    (doctor.render.smoke_ladder draws them for the console: too wide for a pasted report)."""
    runs: Sequence[Mapping[str, Any]] = data.get("runs") or []
    found = next(((i, r) for i, r in enumerate(runs) if _number(r.get("headers_ms")) is not None), None)
    if found is None:
        return []
    index, run = found
    rungs = [f"{key} {_figure(_number(run.get(key)))}" for key, _label, _name in words.LADDER_RUNGS]
    return [words.LADDER_TITLE.format(run=index + 1), "  " + ", ".join(rungs)]


def _number(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _figure(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_text(report: ProblemReport, *, ascii_only: bool = False) -> str:
    lines = [title(report), "", *summary_lines(report), "", *detail_lines(report, ascii_only=ascii_only)]
    return "\n".join(line.rstrip() for line in lines) + "\n"
