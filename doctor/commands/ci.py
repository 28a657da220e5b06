"""The CI outputs of a run: the `--junit` file, GitHub Actions annotations and step summary.

Where they go is decided from the options and `Settings.env` before any check runs (`prepare`:
a `--junit` path that cannot be written is a usage error then, not a surprise after a minute
of checks); they are written once the report is complete, whatever its verdicts (`deliver`).
The renderers (doctor.render.junit, doctor.render.github) only format; this module does the I/O.

The report reaching here is already scrubbed (the runner scrubs every result, the session the
smoke summary, both with the run's Redactor). It is scrubbed again with that same Redactor, and
so is each rendered text: these files outlive the run, are uploaded as artifacts and shown on
web pages, so a secret that slipped past one layer must still not reach them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional

from doctor.commands.output_path import unwritable
from doctor.model import ExitCode, Report
from doctor.redact import Redactor

PREFIX = "chat-doctor"


@dataclass(frozen=True)
class CiOutputs:
    """What a run writes besides its report on stdout."""

    junit: Optional[Path] = None  # --junit PATH
    github: bool = False  # GITHUB_ACTIONS=true: annotations on stderr
    step_summary: Optional[Path] = None  # $GITHUB_STEP_SUMMARY, appended to (only with `github`)

    @classmethod
    def for_run(cls, env: Mapping[str, str], junit: Optional[str]) -> CiOutputs:
        """From `--junit` and the environment chat-doctor reads (`Settings.env`, never os.environ)."""
        github = env.get("GITHUB_ACTIONS", "").strip().lower() == "true"
        summary = env.get("GITHUB_STEP_SUMMARY", "").strip() if github else ""
        return cls(junit=Path(junit) if junit else None, github=github, step_summary=Path(summary) if summary else None)


def prepare(outputs: CiOutputs) -> Optional[str]:
    """The usage error that must stop the run before any check starts, or None."""
    if outputs.junit is not None:
        problem = unwritable(outputs.junit)
        if problem is not None:
            return f"--junit {outputs.junit}: {problem}"
    return None


def deliver(outputs: CiOutputs, report: Report, redactor: Redactor, *, elapsed_s: float) -> int:
    """Write the CI outputs of a finished run; returns the exit code the run ends with.

    That is the report's own, except when the JUnit file could not be written after all (a
    full disk): then 3, as for a report lost on stdout (doctor.process), so CI never reads a
    missing test report as a pass. An unwritable step summary is only a warning: the job's
    own log still has the report.
    """
    report = redactor.scrub(report)
    if outputs.github:
        from doctor.render.github import workflow_commands

        # Always stderr: under --json stdout must hold the JSON document alone, and the runner
        # reads workflow commands from both streams, so one place serves every output mode.
        _write_stderr([redactor.text(line) for line in workflow_commands(report)])
    if outputs.step_summary is not None:
        from doctor.render.github import step_summary

        _append_summary(outputs.step_summary, redactor.text(step_summary(report)))
    if outputs.junit is not None:
        from doctor.render.junit import render_junit

        try:
            _write(outputs.junit, redactor.text(render_junit(report, elapsed_s=elapsed_s)), mode="w")
        except OSError as exc:
            _say(f"{PREFIX}: error: the JUnit report could not be written to {outputs.junit} ({exc.strerror or exc})")
            return int(ExitCode.CHECK_ERROR)
    return int(report.exit_code)


def _append_summary(path: Path, text: str) -> None:
    try:
        _write(path, text, mode="a")  # other steps' summaries are in it: append, never truncate
    except OSError as exc:
        _say(f"{PREFIX}: warning: the step summary could not be appended to {path} ({exc.strerror or exc})")


def _write(path: Path, text: str, *, mode: str) -> None:
    # errors="replace": the renderers already dropped what UTF-8 cannot carry; this is a backstop.
    with open(path, mode, encoding="utf-8", errors="replace") as stream:
        stream.write(text)


def _write_stderr(lines: List[str]) -> None:
    try:
        for line in lines:
            sys.stderr.write(f"{line}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone: there is nowhere left to annotate


def _say(message: str) -> None:
    from doctor.process import say  # the path may hold controls: say shows them escaped

    say(message)
