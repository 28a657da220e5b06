"""`chat-doctor report --format text`: the problem report as plain lines, to paste anywhere.

The Markdown format (doctor.render.report_markdown) wraps these same lines in code blocks.
Every value passes through `inert` (a server's text may carry terminal controls) and loses its
Markdown code spans (`terminal_text`), as on the console.
"""

from __future__ import annotations

from typing import List, Sequence

from doctor.render.console import terminal_text
from doctor.render.inert import inert
from doctor.render.report_facts import ProblemReport, Row
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
    if report.stream_data is not None:
        data = dict(report.stream_data)
        smoke = [*timing_table(data), *stream_picture(data, width=PICTURE_WIDTH, ascii_only=ascii_only)]
        if report.smoke is not None and report.smoke.get("sdk"):
            smoke.insert(0, f"model {report.smoke.get('model', '?')}, {report.smoke['sdk']}")
        lines += ["", "[smoke]", *("  " + _clean(line) for line in smoke)]
    return lines


def render_text(report: ProblemReport, *, ascii_only: bool = False) -> str:
    lines = [title(report), "", *summary_lines(report), "", *detail_lines(report, ascii_only=ascii_only)]
    return "\n".join(line.rstrip() for line in lines) + "\n"
