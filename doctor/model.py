"""Results, reports and exit codes: the data every check returns and every renderer reads.

Nothing here does I/O. A check returns a `CheckResult`; the runner collects them in
declared order into a `Report`; renderers (console, JSON, ...) turn the report into text,
and `Report.exit_code` is the process exit status documented in the README.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence, Tuple

SCHEMA = "chat-doctor.report/1"


class Status(str, enum.Enum):
    """The verdict of one check. `error` means the check itself could not run."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


class ExitCode(enum.IntEnum):
    """Process exit status, a documented contract (README, "Exit codes")."""

    OK = 0  # no failures; warnings allowed unless --strict
    FAILURE = 1  # at least one `fail` (or a `warn` under --strict)
    USAGE = 2  # bad flags or values; nothing was checked
    CHECK_ERROR = 3  # a check crashed (`error`) and nothing failed
    THRESHOLD = 4  # the only failures are thresholds such as --max-ttft


# The exit code in words (Report.verdict); every other code is "not ready".
VERDICTS = {ExitCode.OK: "ready", ExitCode.CHECK_ERROR: "incomplete", ExitCode.THRESHOLD: "over threshold"}

# Diagnosis codes that mean "a limit the user set was exceeded", not "broken".
THRESHOLD_CODES = frozenset({"ttft_over_limit"})


@dataclass(frozen=True)
class Fix:
    """One way to fix a problem: what to do, and the command to paste when there is one."""

    text: str
    command: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "command": self.command}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check. `code` names the cause of every non-ok result."""

    id: str
    status: Status
    summary: str
    code: Optional[str] = None
    details: Tuple[str, ...] = ()
    fixes: Tuple[Fix, ...] = ()
    duration_ms: float = 0.0
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    def with_duration(self, duration_ms: float) -> CheckResult:
        return _replace(self, duration_ms=round(duration_ms, 1))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "status": self.status.value,
            "code": self.code,
            "summary": self.summary,
            "details": list(self.details),
            "fixes": [fix.to_dict() for fix in self.fixes],
            "duration_ms": self.duration_ms,
            "data": dict(self.data),
        }


def _replace(result: CheckResult, **changes: Any) -> CheckResult:
    import dataclasses

    return dataclasses.replace(result, **changes)


@dataclass(frozen=True)
class Target:
    """Which interpreter was inspected, and why that one."""

    python: str
    selected_by: str
    version: Optional[str] = None
    ssl: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {"python": self.python, "selected_by": self.selected_by, "version": self.version, "ssl": self.ssl}


@dataclass(frozen=True)
class Endpoint:
    """The API endpoint the report is about, where its URL came from, and what kind it is."""

    base_url: str
    source: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "source": self.source, "kind": self.kind}


@dataclass(frozen=True)
class Report:
    """Everything one command found, in the order it is printed."""

    tool_version: str
    target: Optional[Target]
    endpoint: Optional[Endpoint]
    checks: Tuple[CheckResult, ...]
    smoke: Optional[Mapping[str, Any]] = None
    strict: bool = False
    smoke_responses: Optional[Mapping[str, Any]] = None  # the Responses API's smoke runs (`--api`)

    @property
    def summary(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.checks:
            counts[result.status.value] += 1
        return counts

    @property
    def exit_code(self) -> ExitCode:
        return exit_code_for(self.checks, strict=self.strict)

    @property
    def verdict(self) -> str:
        """The exit code in words, as every renderer states it."""
        return VERDICTS.get(self.exit_code, "not ready")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "tool": {"name": "chat-doctor", "version": self.tool_version},
            "target": self.target.to_dict() if self.target else None,
            "endpoint": self.endpoint.to_dict() if self.endpoint else None,
            "checks": [result.to_dict() for result in self.checks],
            "smoke": dict(self.smoke) if self.smoke is not None else None,
            # Only when the Responses API ran: the envelope stays as it was for everyone else.
            **({"smoke_responses": dict(self.smoke_responses)} if self.smoke_responses is not None else {}),
            "summary": self.summary,
            "exit_code": int(self.exit_code),
        }


def exit_code_for(results: Sequence[CheckResult], *, strict: bool = False) -> ExitCode:
    """Map results to the documented exit code.

    A failure outranks a crashed check (a real problem is more useful to a pipeline than
    "could not check"); threshold breaches get their own code only when nothing else failed.
    """
    failing = [r for r in results if r.status is Status.FAIL or (strict and r.status is Status.WARN)]
    if failing:
        if all(r.status is Status.FAIL and r.code in THRESHOLD_CODES for r in failing):
            return ExitCode.THRESHOLD
        return ExitCode.FAILURE
    if any(r.status is Status.ERROR for r in results):
        return ExitCode.CHECK_ERROR
    return ExitCode.OK
