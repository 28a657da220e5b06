"""GitHub Actions output: one workflow-command annotation per problem, and the job's step summary.

`workflow_commands` gives `::error` (fail, error) and `::warning` (warn; `::error` under `--strict`,
where the exit code fails on it) lines, titled with the check id and code, the message being the
summary and the first fix. `step_summary` is the Markdown appended to `$GITHUB_STEP_SUMMARY`: a
table of every check and, when the smoke test ran, its percentiles (one table per API that ran:
chat's, then the Responses API's under `--api responses|both`).

Both carry text a server chose (a 401's message ends up in a summary), so both escape it for
where it goes: a workflow command is one line, and `%`, CR and LF in its message are written
%25, %0D, %0A (in properties also `:` as %3A and `,` as %2C), so an echoed "\\n::error::..." stays
inside the message instead of becoming a command of its own; a Markdown cell gets its `|`,
line breaks and markup characters escaped, so a summary cannot end the table, embed HTML or a
link. Pure: a report in, text out (doctor.commands.ci writes it).
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Optional, Tuple

from doctor.model import CheckResult, Report, Status
from doctor.render.console import terminal_text
from doctor.render.plain import plain
from doctor.words import ms

# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that mean something
# inside a table cell: code spans, emphasis, links, HTML and entities, strikethrough, the cell end.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>&|~])")

_STATUS_CELLS = {
    Status.OK: "✅ ok",
    Status.WARN: "⚠️ warn",
    Status.FAIL: "❌ fail",
    Status.SKIP: "⏭️ skip",
    Status.ERROR: "💥 error",
}
# (smoke timing key, row title), in the order of a request's life.
_TIMINGS: Tuple[Tuple[str, str], ...] = (
    ("headers_ms", "response headers"),
    ("first_chunk_ms", "first chunk"),
    ("ttft_ms", "first token (TTFT)"),
    ("last_token_ms", "last token"),
    ("total_ms", "total"),
    ("tokens_per_s", "tokens/s"),
)
_STATS = ("min", "p50", "p90", "max")


# --- workflow commands -------------------------------------------------------------------------


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF percent-encoded (the runner decodes them)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (`title=`): as a message, plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def one_line(text: str) -> str:
    """Text from a report as one visible line: controls (CR and LF included) and line separators
    shown escaped (doctor.render.plain), so the only line breaks in a message are this module's."""
    return plain(text)


def level(result: CheckResult, *, strict: bool = False) -> Optional[str]:
    """The annotation a result gets: error, warning, or None (ok and skip get none)."""
    if result.status in (Status.FAIL, Status.ERROR) or (strict and result.status is Status.WARN):
        return "error"
    return "warning" if result.status is Status.WARN else None


def annotation(result: CheckResult, *, strict: bool = False) -> Optional[str]:
    """The one-line `::error title=...::message` command of a result, or None."""
    kind = level(result, strict=strict)
    if kind is None:
        return None
    title = f"{result.id} ({result.code})" if result.code else result.id
    parts = [one_line(terminal_text(result.summary))]
    if result.fixes:
        fix = result.fixes[0]
        parts.append(f"fix: {one_line(terminal_text(fix.text))}")
        if fix.command:
            parts += [one_line(line) for line in fix.command.splitlines()]
    return f"::{kind} title={escape_property(title)}::{escape_data(chr(10).join(parts))}"


def workflow_commands(report: Report) -> List[str]:
    """The annotations of a report, in its order."""
    found = (annotation(result, strict=report.strict) for result in report.checks)
    return [line for line in found if line is not None]


# --- the step summary --------------------------------------------------------------------------


def cell(text: str) -> str:
    """Text as one Markdown table cell: markup characters and `|` backslash-escaped, controls
    shown escaped, line breaks as `<br>` (the one piece of HTML written on purpose)."""
    return "<br>".join(_MARKDOWN.sub(r"\\\1", one_line(line)) for line in text.splitlines() or [""])


def step_summary(report: Report) -> str:
    """The Markdown for `$GITHUB_STEP_SUMMARY`: a heading with the verdict, a table of the checks,
    the smoke test's percentiles when it ran."""
    code = int(report.exit_code)
    # A blank line first: the file may end in another step's paragraph without a newline.
    lines = ["", f"### chat-doctor: {report.verdict} (exit {code})", ""]
    if report.target is not None or report.endpoint is not None:
        lines += [_where(report), ""]
    lines += ["| status | check | code | summary |", "| --- | --- | --- | --- |"]
    for result in report.checks:
        code_cell = f"`{result.code}`" if result.code else ""
        lines.append(f"| {_STATUS_CELLS[result.status]} | `{result.id}` | {code_cell} | "
                     f"{cell(terminal_text(result.summary))} |")
    lines += smoke_table(report.smoke)
    if report.smoke_responses is not None and _api(report.smoke) == "chat":  # --api both: the second run
        lines += smoke_table(report.smoke_responses)
    lines += _stream_picture(report)
    return "\n".join(lines) + "\n\n"


def _stream_picture(report: Report) -> List[str]:
    """When each token arrived (doctor.render.stream_picture), in a code block: GitHub shows the
    blocks in a monospaced font, so the columns line up."""
    from doctor.render.report_markdown import fence
    from doctor.render.stream_picture import stream_picture

    found = {result.id: result for result in report.checks}
    stream = found.get("stream.chat") or found.get("stream.responses")
    lines = stream_picture(dict(stream.data)) if stream is not None else []
    return ["", *fence(lines)] if lines else []


def smoke_table(smoke: Optional[Mapping[str, Any]]) -> List[str]:
    """The smoke test's min, p50, p90 and max of each timing, over the runs that succeeded."""
    if not smoke:
        return []
    listed = smoke.get("runs")
    runs: List[Any] = list(listed) if isinstance(listed, (list, tuple)) else []
    failed = sum(1 for run in runs if isinstance(run, Mapping) and run.get("error"))
    which = ", Responses API" if _api(smoke) == "responses" else ""
    heading = f"Smoke test{which}: {len(runs)} run{'s' if len(runs) != 1 else ''} of {cell(str(smoke.get('model', '?')))}"
    heading += f", {failed} failed" if failed else ""
    timings = smoke.get("timings_ms")
    timings = timings if isinstance(timings, Mapping) else {"ttft_ms": smoke.get("ttft_ms")}
    rows = []
    for key, title in _TIMINGS:
        stats = timings.get(key)
        if isinstance(stats, Mapping):
            rows.append(f"| {title} | " + " | ".join(_figure(key, stats.get(stat)) for stat in _STATS) + " |")
    if not rows:
        return ["", f"**{heading}**: no run succeeded, so there is nothing to time."]
    return ["", f"**{heading}**", "", "| | min | p50 | p90 | max |", "| --- | --- | --- | --- | --- |", *rows]


def _api(smoke: Optional[Mapping[str, Any]]) -> Optional[str]:
    """A smoke object's API (one without `api` is chat's: from before the Responses API)."""
    return None if not smoke else str(smoke.get("api") or "chat")


def _where(report: Report) -> str:
    parts = []
    if report.target is not None:
        parts.append(f"target {cell(report.target.python)} ({cell(report.target.selected_by)})")
    if report.endpoint is not None:
        parts.append(f"endpoint {cell(report.endpoint.base_url)} ({cell(report.endpoint.kind)})")
    return " · ".join(parts)


def _figure(key: str, value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "-"
    return f"{value:.1f}" if key == "tokens_per_s" else ms(float(value))
