"""The console of `chat-doctor fix`: what the checks found, the plan (each command as a
shell-quoted line), what ran, and the checks before and after. Prints only; doctor.fix decides.

Every line goes through `inert` and is printed without markup: summaries and commands hold
paths and package output, which must neither style nor steer the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Tuple

from doctor.model import CheckResult, Report, Status

if TYPE_CHECKING:
    from rich.console import Console

    from doctor.fix.apply import StepOutcome
    from doctor.fix.plan import FixPlan, Step

_MARK = {Status.OK: "ok", Status.WARN: "warn", Status.FAIL: "FAIL", Status.SKIP: "skip", Status.ERROR: "ERROR"}


class FixRenderer:
    def __init__(self, console: Console, *, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose

    @classmethod
    def for_stdout(cls, *, verbose: bool = False) -> FixRenderer:
        from doctor.render.console import make_console

        return cls(make_console(), verbose=verbose)

    def line(self, text: str = "", indent: int = 0) -> None:
        from doctor.render.inert import inert

        self.console.print(" " * indent + inert(text), markup=False, emoji=False, highlight=False,
                           soft_wrap=True)

    # --- what the checks found ----------------------------------------------------------------

    def report(self, report: Report) -> None:
        python = report.target.python if report.target else "?"
        self.line(f"chat-doctor fix: {python}")
        shown = [r for r in report.checks if self.verbose or r.status not in (Status.OK, Status.SKIP)]
        for result in shown:
            self.line(_result_line(result), indent=2)
        self.line(f"checks: {_tally(report)}", indent=2)

    def plan(self, plan: FixPlan) -> None:
        self.line()
        if plan.refusal:
            self.line(f"Refused: {plan.refusal}")
            for fix in plan.refusal_fixes:
                self._fix(fix.text, fix.command, indent=2)
            self.line()
        if plan.steps:
            self.line(f"Plan: {len(plan.steps)} step{'s' if len(plan.steps) != 1 else ''} in {plan.python}")
            for index, step in enumerate(plan.steps, 1):
                self._step(index, step)
        elif not plan.refusal:
            from doctor.knowledge.wording.fix import NOTHING_TO_DO

            self.line(NOTHING_TO_DO)
        if plan.unfixable:
            self.line()
            self.line(f"Not fixed by chat-doctor: {len(plan.unfixable)}")
            for item in plan.unfixable:
                self.line(f"- {item.check_id} [{item.code}] ({item.status.value}): {item.summary}", indent=2)
                self.line(f"why: {item.why}", indent=4)
                for fix in item.todo:
                    self._fix(fix.text, fix.command, indent=4)

    def _step(self, index: int, step: Step) -> None:
        about = f"{step.check_id} [{step.code}]: " if step.code else ""
        self.line(f"{index}. {about}{step.why}", indent=2)
        self.line(f"$ {step.command}", indent=5)

    def _fix(self, text: str, command: object, indent: int) -> None:
        self.line(f"- {text}", indent=indent)
        if command:
            self.line(f"$ {command}", indent=indent + 2)

    # --- applying -------------------------------------------------------------------------------

    def step_started(self, index: int, step: Step) -> None:
        self.line()
        self.line(f"running step {index}: {step.command}")

    def step_done(self, index: int, outcome: StepOutcome) -> None:
        ran = outcome.ran
        if ran.ok:
            self.line(f"step {index}: done in {ran.seconds:.1f} s", indent=2)
            return
        from doctor.knowledge.wording.fix import step_failed

        self.line(step_failed(index, ran.returncode, ran.timed_out) + (f" ({ran.error})" if ran.error else ""), indent=2)
        for tail in ran.tail():
            self.line(f"| {tail}", indent=4)

    def before_after(self, before: Report, after: Report) -> None:
        self.line()
        self.line("Before -> after:")
        old: Dict[str, CheckResult] = {r.id: r for r in before.checks}
        for result in after.checks:
            previous = old.get(result.id)
            if previous is None:
                continue
            if (previous.status, previous.code) == (result.status, result.code) and result.status in (Status.OK, Status.SKIP):
                continue
            self.line(f"{result.id:<20} {_verdict(previous)} -> {_verdict(result)}", indent=2)
        self.line(f"checks: {_tally(before)} -> {_tally(after)}", indent=2)

    def remaining(self, plan: FixPlan) -> None:
        if plan.steps:
            self.line()
            self.line(f"Still planned after this run: {len(plan.steps)} step(s)")
            for index, step in enumerate(plan.steps, 1):
                self._step(index, step)

    def verdict(self, code: int, *, applied: bool) -> None:
        from doctor.knowledge.wording.fix import NOTHING_LEFT

        self.line()
        words = {0: NOTHING_LEFT if applied else "ready: nothing to fix", 1: "findings remain",
                 3: "a step failed"}.get(code, "")
        self.line(f"{words.rstrip('.')} (exit {code})")


def _result_line(result: CheckResult) -> str:
    code = f" [{result.code}]" if result.code else ""
    return f"{_MARK[result.status]:<5} {result.id:<20}{code} {result.summary}"


def _verdict(result: CheckResult) -> str:
    return result.status.value + (f" ({result.code})" if result.code else "")


def _tally(report: Report) -> str:
    counts: Tuple[str, ...] = tuple(f"{n} {status}" for status, n in report.summary.items() if n)
    return ", ".join(counts) or "none"
