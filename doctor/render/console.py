"""Human output: one line per check, the cause and the fixes under each problem.

Colour and symbols on a terminal; plain ASCII tags (greppable in CI logs) when stdout is
not a terminal, `NO_COLOR` is set or the stream cannot encode the symbols. This module
only renders: it never runs a check.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from doctor.model import CheckResult, Report, Status
from doctor.words import ms

if TYPE_CHECKING:
    from rich.console import Console

    from doctor.plan import Plan

# status -> (symbol, plain tag, rich style)
_MARKS: Dict[Status, Tuple[str, str, str]] = {
    Status.OK: ("✓", "[ ok ]", "green"),
    Status.WARN: ("!", "[warn]", "yellow"),
    Status.FAIL: ("✗", "[FAIL]", "bold red"),
    Status.SKIP: ("○", "[skip]", "dim"),
    Status.ERROR: ("☠", "[ERR ]", "bold magenta"),
}

# Extra -v sections drawn for particular checks (httpstat-style timelines, the smoke table).
VerboseExtra = Callable[[CheckResult], "list[str]"]


def _verbose_extras(console: Console) -> Dict[str, VerboseExtra]:
    """check id -> drawing; loaded only under -v, so the default path imports none of them.

    The smoke checks get their timing table, then the picture of its stream (which needs the width
    and whether this console can show block characters, unlike the other drawings)."""
    from doctor.render.smoke import EXTRAS as SMOKE_EXTRAS
    from doctor.render.stream_picture import BLOCKS, stream_picture
    from doctor.render.timeline import EXTRAS as TIMELINE_EXTRAS

    width = _picture_width(console)
    ascii_only = not _can_encode(console, BLOCKS)

    extras: Dict[str, VerboseExtra] = {**TIMELINE_EXTRAS, **SMOKE_EXTRAS}
    table = extras["stream.chat"]

    def table_and_picture(result: CheckResult) -> list[str]:
        return table(result) + stream_picture(dict(result.data), width=width, ascii_only=ascii_only)

    extras["stream.chat"] = extras["stream.responses"] = table_and_picture
    return extras


def make_console(*, stderr: bool = False, record: bool = False) -> Console:
    """The console of a command; `record` keeps what it prints, for `--save-svg`."""
    from rich.console import Console

    # NO_COLOR (https://no-color.org: set and not empty) means no escape codes at all. rich's own
    # no_color only drops colours and keeps bold and dim, and a terminal still gets the
    # spinner's cursor codes: so the console is treated as what NO_COLOR asks for, plain text.
    plain: Dict[str, Any] = {"force_terminal": False, "color_system": None, "no_color": True} if os.environ.get("NO_COLOR") else {}
    # highlight=False: rich would otherwise colour numbers and paths inside our sentences.
    # emoji=False: nothing here is written as an emoji code, and `:x:` in a server's message
    # must stay as sent; it also spares loading rich's emoji table (~5 ms) on every run.
    console = Console(stderr=stderr, highlight=False, emoji=False, record=record, **plain)
    # Off a terminal (CI logs, pipes) a line stays one line, so it can be grepped; rich would
    # otherwise wrap at an assumed 80 columns.
    console.soft_wrap = not console.is_terminal
    return console


class ConsoleRenderer:
    def __init__(self, console: Console, *, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self.fancy = console.is_terminal and not console.no_color and _can_encode(console, "✓○☠…")
        self._id_width = 18
        self._extras: Dict[str, VerboseExtra] = _verbose_extras(console) if verbose else {}

    def header(self, plan: Plan) -> None:
        from rich.markup import escape

        target = plan.target
        endpoint = plan.endpoint
        url = endpoint.shown if endpoint.base_url else '"" (empty)'
        self._line(f"[bold]chat-doctor[/bold] {escape(_version())}")
        self._line(f"  target    {escape(target.python)}  [dim]({escape(target.selected_by)})[/dim]")
        self._line(f"  endpoint  {escape(url)}  [dim]({escape(endpoint.source)}, {escape(endpoint.kind)})[/dim]")
        self.console.print()

    def result(self, result: CheckResult) -> None:
        from rich.markup import escape

        symbol, tag, style = _MARKS[result.status]
        # escape(): "[warn]" and "[skip]" would otherwise be read as rich markup tags and vanish.
        mark = f"[{style}]{symbol}[/{style}]" if self.fancy else escape(tag)
        code = f"  [dim]\\[{escape(result.code)}][/dim]" if result.code and result.status is not Status.SKIP else ""
        timing = f"  [dim]{ms(result.duration_ms)}[/dim]" if self.verbose else ""
        self._line(f" {mark} {escape(result.id.ljust(self._id_width))} {escape(result.summary)}{code}{timing}")
        problem = result.status in (Status.WARN, Status.FAIL, Status.ERROR)
        if problem or self.verbose:
            for detail in result.details:
                self._line(f"     {escape(detail)}", style="dim" if not problem else None)
        if result.id in self._extras:
            for line in self._extras[result.id](result):
                self._line(f"     {escape(line)}")
        if problem:
            for fix in result.fixes:
                self._fix(fix.text, fix.command)

    def _fix(self, text: str, command: Optional[str]) -> None:
        from rich.markup import escape

        arrow = "→" if self.fancy else "fix:"
        self._line(f"     [cyan]{arrow}[/cyan] {escape(text)}")
        if command:
            for line in command.splitlines():
                self._command(f"         {line}")

    def _command(self, line: str) -> None:
        """A command to paste, printed whole on its own line at any width: no wrapping or folding
        (a newline inside it would run half a command when pasted), and no markup, emoji codes or
        style, so what is copied is exactly what is shown. The terminal may still show a long
        line over several rows, but it copies as one line."""
        from doctor.render.inert import inert

        self.console.print(inert(line), markup=False, emoji=False, highlight=False, soft_wrap=True)

    def footer(self, report: Report, elapsed_s: Optional[float] = None) -> None:
        from rich.markup import escape

        if report.smoke is not None and report.smoke_responses is not None:  # loaded only when both APIs ran
            from doctor.render.smoke_compare import comparison  # `smoke --api both`: the two APIs side by side

            for index, line in enumerate(comparison(report)):
                self.console.print() if index == 0 else None
                self._line(escape(line))
        took = f" in {elapsed_s:.1f} s" if elapsed_s is not None else ""
        style = {"ready": "green", "over threshold": "yellow", "incomplete": "magenta"}.get(report.verdict, "red")
        verdict = f"[{style}]{report.verdict}[/{style}]"
        self.console.print()
        self._line(f"{verdict}: {tally(report)}{took} (exit {int(report.exit_code)})")

    def _line(self, markup: str, style: Optional[str] = None) -> None:
        from doctor.render.inert import inert

        # Markup itself has no control characters: whatever has one came from a server or the
        # environment, and is shown escaped rather than interpreted by the terminal.
        markup = inert(terminal_text(markup))  # no Markdown backticks on a terminal (the JSON keeps them)
        if self.console.soft_wrap:  # off a terminal: never wrap or crop (see make_console)
            self.console.print(markup, style=style)
        else:
            self.console.print(markup, style=style, overflow="fold")


# `code` spans of the registry's texts (doctor/knowledge/codes): Markdown for the README, plain
# on a terminal. Only paired backticks on one line, so a lone one (`pyenv: ...') is kept.
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def terminal_text(text: str) -> str:
    """A sentence as shown on a terminal: Markdown code spans lose their backticks."""
    return _CODE_SPAN.sub(r"\1", text)


def _version() -> str:
    from doctor import __version__

    return __version__


# The extras' indent, and the picture's bars and run label ("run 10 |...|").
_PICTURE_MARGIN = 5 + 2 + 7


def _picture_width(console: Console) -> int:
    """Columns for the stream picture: the console's width less its margins, at most 60 (finer
    slices than that only spread a short reply thinner)."""
    return max(10, min(60, console.width - _PICTURE_MARGIN))


def _can_encode(console: Console, sample: str) -> bool:
    encoding = getattr(console.file, "encoding", None) or "utf-8"
    try:
        sample.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def tally(report: Report) -> str:
    """The results counted by status, as the last line says it: "1 failed, 12 ok, 1 skipped"."""
    counts = report.summary
    parts = []
    for status, word in ((Status.FAIL, "failed"), (Status.ERROR, "crashed"), (Status.WARN, "warning"),
                         (Status.OK, "ok"), (Status.SKIP, "skipped")):
        n = counts[status.value]
        if n:
            parts.append(f"{n} {word if status is not Status.WARN or n == 1 else 'warnings'}")
    return ", ".join(parts) or "nothing checked"
