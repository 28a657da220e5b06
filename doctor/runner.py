"""Runs checks concurrently and yields their results in declared order.

A check is two functions: `gather(ctx)` does all its I/O (through `ctx.fact`, `ctx.plan`,
`ctx.settings`) and returns the check's frozen facts; `judge(facts)` is pure and turns them into
the `CheckResult`. The runner calls the two, so every verdict is testable from a facts fixture.

Each check runs in its own daemon thread (a hung check can never keep the process alive),
waits for the checks it `needs` (a `Need` can apply only to some runs: net.tls only for https),
and is skipped with the reason when one of them did not pass; `after_earlier` makes a check
start only once every check declared before it has finished. Facts that several checks share
(the interpreter probe, the DNS answer, ...) are gathered once through `Context.fact`,
whichever check asks first. A check that raises becomes an `error` result; one that overruns
its deadline becomes `check_timeout`: the report always completes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence, Tuple, Union

from doctor.knowledge.diagnoses import diagnose
from doctor.model import CheckResult, Status
from doctor.outcome import Outcome, OutcomeTimeout
from doctor.plan import Plan
from doctor.redact import Redactor

PASSING = (Status.OK, Status.WARN)


@dataclass(frozen=True)
class Need:
    """A check that must pass (ok or warn) first; with `when`, only in runs where it holds."""

    check_id: str
    when: Optional[Callable[[Context], bool]] = None

    def applies(self, ctx: Context) -> bool:
        return self.when is None or self.when(ctx)


@dataclass(frozen=True)
class Check:
    """A named verdict: `gather` the facts (all the I/O), then `judge` them (pure)."""

    id: str
    title: str
    gather: Callable[[Context], Any]
    judge: Callable[[Any], CheckResult]
    needs: Tuple[Union[str, Need], ...] = ()  # check ids (or conditional Needs) that must pass first
    network: bool = False  # skipped under --offline
    # Starts only once every check declared before it in this run has finished (whatever
    # their verdicts): the smoke test, whose streamed reply must not interleave with them.
    after_earlier: bool = False

    def prerequisites(self) -> Tuple[Need, ...]:
        return tuple(need if isinstance(need, Need) else Need(need) for need in self.needs)


FactProvider = Callable[["Context"], Any]


def lazy_provider(module: str, name: str) -> FactProvider:
    """`module.name` as a provider, imported on first use: the group modules are all loaded for
    their CHECKS (`check --offline` too), their providers' imports only when a check asks."""

    def provide(ctx: Context) -> Any:
        import importlib

        return getattr(importlib.import_module(module), name)(ctx)

    provide.__qualname__ = f"lazy {module}.{name}"
    return provide


