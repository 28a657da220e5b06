"""`chat-doctor report` (the default format): Markdown for an issue on GitHub or GitLab.

A heading with the verdict, the summary in a fenced block, then a collapsible `<details>` block
with everything else (doctor.render.report_text's lines). All text that came from the run is
inside code fences, each longer than any run of backticks in what it holds, so nothing a server
said can close the fence, become a link or a heading, or end the `<details>` block early.
"""

from __future__ import annotations

import re
from typing import List

from doctor.render.report_facts import ProblemReport
from doctor.render.report_text import detail_lines, summary_lines, title

DETAILS_SUMMARY = "Details: the environment, every check, the smoke test"


def fence(lines: List[str]) -> List[str]:
    """`lines` in a code block whose fence no line can close."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    marker = "`" * max(3, longest + 1)
    return [f"{marker}text", *lines, marker]


def render_markdown(report: ProblemReport, *, ascii_only: bool = False) -> str:
    lines = [
        f"### {title(report)}",
        "",
        *fence(summary_lines(report)),
        "",
        "<details>",
        f"<summary>{DETAILS_SUMMARY}</summary>",
        "",
        *fence(detail_lines(report, ascii_only=ascii_only)),
        "",
        "</details>",
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"
