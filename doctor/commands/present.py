"""Run a session and present it: live console lines, or the JSON document, then the exit code.

Shared by `check`, `smoke` and `demo`. Under `--json`, stdout receives the JSON document and
nothing else; the spinner (terminals only) and any streamed text go to stderr. The CI outputs
(`--junit`, GitHub annotations: doctor.commands.ci) are checked before the run and written after.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Optional, Tuple, Union

import typer

from doctor.model import ExitCode, Report
from doctor.settings import Settings, UsageError

if TYPE_CHECKING:  # rich loads lazily; these names are for the checker only
    from rich.console import Console
    from rich.status import Status

    from doctor.commands.ci import CiOutputs
    from doctor.model import CheckResult
    from doctor.redact import Redactor


def usage_error(message: str) -> typer.Exit:
    """Print a one-line usage error to stderr; the caller raises the returned Exit (code 2)."""
    from doctor.process import say

    say(f"chat-doctor: error: {message}")
    return typer.Exit(int(ExitCode.USAGE))


def settings_or_exit(**options: Any) -> Settings:
    """Settings from command options; an impossible value is a usage error (exit 2)."""
    try:
        return Settings(**options)
    except UsageError as exc:
        raise usage_error(str(exc)) from None


def run_and_present(settings: Settings, *, as_json: bool, groups: Optional[Collection[str]] = None,
                    outputs: Optional[CiOutputs] = None, save_svg: Optional[str] = None) -> Report:
    """Run the checks of `groups` and print them, then write the CI `outputs` and save the console
    as an SVG picture with `save_svg`; raises typer.Exit with the report's exit code
    (doctor.commands.ci.deliver says when it is another; a picture that cannot be saved is 2)."""
    from doctor import session
    from doctor.render.console import ConsoleRenderer, make_console

    try:
        the_plan = session.plan(settings)
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    if outputs is not None:
        from doctor.commands.ci import prepare

        problem = prepare(outputs)  # after every other usage error, before any check runs
        if problem is not None:
            raise usage_error(problem)
    svg_path = _svg_path_or_exit(save_svg, as_json)

    out = make_console(record=svg_path is not None)
    err = make_console(stderr=True)
    renderer = None if as_json else ConsoleRenderer(out, verbose=settings.verbose)
    if renderer is not None:
        renderer.header(the_plan)
    spinner_console = err if as_json else out
    started = time.monotonic()
    with _spinner(spinner_console, "checking…") as spin:
        live = _live_text(settings, as_json, spin, out if out.record else None)

        def on_result(result: CheckResult) -> None:
            with _output_lock:
                if renderer is not None:
                    renderer.result(result)

        def on_progress(unfinished: Tuple[str, ...]) -> None:
            # Called from the check threads as each finishes: the spinner names what is still
            # running (not what just ended), and goes quiet once the reply streams.
            with _output_lock:
                if live is None or not live.started:
                    spin.update(spinner_text(unfinished))

        report = session.run(the_plan, groups=groups, on_result=on_result, live=live, on_progress=on_progress)
    elapsed_s = time.monotonic() - started
    if renderer is not None:
        renderer.footer(report, elapsed_s)
    else:
        from doctor.render.json import render_json

        sys.stdout.write(_fit_encoding(render_json(report), sys.stdout) + "\n")
        sys.stdout.flush()
    code = int(report.exit_code)
    if outputs is not None:
        from doctor.commands.ci import deliver

        code = deliver(outputs, report, session.redactor(the_plan), elapsed_s=elapsed_s)
    if svg_path is not None:
        _save_svg_or_exit(out, svg_path, session.redactor(the_plan))
    raise typer.Exit(code)


def _svg_path_or_exit(save_svg: Optional[str], as_json: bool) -> Optional[Path]:
    """Where `--save-svg` writes, checked before any check runs (a usage error otherwise)."""
    if save_svg is None:
        return None
    from doctor.commands.svg import svg_problem

    path = Path(save_svg)
    problem = svg_problem(path, as_json=as_json)
    if problem is not None:
        raise usage_error(problem)
    return path


def _save_svg_or_exit(out: Console, path: Path, redactor: Redactor) -> None:
    from doctor.commands.svg import save_svg

    problem = save_svg(out, path, redactor)
    if problem is not None:
        raise usage_error(problem)


def _fit_encoding(document: str, stream: Any) -> str:
    """The JSON document as `stream` can carry it: under an ASCII-only encoding every other
    character becomes its JSON escape (`\\u2026`), so the data stay exact (outside strings a
    JSON document is ASCII anyway)."""
    try:
        document.encode(getattr(stream, "encoding", None) or "utf-8")
        return document
    except UnicodeEncodeError:
        import json
        import re

        return re.sub(r"[^\x00-\x7f]", lambda match: json.dumps(match.group(0))[1:-1], document)


def spinner_text(unfinished: Tuple[str, ...], limit: int = 3) -> str:
    """'checking net.tls, api.auth…': the checks still running, the first few by name."""
    if not unfinished:
        return "finishing…"
    named = ", ".join(unfinished[:limit])
    more = f" and {len(unfinished) - limit} more" if len(unfinished) > limit else ""
    return f"checking {named}{more}…"


# Result lines (main thread) and streamed text (the smoke check's thread) never interleave mid-line.
_output_lock = threading.Lock()


class _LiveText:
    """The smoke test's streamed reply, shown as it arrives: each piece written and flushed at
    once (stdout, or stderr under --json so stdout stays pure JSON); the spinner stops first.
    """

    def __init__(self, to_stderr: bool, spin: Any, recorder: Optional[Console] = None) -> None:
        self._to_stderr = to_stderr
        self._spin = spin
        # Under --save-svg the reply goes through the recording console, so the picture holds it.
        self._recorder = recorder
        self.started = False

    def __call__(self, text: str) -> None:
        from doctor.render.inert import inert

        with _output_lock:
            if not self.started:
                self.started = True
                self._spin.stop()
            if self._recorder is not None:
                self._recorder.print(inert(text, keep_newlines=True), end="", markup=False, emoji=False,
                                     highlight=False, soft_wrap=True)
                return
            stream = sys.stderr if self._to_stderr else sys.stdout
            stream.write(inert(text, keep_newlines=True))
            stream.flush()


def _live_text(settings: Settings, as_json: bool, spin: Any, recorder: Optional[Console] = None) -> Optional[_LiveText]:
    """Where streamed text goes: nowhere without a smoke test or under --quiet."""
    if settings.smoke is None or settings.smoke.quiet:
        return None
    return _LiveText(to_stderr=as_json, spin=spin, recorder=recorder)


class _NoSpinner:
    def __enter__(self) -> _NoSpinner:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, text: str) -> None:  # noqa: ARG002  # rich.status.Status.update's signature
        return None

    def stop(self) -> None:
        return None


def _spinner(console: Console, text: str) -> Union[_NoSpinner, Status]:
    """A transient spinner on terminals only: CI logs get no control characters. None on a
    console that records for --save-svg either: every frame would be in the picture."""
    if not console.is_terminal or console.is_dumb_terminal or console.record:
        return _NoSpinner()
    return console.status(text, spinner="dots")