class Context:
    """What a running check can reach: the settings, shared facts and earlier results."""

    def __init__(
        self,
        plan: Plan,
        providers: Mapping[str, FactProvider],
        *,
        redactor: Optional[Redactor] = None,
        live: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.plan = plan  # the resolved target and endpoint, known before any check runs
        self.settings = plan.settings
        # Where a check may hand text meant to be seen as it happens (the smoke test's streamed
        # reply). Set by the presenter (stdout, stderr under --json, None under --quiet), so
        # checks still never print themselves.
        self.live = live
        self.redactor = redactor or Redactor.from_env(plan.settings.env)
        self._providers = dict(providers)
        self._facts: Dict[str, Outcome] = {}
        self._facts_lock = threading.Lock()
        self._results: Dict[str, Outcome] = {}

    def fact(self, name: str) -> Any:
        """The named fact, gathered once; concurrent callers wait for the first to finish.

        A provider's exception is re-raised in every caller, so each dependent check
        reports it rather than one check swallowing it.
        """
        with self._facts_lock:
            known = self._facts.get(name)
            owner = known is None
            future = self._facts[name] = Outcome() if known is None else known
        if owner:
            try:
                future.set_result(self._providers[name](self))
            except BaseException as exc:  # noqa: BLE001  # stored and re-raised in each caller
                future.set_exception(exc)
        return future.result()

    def peek(self, name: str) -> Any:
        """The named fact if it was already gathered successfully, else None (never gathers)."""
        future = self._facts.get(name)
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result()

    def check_ids(self) -> Tuple[str, ...]:
        """The checks of this run, in declared order."""
        return tuple(self._results)

    def unfinished(self) -> Tuple[str, ...]:
        """The checks of this run that have no result yet, in declared order."""
        return tuple(check_id for check_id, future in list(self._results.items()) if not future.done())

    def result(self, check_id: str, timeout: Optional[float] = None) -> Optional[CheckResult]:
        """The result of another check of this run (waits for it); None if it is not running."""
        future = self._results.get(check_id)
        return future.result(timeout=timeout) if future is not None else None


def run_checks(
    checks: Sequence[Check],
    ctx: Context,
    *,
    deadline_s: float,
    on_progress: Optional[Callable[[Tuple[str, ...]], None]] = None,
) -> Iterator[CheckResult]:
    """Start every check at once; yield results in the order of `checks`.

    `deadline_s` bounds each check from the moment the run starts. `on_progress` receives the
    checks still unfinished each time one finishes, in whatever order they finish (the
    results themselves are yielded in declared order).
    """
    started = time.monotonic()
    for check in checks:
        ctx._results[check.id] = Outcome()
    if on_progress is not None:
        for check in checks:
            ctx._results[check.id].add_done_callback(lambda _: on_progress(ctx.unfinished()))
    for check in checks:
        thread = threading.Thread(target=_run_one, args=(check, ctx), name=f"check {check.id}", daemon=True)
        thread.start()
    for check in checks:
        # Clamped: a wait beyond threading.TIMEOUT_MAX raises OverflowError instead of waiting.
        remaining = min(threading.TIMEOUT_MAX, max(0.0, deadline_s - (time.monotonic() - started)))
        try:
            result = ctx._results[check.id].result(timeout=remaining)
        except OutcomeTimeout:
            result = diagnose(
                check.id, "check_timeout", f"{check.title}: did not finish within {deadline_s:g} s"
            ).with_duration((time.monotonic() - started) * 1000)
        yield ctx.redactor.scrub(result)


def _run_one(check: Check, ctx: Context) -> None:
    future = ctx._results[check.id]
    try:
        if check.after_earlier:
            _wait_for_earlier(check, ctx)
        blocked = _failed_prerequisite(check, ctx)
        t0 = time.perf_counter()
        if blocked is not None:
            result = blocked
        elif check.network and ctx.settings.offline:
            result = diagnose(check.id, "offline", f"{check.title}: skipped (--offline)")
        else:
            result = _crash_safe(check, ctx)
        if result.id != check.id:
            raise ValueError(f"check {check.id} returned a result for {result.id}")
        future.set_result(result.with_duration((time.perf_counter() - t0) * 1000) if not result.duration_ms else result)
    except BaseException as exc:  # noqa: BLE001  # the report must complete whatever happens
        future.set_result(_crashed(check, exc))


def _wait_for_earlier(check: Check, ctx: Context) -> None:
    for check_id in ctx.check_ids():
        if check_id == check.id:
            return
        ctx.result(check_id)


def _failed_prerequisite(check: Check, ctx: Context) -> Optional[CheckResult]:
    # In declared order, and a condition only once every need before it passed: it may then
    # rely on what they established (api.auth's route is worth working out only after net.tcp).
    for need in check.prerequisites():
        if not need.applies(ctx):
            continue
        dependency = need.check_id
        prior = ctx.result(dependency)
        if prior is None or prior.status in PASSING:
            continue
        if prior.status is Status.SKIP:
            reason = f"{dependency} was skipped"
        else:
            reason = f"{dependency} did not pass" + (f" ({prior.code})" if prior.code else "")
        # Offline skips stay "offline" so the report says why plainly.
        code = "offline" if prior.code == "offline" else "prerequisite_failed"
        return diagnose(check.id, code, f"{check.title}: skipped, {reason}", data={"blocked_by": dependency})
    return None


def _crash_safe(check: Check, ctx: Context) -> CheckResult:
    try:
        return check.judge(check.gather(ctx))
    except Exception as exc:  # noqa: BLE001  # a crashing check becomes an `error` result
        return _crashed(check, exc)


def _crashed(check: Check, exc: BaseException) -> CheckResult:
    import traceback  # only for a crash: its imports would delay every run's start

    frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return diagnose(
        check.id,
        "check_crashed",
        f"{check.title}: the check crashed ({type(exc).__name__}: {exc})",
        details=[line.rstrip() for line in "".join(frames[-6:]).splitlines() if line.strip()],
    )
