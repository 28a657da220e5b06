"""Printing `chat-doctor pythons`: the Rich table and the recommendation, or the JSON document.

Every cell is environment-controlled text (paths, probe answers, a crashing script's stderr),
so each goes through doctor.render.inert and into a rich Text, never through markup: a path
named `[bold]` or holding an escape sequence prints as what it is.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from doctor.knowledge import urllib3 as u3
from doctor.knowledge.wording import pythons_command as words
from doctor.render.inert import inert

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from doctor.probe.discovery import InactiveShim
    from doctor.probe.urllib3_outcome import Urllib3Verdict
    from doctor.pythons.recommend import Assessment, Recommendation

# Off a terminal (CI logs, pipes) rows stay whole lines, so they can be grepped; the table
# takes its natural width up to this, instead of rich's assumed 80 columns.
_PLAIN_WIDTH = 400


def render_json(document: Dict[str, Any]) -> str:
    # ensure_ascii: stdout's encoding may be ASCII (PYTHONIOENCODING=ascii) and its guard would
    # then rewrite characters lossily; escaped, the data stay exact and the document is ASCII.
    return json.dumps(document, indent=2, ensure_ascii=True)


def render_console(console: Console, assessments: Sequence[Assessment], recommendation: Optional[Recommendation],
                   commands: Sequence[str], left_out: int, inactive: Sequence[InactiveShim] = ()) -> None:
    from rich.table import Table

    if not assessments:
        console.print(_text(words.NONE_FOUND))
    else:
        table = Table(title=words.TITLE, title_justify="left", show_lines=False, pad_edge=False)
        for column in words.COLUMNS:
            table.add_column(column, overflow="fold")
        for assessment in assessments:
            table.add_row(*(_text(cell) for cell in _cells(assessment)))
        if not console.is_terminal:
            console.width = max(console.width, _PLAIN_WIDTH)  # print(width=) can only narrow
        console.print(table)
    for shim in inactive:
        console.print(_text(_inactive_line(shim)), style="dim", soft_wrap=True)
    if left_out:
        console.print(_text(words.left_out(left_out)))
    console.print()
    _recommendation(console, recommendation, commands, len(assessments))


def _recommendation(console: Console, recommendation: Optional[Recommendation], commands: Sequence[str],
                    count: int) -> None:
    if recommendation is None:
        console.print(_text(words.none_recommendable(count)))
        console.print(_text(f"  {words.INSTALL_COMMAND}"))
        return
    row = recommendation.row
    console.print(_text(words.recommended(row.path, row.version or "?")), style="bold")
    for reason in recommendation.reasons:
        console.print(_text(words.bullet(reason)))
    for drawback in recommendation.drawbacks:
        console.print(_text(words.bullet(words.but(drawback))))
    console.print(_text(words.MAKE_VENV))
    for command in commands:
        # soft_wrap: a command is pasted whole, so it must stay one line at any width
        console.print(_text(f"  {command}"), soft_wrap=True)


def _inactive_line(shim: InactiveShim) -> str:
    resolution = shim.resolution
    selection = resolution.selection
    return words.inactive_shim(shim.path, resolution.command, selection.versions if selection else (),
                               selection.origin if selection else "", resolution.available)


def _cells(assessment: Assessment) -> List[str]:
    row = assessment.row
    if not row.probed:
        note = row.failure or ""
        if row.failure_output and row.failure_output not in note:
            note += words.it_printed(row.failure_output)
        return [row.path, words.NOT_PROBED, "", "", "", "", "", "", note]
    eol = row.eol_date.isoformat() if row.eol_date else "?"
    if assessment.eol:
        eol += words.PAST
    notes = [*assessment.blockers, *assessment.drawbacks]
    if row.aliases:
        notes.append(words.aliases(row.aliases))
    return [
        row.path,
        words.version_cell(row.implementation, row.version or "?", row.is_venv),
        u3.openssl_short(row.tls) if row.tls else words.NO_TLS,
        _verdict(row.urllib3_installed),
        _verdict(row.urllib3_pip),
        words.openai_cell(row.openai_newest or "none", row.openai_newest_has_chat),
        row.openai_installed or words.NOT_INSTALLED,
        eol,
        "; ".join(notes),
    ]


def _verdict(verdict: Optional[Urllib3Verdict]) -> str:
    if verdict is None:
        return words.NOT_INSTALLED
    return words.urllib3_cell(verdict.version, verdict.outcome)


def _text(value: str) -> Text:
    from rich.text import Text

    return Text(inert(value))
