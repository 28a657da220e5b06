"""`chat-doctor fix`, start to finish: check, plan, (ask,) apply, check again, and the exit code.

The plan is built from the same report `check` prints (doctor.session) plus the target's probe
and what pip would look at (doctor.fix.target); the renderer (doctor.render.fix) prints as it
goes, or nothing under --json, where one document is written at the end.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from doctor.fix.apply import StepOutcome, apply_steps
from doctor.fix.plan import FixPlan, PlanInput, build_plan
from doctor.model import ExitCode, Report
from doctor.plan import Plan

SCHEMA = "chat-doctor.fix/1"
# The groups `fix` judges: what `check` runs (no smoke test: it would spend tokens).
GROUPS = ("python", "packages", "config", "net", "api")

OK, FINDINGS_REMAIN, USAGE, STEP_FAILED = 0, 1, int(ExitCode.USAGE), 3


@dataclass(frozen=True)
class Snapshot:
    """One run of the checks and the plan built from it."""

    report: Report
    plan: FixPlan


@dataclass(frozen=True)
class Options:
    apply: bool = False
    yes: bool = False
    pin_urllib3: bool = False
    as_json: bool = False


def snapshot(the_plan: Plan, pin_urllib3: bool) -> Snapshot:
    """Run the checks, then ask the target what the plan needs beyond the report."""
    from doctor import session
    from doctor.fix.target import ask_target
    from doctor.probe.facts import ProbeFailed
    from doctor.probe.interpreters import probe_timeout, run_probe

    settings = the_plan.settings
    report = session.run(the_plan, groups=GROUPS)
    python = the_plan.target.python
    redactor = session.redactor(the_plan)
    try:  # the checks' probe is not kept by the session: one more (a fraction of a second)
        probe = run_probe(python, dict(settings.env), settings.timeout_s)
    except ProbeFailed:
        probe = None
    target = ask_target(python, settings.env, probe_timeout(settings.timeout_s), redactor.text)
    return Snapshot(report, redactor.scrub(build_plan(PlanInput(report.checks, probe, target, pin_urllib3))))


def exit_code(before: Snapshot, outcomes: Sequence[StepOutcome], after: Optional[Snapshot]) -> int:
    """3 a step failed; 0 nothing left to do and nothing failing (warnings allowed, as for
    `check`); 1 otherwise."""
    if any(not outcome.ran.ok for outcome in outcomes):
        return STEP_FAILED
    final = after or before
    return OK if final.report.exit_code is ExitCode.OK and not final.plan.steps else FINDINGS_REMAIN


def run(the_plan: Plan, options: Options) -> int:
    """The whole command; returns its exit code (the prompt's refusal included)."""
    from doctor import session
    from doctor.knowledge.wording import fix as say
    from doctor.process import say as tell
    from doctor.render.fix import FixRenderer

    renderer = None if options.as_json else FixRenderer.for_stdout(verbose=the_plan.settings.verbose)
    before = snapshot(the_plan, options.pin_urllib3)
    if renderer is not None:
        renderer.report(before.report)
        renderer.plan(before.plan)
    outcomes: List[StepOutcome] = []
    after: Optional[Snapshot] = None
    if options.apply and before.plan.steps:
        if not options.yes:
            if not sys.stdin.isatty():
                tell(say.NO_TERMINAL)
                _write_json(options, before, None, None, USAGE)
                return USAGE
            if not _confirm(say.PROMPT, err=options.as_json):
                if renderer is not None:
                    renderer.line(say.DECLINED)
                code = exit_code(before, (), None)
                _write_json(options, before, None, None, code)
                return code
        redactor = session.redactor(the_plan)
        outcomes = apply_steps(before.plan.steps, the_plan.settings.env, redactor.text,
                               on_start=renderer.step_started if renderer else lambda _i, _s: None,
                               on_done=renderer.step_done if renderer else lambda _i, _o: None)
        after = snapshot(the_plan, options.pin_urllib3)
        if renderer is not None:
            renderer.before_after(before.report, after.report)
            renderer.remaining(after.plan)
    code = exit_code(before, outcomes, after)
    if renderer is not None:
        renderer.verdict(code, applied=bool(outcomes))
    _write_json(options, before, outcomes if options.apply else None, after, code)
    return code


def _confirm(question: str, *, err: bool) -> bool:
    import typer

    return bool(typer.confirm(question, default=False, err=err))


def document(before: Snapshot, outcomes: Optional[Sequence[StepOutcome]], after: Optional[Snapshot],
             code: int) -> Dict[str, Any]:
    """The --json document: the plan, what ran, and the reports before and after."""
    from doctor import __version__

    return {
        "schema": SCHEMA,
        "tool": {"name": "chat-doctor", "version": __version__},
        "python": before.plan.python,
        "plan": before.plan.to_dict(),
        "applied": [outcome.to_dict() for outcome in outcomes] if outcomes is not None else None,
        "before": before.report.to_dict(),
        "after": after.report.to_dict() if after is not None else None,
        "remaining": after.plan.to_dict() if after is not None else None,
        "exit_code": code,
    }


def _write_json(options: Options, before: Snapshot, outcomes: Optional[Sequence[StepOutcome]],
                after: Optional[Snapshot], code: int) -> None:
    if not options.as_json:
        return
    from doctor.render.inert import json_inert

    text = json.dumps(document(before, outcomes, after, code), indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(json_inert(text) + "\n")
    sys.stdout.flush()
