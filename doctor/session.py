"""One run of the checks, from settings to a finished `Report`.

The commands (`check`, `smoke`, `demo`) share this: resolve what is being checked, run the
selected checks concurrently, hand each result to `on_result` as soon as it and every check
before it are done (so the console prints in a fixed order while later checks still run),
and return the report.
"""

from __future__ import annotations

from typing import Callable, Collection, Iterable, Optional, Sequence, Tuple

from doctor import __version__
from doctor.credentials import redactor_for
from doctor.endpoint import resolve_endpoint
from doctor.model import CheckResult, Report, Target
from doctor.plan import Plan
from doctor.probe.interpreters import select_target
from doctor.redact import Redactor
from doctor.runner import Context, run_checks
from doctor.settings import API_BOTH, API_CHAT, API_RESPONSES, Settings, SmokeOptions, UsageError

# A check's own network steps are bounded by --timeout; this is the backstop for the
# whole check (several steps in a row, the probe's own limit), so nothing hangs in CI.
_STEPS_PER_CHECK = 3
_DEADLINE_SLACK_S = 5.0
# Importing the openai SDK and warming it up, on a cold and slow machine.
_SDK_SETUP_S = 20.0

# The check groups (a check id's part before the dot), in printed order: what `--only` and
# `--skip` name. tests/pure/test_groups_rules.py pins them to the registry's checks.
GROUPS: Tuple[str, ...] = ("python", "packages", "config", "net", "api", "stream")
# The smoke checks and the API each proves: `--api` runs one of them, or both (chat first).
_SMOKE_APIS = {"stream.chat": API_CHAT, "stream.responses": API_RESPONSES}


def plan(settings: Settings) -> Plan:
    """Resolve the target and endpoint; raises UsageError for impossible flags."""
    return Plan(settings=settings, target=select_target(settings), endpoint=resolve_endpoint(settings))


def run(
    the_plan: Plan,
    *,
    groups: Optional[Collection[str]] = None,
    on_result: Callable[[CheckResult], None] = lambda _result: None,
    live: Optional[Callable[[str], None]] = None,
    on_progress: Optional[Callable[[Tuple[str, ...]], None]] = None,
) -> Report:
    """Run the checks of `groups` (all when None) and return the report.

    `live` receives text a check wants seen as it happens (see `Context.live`); `on_progress`
    the checks still unfinished whenever one finishes (the spinner names them)."""
    from doctor.checks import registry

    checks, providers = registry()
    selected = [c for c in checks if (groups is None or c.id.split(".", 1)[0] in groups or c.id in groups)
                and wanted_by_api(c.id, the_plan.settings)]
    ctx = Context(the_plan, providers, redactor=redactor(the_plan), live=live)
    settings = the_plan.settings
    deadline = deadline_s(settings)
    results = []
    for result in run_checks(selected, ctx, deadline_s=deadline, on_progress=on_progress):
        results.append(result)
        on_result(result)
    return Report(
        tool_version=__version__,
        target=_target_with_facts(the_plan.target, ctx),
        endpoint=the_plan.endpoint.to_endpoint(),
        checks=tuple(results),
        smoke=ctx.redactor.scrub(_smoke_summary(ctx)),
        strict=settings.strict,
        smoke_responses=ctx.redactor.scrub(_responses_summary(ctx)),
    )


def wanted_by_api(check_id: str, settings: Settings) -> bool:
    """Whether `--api` asks for this check: a smoke check only for its API (or both), any other always."""
    api = (settings.smoke or SmokeOptions()).api
    proves = _SMOKE_APIS.get(check_id)
    return proves is None or api in (proves, API_BOTH)


def deadline_s(settings: Settings) -> float:
    """The backstop for every check, from the start of the run: derived from the same bounds the
    checks enforce themselves, so it only fires if one of them failed to.

    The smoke test waits for the checks printed before it (each within the per-check bound),
    sets the SDK up, then runs its requests, each within its own budget (doctor.stream.budget).
    """
    from doctor.stream.budget import cause_bound_s, smoke_bound_s

    checks = settings.timeout_s * _STEPS_PER_CHECK + _DEADLINE_SLACK_S
    smoke = settings.smoke
    if smoke is None:
        return checks + settings.timeout_s * _STEPS_PER_CHECK
    apis = 2 if smoke.api == API_BOTH else 1  # --api both: the two APIs one after the other
    # After a buffered verdict the smoke test asks again to find the cause (doctor.stream.buffer_cause).
    return checks + apis * (_SDK_SETUP_S + smoke_bound_s(settings.timeout_s, smoke.max_tokens, smoke.runs)
                            + cause_bound_s(settings.timeout_s, smoke.max_tokens))


def group_names(values: Iterable[str]) -> Tuple[str, ...]:
    """The groups named by `--only`/`--skip` values (`net,api`, or the flag repeated), in the
    order given; an unknown name is a UsageError naming the groups there are."""
    names = [part.strip() for value in values for part in value.split(",") if part.strip()]
    unknown = [name for name in names if name not in GROUPS]
    if unknown:
        raise UsageError(f"unknown group {unknown[0]!r}; the groups are {', '.join(GROUPS)}")
    return tuple(dict.fromkeys(names))


def select_groups(candidates: Sequence[str], *, only: Sequence[str] = (), skip: Sequence[str] = ()) -> Tuple[str, ...]:
    """The groups a command runs: its `candidates`, narrowed to `only` when given, minus `skip`.

    A check whose prerequisite is in a group left out still runs: the runner treats a need that
    is not in the run as met (runner._failed_prerequisite), so `--only api` probes the API even
    though net.* did not vouch for the route first."""
    return tuple(group for group in candidates if (not only or group in only) and group not in skip)


def redactor(the_plan: Plan) -> Redactor:
    """The run's Redactor: what the runner scrubs every result with, and what the CI writers
    (doctor.commands.ci) scrub with again before anything reaches a file."""
    settings = the_plan.settings
    extra_urls = (settings.base_url,) if settings.base_url else ()
    return redactor_for(settings.env, settings.cwd, extra_urls)


def _target_with_facts(target: Target, ctx: Context) -> Target:
    """Add version and TLS library from the probe, when the probe ran and succeeded."""
    facts = ctx.peek("interpreter")
    version = getattr(facts, "python_version", None)
    ssl_name = getattr(facts, "ssl_version", None)
    return Target(python=target.python, selected_by=target.selected_by, version=version, ssl=ssl_name)


def _smoke_summary(ctx: Context) -> Optional[dict]:
    """The report's `smoke`: the primary run, chat's when it ran, else the Responses API's; with `api`."""
    chat = _fact_dict(ctx, "smoke")
    if chat is not None:
        return dict(chat, api=API_CHAT, **_cause(ctx, "buffer_cause"))
    return _responses_summary(ctx)


def _responses_summary(ctx: Context) -> Optional[dict]:
    responses = _fact_dict(ctx, "smoke_responses")
    return None if responses is None else dict(responses, **_cause(ctx, "buffer_cause_responses"))


def _cause(ctx: Context, name: str) -> dict:
    """Where a buffered stream was held (doctor.stream.buffer_cause), as the check's data has it;
    null when no cause was searched (the stream was not buffered, or the verdict is another)."""
    cause = ctx.peek(name)
    return {"cause": cause.cause if cause else None, "cause_evidence": cause.evidence() if cause else None}


def _fact_dict(ctx: Context, name: str) -> Optional[dict]:
    summary = ctx.peek(name)
    if summary is None:
        return None
    return summary.to_dict() if hasattr(summary, "to_dict") else dict(summary)
