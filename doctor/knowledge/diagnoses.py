"""Every diagnosis code chat-doctor can report, with what it means and how to fix it.

This table is the single source of the codes: checks refer to codes by name through
`diagnose()`, the README's codes table is generated from it (`scripts/readme_codes.py`),
and a test fails if a check emits a code that is not listed here or the README lacks one.
The `fix` text is the generic remedy; checks add concrete, pasteable commands.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, Mapping, Optional

from doctor.knowledge.diagnosis import ERROR, SKIP, Diagnosis
from doctor.model import CheckResult, Fix, Status

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


_LOADED = threading.Lock()


def _load_group_tables() -> None:
    """The generic codes and every group's table (doctor/knowledge/codes/), once; imported late
    because the group tables are text the offline path only needs when something is reported."""
    if DIAGNOSES:
        return
    with _LOADED:
        if DIAGNOSES:
            return
        from doctor.knowledge.codes import GROUP_TABLES

        table: Dict[str, Diagnosis] = {}
        for diagnosis in (*_TABLE, *(d for group in GROUP_TABLES for d in group)):
            if diagnosis.code in table:
                raise ValueError(f"duplicate diagnosis code {diagnosis.code!r}")
            table[diagnosis.code] = diagnosis
        DIAGNOSES.update(table)


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
