"""python.interpreter: which Python the app runs on, and whether the openai SDK can still live there.

It owns the `interpreter` fact: the stdlib-only probe run inside the target (see
doctor.probe.interpreters.run_probe), which every other python.* and packages.* check reads. A
probe that fails is this check's `probe_failed`, and those checks are then skipped; an
interpreter too old to chat, capped below the current openai, or past its end of life is judged
here from the probe's facts and today's date (gathered, so the judge stays pure).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from doctor.checks.findings import Finding, combine
from doctor.knowledge import pythons
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.knowledge.wording import python as say
from doctor.model import CheckResult, Target
from doctor.probe.facts import InterpreterFacts, ProbeFailed
from doctor.runner import Check, Context, FactProvider

INTERPRETER = "python.interpreter"


@dataclass(frozen=True)
class InterpreterCheckFacts:
    """The target as the plan chose it, what its probe said (None when it failed), and today."""

    target: Target
    today: datetime.date
    probe: Optional[InterpreterFacts] = None
    probe_error: str = ""  # why the probe failed (ProbeFailed.reason), when `probe` is None
    probe_output: str = ""  # an excerpt of what the target printed instead


def probe_interpreter(ctx: Context) -> InterpreterFacts:
    """The `interpreter` fact: probe the target; raises ProbeFailed with the reason."""
    from doctor.probe.interpreters import run_probe

    return run_probe(ctx.plan.target.python, dict(ctx.settings.env), ctx.settings.timeout_s)


def gather_interpreter(ctx: Context) -> InterpreterCheckFacts:
    target, today = ctx.plan.target, datetime.date.today()
    try:
        probe = ctx.fact("interpreter")
    except ProbeFailed as exc:
        return InterpreterCheckFacts(target, today, probe_error=exc.reason, probe_output=exc.output)
    return InterpreterCheckFacts(target, today, probe)


def judge_interpreter(facts: InterpreterCheckFacts) -> CheckResult:
    if facts.probe is None:
        return _probe_failed(facts)
    probe, target = facts.probe, facts.target
    minor = probe.minor
    name = say.interpreter_name(probe)
    eol = pythons.eol_date(minor)
    cap = pythons.openai_cap(minor)
    data = _data(probe, target, eol, cap)
    details = say.interpreter_details(probe, target)
    if probe.too_old or (cap is not None and not cap.has_chat):
        # 2.7 and 3.6 alike: no openai with a chat API installs there, so nothing else matters
        # (and `pip install openai` would only bring a release that cannot chat).
        return diagnose(
            INTERPRETER, "python_too_old", say.too_old_summary(name, target.python, cap),
            details=details + [say.too_old_eol(eol)], fixes=say.too_old_fixes(), data=data,
        )
    findings: List[Finding] = []
    past_eol = pythons.is_eol(minor, facts.today)
    eol_text = say.eol_reached(minor, eol) if eol and past_eol else ""
    if cap is not None:
        findings.append(Finding(
            "openai_sdk_capped", say.capped_summary(name, cap),
            details=(eol_text,) if eol_text else (),
            fixes=tuple(say.interpreter_fixes(probe, target.python, say.FOR_VERSION)),
        ))
    elif past_eol:
        findings.append(Finding(
            "python_eol", say.eol_summary(name, eol_text),
            fixes=tuple(say.interpreter_fixes(probe, target.python, say.FOR_VERSION)),
        ))
    data["eol"] = past_eol
    summary = say.interpreter_ok_summary(name, target)
    if not findings:  # the ok result leaves out the first detail line: its summary names the interpreter
        return ok(INTERPRETER, summary, details=details[1:], data=data)
    return combine(INTERPRETER, findings, summary, details=details, data=data)


def _probe_failed(facts: InterpreterCheckFacts) -> CheckResult:
    target = facts.target
    return diagnose(
        INTERPRETER, "probe_failed", say.probe_failed_summary(target.python, facts.probe_error),
        details=say.probe_failed_details(target, facts.probe_output),
        fixes=say.probe_failed_fixes(target.python),
        data={"python": target.python, "selected_by": target.selected_by, "reason": facts.probe_error},
    )


def _data(probe: InterpreterFacts, target: Target, eol: Optional[datetime.date],
          cap: Optional[pythons.OpenaiCap]) -> Dict[str, Any]:
    return {
        "python": target.python,
        "selected_by": target.selected_by,
        "version": probe.python_version,
        "implementation": probe.implementation,
        "executable": probe.executable,
        "is_venv": probe.is_venv,
        "venv_home": probe.venv_home,
        "platform": probe.sys_platform,
        "machine": probe.machine,
        "mac_ver": probe.mac_ver or None,
        "eol_date": eol.isoformat() if eol else None,
        "openai_newest": cap.version if cap else pythons.OPENAI_CURRENT,
        "probe_ms": probe.probe_ms,
        "wall_ms": probe.wall_ms,
    }


CHECKS: Tuple[Check, ...] = (
    Check(INTERPRETER, "Target interpreter", gather_interpreter, judge_interpreter),
)
FACTS: Dict[str, FactProvider] = {"interpreter": probe_interpreter}
