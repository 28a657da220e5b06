"""Every diagnosis code chat-doctor can report, with what it means and how to fix it.

This table is the single source of the codes: checks refer to codes by name through
`diagnose()`, the README's codes table is generated from it (`scripts/readme_codes.py`),
and a test fails if a check emits a code that is not listed here or the README lacks one.
The `fix` text is the generic remedy; checks add concrete, pasteable commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from doctor.model import CheckResult, Fix, Status

OK, WARN, FAIL, SKIP, ERROR = Status.OK, Status.WARN, Status.FAIL, Status.SKIP, Status.ERROR


# Where a code appears: (check id, status there); "*" is any check.
Where = Tuple[str, Status]


@dataclass(frozen=True)
class Diagnosis:
    """A code, every (check, status) it can be reported with, what it means and its fix.

    `check` and `status` are where it is first reported; `also` lists every other place
    (e.g. `rate_limited` warns on api.auth but fails stream.chat: no stream happened).
    `diagnose()` takes the status from here and refuses a pair that is not listed, so the
    README's table, generated from `where`, cannot disagree with what the checks report.
    """

    code: str
    check: str  # the check id that reports it ("*" for codes any check may report)
    status: Status  # its severity there
    cause: str  # what it means, one sentence
    fix: str  # the generic remedy, one or two sentences
    also: Tuple[Where, ...] = ()  # every other (check, status) it is reported with

    @property
    def where(self) -> Tuple[Where, ...]:
        return ((self.check, self.status), *self.also)

    def status_on(self, check_id: str, status: Optional[Status] = None) -> Status:
        """The status this code has on `check_id`: the first listed there, or `status` if it is
        listed there too. ValueError for an unlisted pair: a bug, which the CLI tests catch."""
        listed = [s for check, s in self.where if check in (check_id, "*")]
        if not listed or (status is not None and status not in listed):
            shown = f"{check_id}/{status.value}" if status is not None else check_id
            raise ValueError(f"diagnosis {self.code!r} is not registered for {shown}: add it to `also` "
                             f"in doctor/knowledge/codes/ and run scripts/readme_codes.py --write")
        return status if status is not None else listed[0]


_TABLE = (
    # --- any check -------------------------------------------------------------------
    Diagnosis("offline", "*", SKIP, "`--offline` was given, so network checks did not run.", "Run without `--offline`."),
    Diagnosis(
        "prerequisite_failed", "*", SKIP,
        "A check this one builds on did not pass, so running it would only repeat that failure.",
        "Fix the earlier failure first.",
    ),
    Diagnosis(
        "check_crashed", "*", ERROR,
        "The check itself raised an unexpected exception; this is a chat-doctor bug, not a finding.",
        "Re-run with `-v` and report the details shown.",
    ),
    Diagnosis(
        "check_timeout", "*", ERROR,
        "The check did not finish within its time limit.",
        "Re-run with a larger `--timeout`; if it persists, something on the path hangs.",
    ),
)

DIAGNOSES: Dict[str, Diagnosis] = {}


def register(*diagnoses: Diagnosis) -> None:
    """Add codes to the table (each group's module calls this once at import)."""
    for diagnosis in diagnoses:
        if diagnosis.code in DIAGNOSES:
            raise ValueError(f"duplicate diagnosis code {diagnosis.code!r}")
        DIAGNOSES[diagnosis.code] = diagnosis


register(*_TABLE)


def _load_group_tables() -> None:
    import doctor.knowledge.codes  # noqa: F401  # each group's module registers its codes on import


def lookup(code: str) -> Diagnosis:
    """The registered diagnosis; KeyError for an unknown code (a bug that tests catch)."""
    _load_group_tables()
    return DIAGNOSES[code]


def all_diagnoses() -> Iterable[Diagnosis]:
    """Every code, in a stable order (by check id, generic codes last)."""
    _load_group_tables()
    return sorted(DIAGNOSES.values(), key=lambda d: (d.check == "*", d.check, d.code))


def diagnose(
    check_id: str,
    code: str,
    summary: str,
    *,
    status: Optional[Status] = None,
    details: Iterable[str] = (),
    fixes: Iterable[Fix] = (),
    data: Optional[Mapping[str, Any]] = None,
) -> CheckResult:
    """Build a non-ok result for a registered code; the generic fix is used when none is given.

    The status is the registry's for this check (`status` picks among the listed ones);
    ValueError when the code is not registered for this check with that status.
    """
    diagnosis = lookup(code)
    fixes = tuple(fixes) or (Fix(diagnosis.fix),)
    return CheckResult(
        id=check_id,
        status=diagnosis.status_on(check_id, status),
        summary=summary,
        code=code,
        details=tuple(details),
        fixes=fixes,
        data=dict(data or {}),
    )


def fixes_for(code: str, endpoint_kind: str) -> tuple:
    """The code's generic fix plus any advice for this kind of endpoint (codes/api.py KIND_FIXES);
    () when there is no such advice, so that diagnose() uses the generic fix alone."""
    from doctor.knowledge.codes.api import KIND_FIXES

    extra = KIND_FIXES.get((code, endpoint_kind))
    return (Fix(lookup(code).fix), Fix(extra)) if extra else ()


def ok(check_id: str, summary: str, *, details: Iterable[str] = (), data: Optional[Mapping[str, Any]] = None) -> CheckResult:
    return CheckResult(id=check_id, status=Status.OK, summary=summary, details=tuple(details), data=dict(data or {}))
