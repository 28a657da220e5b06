"""The one way a check that can find several problems builds its result.

A check lists its findings in the order of importance it documents; the most severe (the first
of equals) names the result's code and summary, the others follow in its details as
`also [code]: summary` with their own details indented, and every fix is offered once.
`data["findings"]` lists every code found, so a pipeline sees all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from doctor.knowledge.diagnoses import diagnose, lookup, ok
from doctor.model import CheckResult, Fix, Status


@dataclass(frozen=True)
class Finding:
    """One problem a check found."""

    code: str
    summary: str
    details: Tuple[str, ...] = ()
    fixes: Tuple[Fix, ...] = ()
    status: Optional[Status] = None  # None: the code's registered severity


_SEVERITY = {Status.OK: 0, Status.SKIP: 0, Status.WARN: 1, Status.ERROR: 2, Status.FAIL: 3}


def severity(finding: Finding) -> int:
    return _SEVERITY[finding.status or lookup(finding.code).status]


def combine(
    check_id: str,
    findings: Sequence[Finding],
    ok_summary: str,
    *,
    details: Sequence[str] = (),
    data: Optional[Mapping[str, Any]] = None,
) -> CheckResult:
    """The check's result: `ok_summary` when nothing was found, else the most severe finding."""
    data = dict(data or {})
    if not findings:
        return ok(check_id, ok_summary, details=details, data=data)
    primary = max(findings, key=severity)  # max() keeps the first of equals: listed order decides
    all_details = list(primary.details)
    fixes = list(primary.fixes)
    for other in findings:
        if other is primary:
            continue
        all_details.append(f"also [{other.code}]: {other.summary}")
        all_details.extend(f"  {line}" for line in other.details)
        fixes.extend(other.fixes)
    all_details.extend(details)
    data["findings"] = [f.code for f in findings]
    return diagnose(check_id, primary.code, primary.summary, status=primary.status,
                    details=all_details, fixes=unique(fixes), data=data)


def unique(fixes: Sequence[Fix]) -> List[Fix]:
    """Each fix once, in first-seen order."""
    seen, kept = set(), []
    for fix in fixes:
        if (fix.text, fix.command) not in seen:
            seen.add((fix.text, fix.command))
            kept.append(fix)
    return kept
